"""The fake PagerDuty's REST store (pure): ids, shapes, references, overrides by time."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.pagerduty.fake.rest_store import InvalidInput, NotFound, RestStore


@pytest.fixture
def store() -> RestStore:
    return RestStore()


def layer(*user_ids: str) -> dict[str, Any]:
    return {
        "start": "2026-01-01T00:00:00Z",
        "rotation_virtual_start": "2026-01-01T00:00:00Z",
        "rotation_turn_length_seconds": 604800,
        "users": [{"user": {"id": uid, "type": "user_reference"}} for uid in user_ids],
    }


def test_ids_look_like_pagerdutys(store: RestStore) -> None:
    ids = [store.new_id() for _ in range(40)]
    assert all(len(i) == 7 and i.startswith("P") for i in ids)
    assert len(set(ids)) == 40


def test_user_has_identity_fields(store: RestStore) -> None:
    user = store.add_user("Alice", "alice@example.com")
    assert user["type"] == "user" and user["summary"] == "Alice"
    assert user["self"] == f"https://api.pagerduty.com/users/{user['id']}"


def test_schedule_resolves_user_references_and_lists_members(store: RestStore) -> None:
    alice = store.add_user("Alice", "alice@example.com")
    schedule = store.put_schedule(
        None, {"type": "schedule", "time_zone": "UTC", "name": "db", "schedule_layers": [layer(alice["id"])]}
    )
    (member,) = schedule["users"]
    assert (member["id"], member["type"], member["summary"]) == (alice["id"], "user_reference", "Alice")
    assert schedule["schedule_layers"][0]["id"].startswith("P")


def test_schedule_with_unknown_user_is_invalid(store: RestStore) -> None:
    with pytest.raises(InvalidInput, match="User PNOBODY not found"):
        store.put_schedule(
            None, {"type": "schedule", "time_zone": "UTC", "schedule_layers": [layer("PNOBODY")]}
        )


def test_replacing_an_unknown_schedule_is_not_found(store: RestStore) -> None:
    with pytest.raises(NotFound):
        store.put_schedule("PMISSING", {"type": "schedule", "time_zone": "UTC"})


@pytest.mark.parametrize(
    ("since", "until", "found"),
    [
        ("2026-01-01T00:00:00Z", "2026-01-10T00:00:00Z", 1),
        ("2026-01-04T00:00:00Z", "2026-01-10T00:00:00Z", 0),  # ends exactly at since: no overlap
        ("2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z", 0),  # starts exactly at until
        ("2026-01-03T12:00:00+01:00", "2026-01-03T13:00:00+01:00", 1),
    ],
)
def test_overrides_between_returns_overlapping_ones(
    store: RestStore, since: str, until: str, found: int
) -> None:
    alice = store.add_user("Alice", "alice@example.com")
    sid = store.put_schedule(None, {"type": "schedule", "time_zone": "UTC"})["id"]
    item = {
        "start": "2026-01-03T00:00:00Z",
        "end": "2026-01-04T00:00:00Z",
        "user": {"id": alice["id"], "type": "user_reference"},
    }
    assert [r["status"] for r in store.add_overrides(sid, [item])] == [201]
    assert len(store.overrides_between(sid, since, until)) == found


def test_override_results_are_per_item(store: RestStore) -> None:
    alice = store.add_user("Alice", "alice@example.com")
    sid = store.put_schedule(None, {"type": "schedule", "time_zone": "UTC"})["id"]
    ok = {
        "start": "2026-01-03T00:00:00Z",
        "end": "2026-01-04T00:00:00Z",
        "user": {"id": alice["id"], "type": "user_reference"},
    }
    backwards = {**ok, "start": "2026-01-05T00:00:00Z"}
    stranger = {**ok, "user": {"id": "PNOBODY", "type": "user_reference"}}
    results = store.add_overrides(sid, [ok, backwards, stranger])
    assert [r["status"] for r in results] == [201, 400, 400]
    assert results[1]["errors"] == ["Override end must be after its start"]
    assert len(store.overrides[sid]) == 1


def test_schedule_shows_the_policies_that_use_it(store: RestStore) -> None:
    sid = store.put_schedule(None, {"type": "schedule", "time_zone": "UTC", "name": "db"})["id"]
    rule = {"escalation_delay_in_minutes": 30, "targets": [{"id": sid, "type": "schedule_reference"}]}
    policy = store.put_escalation_policy(
        None, {"type": "escalation_policy", "name": "DB", "escalation_rules": [rule]}
    )
    assert [p["id"] for p in store.schedule(sid)["escalation_policies"]] == [policy["id"]]
    assert policy["num_loops"] == 0 and policy["escalation_rules"][0]["targets"][0]["summary"] == "db"
