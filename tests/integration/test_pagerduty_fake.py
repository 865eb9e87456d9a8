"""The fake PagerDuty over real HTTP pins PagerDuty's documented Events API v2 responses.

Every case is answered by a real server on 127.0.0.1; the fake also checks its own answers
against the OpenAPI file (``fake.violations`` stays empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from alerter.clock import FakeClock
from integrations.pagerduty.fake import AlertStatus, Applied, FakePagerDuty, Fault

RK = "0123456789abcdef0123456789abcdef"
PAYLOAD = {"summary": "disk full on db1", "source": "db1", "severity": "critical"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_000.0)


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakePagerDuty]:
    with FakePagerDuty(clock=clock, hold_seconds=5.0) as pd:
        yield pd
        assert pd.violations == []


@pytest.fixture
def http(fake: FakePagerDuty) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=5.0) as client:
        yield client


def event(action: str = "trigger", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"routing_key": RK, "event_action": action, "dedup_key": "inc-1"}
    if action == "trigger":
        body["payload"] = dict(PAYLOAD)
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def test_trigger_is_202_with_status_message_and_dedup_key(http: httpx.Client, fake: FakePagerDuty) -> None:
    response = http.post("/v2/enqueue", json=event())
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "inc-1"}
    alert = fake.alert("inc-1")
    assert alert is not None and alert.status is AlertStatus.TRIGGERED


def test_trigger_without_dedup_key_gets_a_generated_one(http: httpx.Client, fake: FakePagerDuty) -> None:
    response = http.post("/v2/enqueue", json=event(dedup_key=None))
    assert response.status_code == 202
    key = response.json()["dedup_key"]
    assert len(key) == 32 and fake.alert(key) is not None


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (event(routing_key=None), "'routing_key' is a required property"),
        (event(routing_key="short"), "routing_key: must be a 32-character integration key"),
        (event(event_action="snooze"), "event_action: 'snooze' is not one of"),
        (event(payload={**PAYLOAD, "severity": "fatal"}), "payload.severity: 'fatal' is not one of"),
        (event(payload={"summary": "s", "severity": "info"}), "payload: 'source' is a required property"),
        (
            event(payload={**PAYLOAD, "summary": "s" * 1025}),
            "payload.summary: 1025 characters; the limit is 1024",
        ),
        (event(dedup_key="k" * 256), "dedup_key: 256 characters; the limit is 255"),
        (event(payload=None), "payload: required for a trigger event"),
        (event("acknowledge", dedup_key=None), "dedup_key: required for acknowledge"),
        (event("resolve", dedup_key=None), "dedup_key: required for resolve"),
        (event(images=[{"src": "http://charts/x.png"}]), "images.src: must be served over HTTPS"),
    ],
)
def test_invalid_events_are_400_with_errors(
    http: httpx.Client, fake: FakePagerDuty, body: dict[str, Any], error: str
) -> None:
    response = http.post("/v2/enqueue", json=body)
    assert response.status_code == 400
    data = response.json()
    assert (data["status"], data["message"]) == ("invalid event", "Event object is invalid")
    assert any(e.startswith(error) for e in data["errors"]), data["errors"]
    assert fake.alerts == []


def test_every_error_is_reported_not_just_the_first(http: httpx.Client) -> None:
    body = event(routing_key=None, dedup_key="k" * 256, payload={**PAYLOAD, "severity": "fatal"})
    assert len(http.post("/v2/enqueue", json=body).json()["errors"]) == 3


def test_malformed_json_is_400_unrecognized_object(http: httpx.Client) -> None:
    response = http.post(
        "/v2/enqueue", content=b'{"routing_key": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": "Unrecognized object",
        "message": "Event object format is unrecognized",
        "errors": ["JSON parse error"],
    }


def test_body_over_512_kb_is_400(http: httpx.Client) -> None:
    body = event(payload={**PAYLOAD, "custom_details": {"log": "x" * (512 * 1024)}})
    response = http.post("/v2/enqueue", json=body)
    assert response.status_code == 400
    assert "512 KB" in response.json()["errors"][0]


def test_trailing_slash_path_is_404(http: httpx.Client, fake: FakePagerDuty) -> None:
    assert http.post("/v2/enqueue/", json=event()).status_code == 404
    assert fake.alerts == []


def test_get_on_enqueue_is_405(http: httpx.Client) -> None:
    assert http.get("/v2/enqueue").status_code == 405


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_ack_or_resolve_of_unknown_key_is_202_and_changes_nothing(
    http: httpx.Client, fake: FakePagerDuty, action: str
) -> None:
    response = http.post("/v2/enqueue", json=event(action, dedup_key="never-triggered"))
    assert response.status_code == 202
    assert response.json()["dedup_key"] == "never-triggered"
    assert fake.alerts == []
    assert fake.received[-1].applied is Applied.DROPPED


def test_lifecycle_trigger_ack_resolve_retrigger(http: httpx.Client, fake: FakePagerDuty) -> None:
    for action in ("trigger", "trigger", "acknowledge", "resolve", "resolve", "trigger"):
        assert http.post("/v2/enqueue", json=event(action)).status_code == 202
    first, second = fake.alerts
    assert (first.status, first.log) == (
        AlertStatus.RESOLVED,
        ["trigger", "trigger", "acknowledge", "resolve"],
    )
    assert (second.status, second.log) == (AlertStatus.TRIGGERED, ["trigger"])


def test_ack_with_another_routing_key_is_dropped(http: httpx.Client, fake: FakePagerDuty) -> None:
    http.post("/v2/enqueue", json=event())
    http.post("/v2/enqueue", json=event("acknowledge", routing_key="f" * 32))
    alert = fake.alert("inc-1")
    assert alert is not None and alert.status is AlertStatus.TRIGGERED


def test_rate_limit_is_120_per_minute_per_routing_key(
    http: httpx.Client, fake: FakePagerDuty, clock: FakeClock
) -> None:
    statuses = [http.post("/v2/enqueue", json=event(dedup_key=f"k{i}")).status_code for i in range(121)]
    assert statuses == [202] * 120 + [429]
    throttled = http.post("/v2/enqueue", json=event(dedup_key="k-late"))
    assert (throttled.status_code, throttled.content) == (429, b"")
    assert http.post("/v2/enqueue", json=event(routing_key="f" * 32)).status_code == 202
    clock.advance(60.0)
    assert http.post("/v2/enqueue", json=event(dedup_key="k-next")).status_code == 202
    assert len(fake.alerts) == 122  # throttled events were not applied


def test_change_event_is_202_and_never_creates_an_alert(http: httpx.Client, fake: FakePagerDuty) -> None:
    body = {"routing_key": RK, "payload": {"summary": "deploy 1.2.3", "source": "ci"}}
    response = http.post("/v2/change/enqueue", json=body)
    assert response.status_code == 202
    assert response.json()["status"] == "success"
    assert fake.alerts == [] and fake.events.change_events == [body]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"routing_key": "R" + "0" * 31, "payload": {"summary": "deploy"}},
            "routing_key: change events cannot",
        ),
        ({"routing_key": RK}, "'payload' is a required property"),
        ({"routing_key": RK, "payload": {"summary": "s" * 1025}}, "payload.summary: 1025 characters"),
    ],
)
def test_invalid_change_events_are_400(http: httpx.Client, body: dict[str, Any], error: str) -> None:
    response = http.post("/v2/change/enqueue", json=body)
    assert response.status_code == 400
    assert any(e.startswith(error) for e in response.json()["errors"])


def test_received_records_every_request_and_its_answer(http: httpx.Client, fake: FakePagerDuty) -> None:
    http.post("/v2/enqueue", json=event())
    http.post("/v2/enqueue/", json=event())
    assert [(r.method, r.path, r.status) for r in fake.received] == [
        ("POST", "/v2/enqueue", 202),
        ("POST", "/v2/enqueue/", 404),
    ]
    assert fake.received[0].json() == event()
    assert fake.received[0].headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("fault", "status"), [(Fault.THROTTLE, 429), (Fault.SERVER_ERROR, 500), (Fault.UNAVAILABLE, 503)]
)
def test_injected_http_faults_answer_then_stop(
    http: httpx.Client, fake: FakePagerDuty, fault: Fault, status: int
) -> None:
    fake.inject(fault, count=2)
    assert [http.post("/v2/enqueue", json=event()).status_code for _ in range(3)] == [status, status, 202]
    assert [r.fault for r in fake.received] == [fault, fault, None]
    assert len(fake.alerts) == 1  # faulted events were not applied


def test_injected_server_error_has_pagerdutys_error_shape(http: httpx.Client, fake: FakePagerDuty) -> None:
    fake.inject(Fault.SERVER_ERROR)
    data = http.post("/v2/enqueue", json=event()).json()
    assert set(data) == {"status", "message", "errors"}


def test_injected_drop_closes_the_connection_without_answer(http: httpx.Client, fake: FakePagerDuty) -> None:
    fake.inject(Fault.DROP)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/v2/enqueue", json=event())
    assert http.post("/v2/enqueue", json=event()).status_code == 202
    assert [r.status for r in fake.received] == [None, 202]


def test_injected_timeout_never_answers(http: httpx.Client, fake: FakePagerDuty) -> None:
    fake.inject(Fault.TIMEOUT)
    with pytest.raises(httpx.ReadTimeout):
        http.post("/v2/enqueue", json=event(), timeout=0.2)
    assert http.post("/v2/enqueue", json=event()).status_code == 202
    assert fake.alerts[0].log == ["trigger"]


def test_url_is_loopback_on_a_free_port() -> None:
    with FakePagerDuty() as one, FakePagerDuty() as two:
        assert one.url.startswith("http://127.0.0.1:")
        assert one.url != two.url


@pytest.mark.parametrize("path", ["/enqueue", "/v3/enqueue", "/v2/v2/enqueue", "/v2/enqueuex"])
def test_paths_outside_the_spec_are_404(http: httpx.Client, path: str) -> None:
    assert http.post(path, json=event()).status_code == 404
