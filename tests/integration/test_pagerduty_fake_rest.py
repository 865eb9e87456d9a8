"""The fake PagerDuty's REST subset over real HTTP: auth, validation, pagination, documented shapes.

These are the endpoints the rotation sync will use; every answer is also checked by the fake
against PagerDuty's (patched) REST OpenAPI file, so ``fake.violations`` must stay empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from alerter.clock import FakeClock
from integrations.pagerduty.fake import FakePagerDuty, Fault

TOKEN = "t0ken-for-tests"
HEADERS = {"Authorization": f"Token token={TOKEN}", "Accept": "application/vnd.pagerduty+json;version=2"}


@pytest.fixture
def fake() -> Iterator[FakePagerDuty]:
    with FakePagerDuty(api_token=TOKEN) as pd:
        yield pd
        assert pd.violations == []


@pytest.fixture
def http(fake: FakePagerDuty) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, headers=HEADERS, timeout=5.0) as client:
        yield client


@pytest.fixture
def users(fake: FakePagerDuty) -> list[dict[str, Any]]:
    return [fake.rest.store.add_user(f"User {i:02d}", f"user{i}@example.com") for i in range(30)]


def schedule_body(*user_ids: str, name: str = "DB primary") -> dict[str, Any]:
    layer = {
        "name": "weekly",
        "start": "2026-01-05T09:00:00+01:00",
        "rotation_virtual_start": "2026-01-05T09:00:00+01:00",
        "rotation_turn_length_seconds": 7 * 86400,
        "users": [{"user": {"id": uid, "type": "user_reference"}} for uid in user_ids],
    }
    return {
        "schedule": {
            "type": "schedule",
            "name": name,
            "time_zone": "Europe/Berlin",
            "schedule_layers": [layer],
        }
    }


def policy_body(schedule_id: str, name: str = "DB") -> dict[str, Any]:
    rule = {"escalation_delay_in_minutes": 30, "targets": [{"id": schedule_id, "type": "schedule_reference"}]}
    return {"escalation_policy": {"type": "escalation_policy", "name": name, "escalation_rules": [rule]}}


@pytest.mark.parametrize("authorization", [None, "Token token=wrong", f"Bearer {TOKEN}"])
def test_requests_without_the_token_are_401(fake: FakePagerDuty, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.get(fake.url + "/users", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": {"code": 2006, "message": "Authentication failed"}}


def test_users_are_paginated_classic_style(http: httpx.Client, users: list[dict[str, Any]]) -> None:
    first = http.get("/users").json()
    assert (len(first["users"]), first["limit"], first["offset"], first["more"], first["total"]) == (
        25,
        25,
        0,
        True,
        None,
    )
    rest = http.get("/users", params={"offset": 25, "limit": 25, "total": "true"}).json()
    assert (len(rest["users"]), rest["more"], rest["total"]) == (5, False, 30)
    assert [u["id"] for u in first["users"] + rest["users"]] == [u["id"] for u in users]


def test_limit_is_capped_at_100_and_offset_at_10000(http: httpx.Client, users: list[dict[str, Any]]) -> None:
    assert http.get("/users", params={"limit": 500}).json()["limit"] == 100
    response = http.get("/users", params={"offset": 9_990, "limit": 25})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 2001


def test_query_filters_users_by_name(http: httpx.Client, users: list[dict[str, Any]]) -> None:
    found = http.get("/users", params={"query": "user 1"}).json()["users"]
    assert [u["name"] for u in found] == [f"User 1{i}" for i in range(10)]


def test_bad_parameter_is_400_invalid_input(http: httpx.Client) -> None:
    response = http.get("/users", params={"limit": "many"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (2001, "Invalid Input Provided")
    assert "limit" in error["errors"][0]


def test_get_unknown_user_is_404(http: httpx.Client) -> None:
    response = http.get("/users/PNOBODY")
    assert (response.status_code, response.json()["error"]["code"]) == (404, 2100)


def test_schedule_create_get_replace(http: httpx.Client, users: list[dict[str, Any]]) -> None:
    created = http.post("/schedules", json=schedule_body(users[0]["id"], users[1]["id"]))
    assert created.status_code == 201
    schedule = created.json()["schedule"]
    assert [u["id"] for u in schedule["users"]] == [users[0]["id"], users[1]["id"]]
    assert http.get(f"/schedules/{schedule['id']}").json()["schedule"]["name"] == "DB primary"
    replaced = http.put(f"/schedules/{schedule['id']}", json=schedule_body(users[2]["id"], name="DB 2"))
    assert replaced.status_code == 200
    assert [u["id"] for u in replaced.json()["schedule"]["users"]] == [users[2]["id"]]
    assert [s["name"] for s in http.get("/schedules").json()["schedules"]] == ["DB 2"]


def test_schedule_missing_time_zone_is_400(http: httpx.Client, users: list[dict[str, Any]]) -> None:
    body = schedule_body(users[0]["id"])
    del body["schedule"]["time_zone"]
    response = http.post("/schedules", json=body)
    assert response.status_code == 400
    assert "time_zone" in response.json()["error"]["errors"][0]


def test_schedule_with_unknown_user_is_400(http: httpx.Client) -> None:
    response = http.post("/schedules", json=schedule_body("PNOBODY"))
    assert response.status_code == 400
    assert response.json()["error"]["errors"] == ["User PNOBODY not found"]


def test_put_unknown_schedule_is_404(http: httpx.Client, users: list[dict[str, Any]]) -> None:
    assert http.put("/schedules/PNOSUCH", json=schedule_body(users[0]["id"])).status_code == 404


def test_overrides_create_and_list_in_a_window(http: httpx.Client, users: list[dict[str, Any]]) -> None:
    sid = http.post("/schedules", json=schedule_body(users[0]["id"])).json()["schedule"]["id"]
    override = {
        "start": "2026-01-07T09:00:00+01:00",
        "end": "2026-01-08T09:00:00+01:00",
        "user": {"id": users[1]["id"], "type": "user_reference"},
    }
    created = http.post(f"/schedules/{sid}/overrides", json={"overrides": [override]})
    assert created.status_code == 201
    (result,) = created.json()
    assert result["status"] == 201 and result["override"]["user"]["summary"] == users[1]["name"]
    window = {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"}
    listed = http.get(f"/schedules/{sid}/overrides", params=window)
    assert listed.status_code == 200
    assert [o["id"] for o in listed.json()["overrides"]] == [result["override"]["id"]]
    later = http.get(
        f"/schedules/{sid}/overrides",
        params={"since": "2026-01-09T00:00:00Z", "until": "2026-01-10T00:00:00Z"},
    )
    assert later.json()["overrides"] == []


def test_listing_overrides_needs_since_and_until(http: httpx.Client, users: list[dict[str, Any]]) -> None:
    sid = http.post("/schedules", json=schedule_body(users[0]["id"])).json()["schedule"]["id"]
    response = http.get(f"/schedules/{sid}/overrides", params={"since": "2026-01-01T00:00:00Z"})
    assert response.status_code == 400
    assert "until" in response.json()["error"]["errors"][0]


def test_escalation_policy_create_get_replace_and_list(
    http: httpx.Client, users: list[dict[str, Any]]
) -> None:
    sid = http.post("/schedules", json=schedule_body(users[0]["id"])).json()["schedule"]["id"]
    created = http.post("/escalation_policies", json=policy_body(sid))
    assert created.status_code == 201
    policy = created.json()["escalation_policy"]
    assert policy["escalation_rules"][0]["targets"][0]["type"] == "schedule_reference"
    pid = policy["id"]
    assert http.get(f"/escalation_policies/{pid}").json()["escalation_policy"]["name"] == "DB"
    assert http.put(f"/escalation_policies/{pid}", json=policy_body(sid, name="DB v2")).status_code == 200
    listed = http.get("/escalation_policies").json()
    assert [p["name"] for p in listed["escalation_policies"]] == ["DB v2"]
    assert http.get(f"/schedules/{sid}").json()["schedule"]["escalation_policies"][0]["id"] == pid


def test_spec_example_strategy_object_is_rejected(http: httpx.Client, users: list[dict[str, Any]]) -> None:
    sid = http.post("/schedules", json=schedule_body(users[0]["id"])).json()["schedule"]["id"]
    body = policy_body(sid)
    body["escalation_policy"]["escalation_rules"][0]["escalation_rule_assignment_strategy"] = {
        "type": "round_robin"
    }
    assert http.post("/escalation_policies", json=body).status_code == 400


def test_operation_the_fake_does_not_serve_is_501(http: httpx.Client) -> None:
    response = http.get("/incidents")
    assert response.status_code == 501
    assert "does not implement GET /incidents" in response.json()["error"]["message"]


def test_unknown_path_is_404(http: httpx.Client) -> None:
    assert http.get("/no_such_thing").status_code == 404


def test_faults_apply_to_rest_too(http: httpx.Client, fake: FakePagerDuty) -> None:
    fake.inject(Fault.THROTTLE)
    assert http.get("/users").status_code == 429
    assert http.get("/users").status_code == 200
    assert [(r.method, r.path, r.status) for r in fake.received] == [
        ("GET", "/users", 429),
        ("GET", "/users", 200),
    ]


def test_delete_override_deletes_a_future_one_and_truncates_one_in_progress() -> None:
    now = 1_767_600_000.0

    def iso(t: float) -> str:
        return datetime.fromtimestamp(t, tz=UTC).isoformat().replace("+00:00", "Z")

    with (
        FakePagerDuty(api_token=TOKEN, clock=FakeClock(now)) as fake,
        httpx.Client(base_url=fake.url, headers=HEADERS, timeout=5.0) as http,
    ):
        user = fake.rest.store.add_user("User", "user@example.com")
        sid = http.post("/schedules", json=schedule_body(user["id"])).json()["schedule"]["id"]
        ref = {"id": user["id"], "type": "user_reference"}
        body = {
            "overrides": [
                {"start": iso(now + 3600), "end": iso(now + 7200), "user": ref},
                {"start": iso(now - 3600), "end": iso(now + 3600), "user": ref},
            ]
        }
        created = http.post(f"/schedules/{sid}/overrides", json=body).json()
        future, running = (item["override"]["id"] for item in created)
        assert http.delete(f"/schedules/{sid}/overrides/{future}").status_code == 204
        assert http.delete(f"/schedules/{sid}/overrides/{running}").status_code == 200
        (left,) = fake.rest.store.overrides[sid]
        assert left["id"] == running and left["end"] == iso(now)
        assert http.delete(f"/schedules/{sid}/overrides/{future}").status_code == 404
        assert fake.violations == []
