"""PagerDuty webhooks v3 in (pure): signatures, parsing per the README contract, dedupe, the handler."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from alerter.clock import FakeClock
from alerter.notify.inbound import IncidentUpdate, UpdateKind
from integrations.pagerduty.events_payload import fit_dedup_key
from integrations.pagerduty.webhooks import (
    DEFAULT_SEEN_TTL,
    MalformedWebhook,
    SeenWebhooks,
    handle_pagerduty_webhook,
    parse_webhook,
    verify_signature,
)

OLD = SecretStr("whsec-old-0123456789abcdef")
NEW = SecretStr("whsec-new-fedcba9876543210")
OCCURRED_AT = "2026-11-28T05:21:00.169Z"
OCCURRED_AT_POSIX = datetime(2026, 11, 28, 5, 21, 0, 169000, tzinfo=UTC).timestamp()
ALICE = {
    "html_url": "https://acme.pagerduty.com/users/PXPGF42",
    "id": "PXPGF42",
    "self": "https://api.pagerduty.com/users/PXPGF42",
    "summary": "Alice Example",
    "type": "user_reference",
}


def incident(status: str, incident_key: str | None = "inc-4f2a") -> dict[str, Any]:
    """An incident object as webhooks v3 sends it in ``event.data`` (README contract)."""
    service = {"id": "PF9KMXH", "type": "service_reference", "summary": "db", "html_url": "https://x"}
    return {
        "id": "PGR0VU2",
        "type": "incident",
        "self": "https://api.pagerduty.com/incidents/PGR0VU2",
        "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
        "number": 2,
        "status": status,
        "incident_key": incident_key,
        "title": "disk full on db1",
        "service": service,
        "assignees": [{k: ALICE[k] for k in ("id", "type", "summary", "html_url")}],
        "escalation_policy": {"id": "PUS0KTE", "type": "escalation_policy_reference", "summary": "db"},
        "teams": [],
        "priority": None,
        "urgency": "high",
        "created_at": "2026-11-28T05:00:00Z",
        "resolve_reason": None,
    }


def webhook(
    event_type: str,
    *,
    data: dict[str, Any] | None = None,
    agent: dict[str, Any] | None = ALICE,
    occurred_at: object = OCCURRED_AT,
) -> bytes:
    status = event_type.rsplit(".", 1)[-1]
    event = {
        "id": "01DEN3TD6ALVAO0P4PSUYAXQT4",
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": occurred_at,
        "agent": agent,
        "client": None,
        "data": incident(status) if data is None else data,
    }
    return json.dumps({"event": event}).encode()


def sign(body: bytes, secret: SecretStr) -> str:
    return hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()


BODY = webhook("incident.acknowledged")


# -- signatures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "header", "secrets", "valid"),
    [
        pytest.param(BODY, f"v1={sign(BODY, NEW)}", [NEW], True, id="valid"),
        pytest.param(BODY + b" ", f"v1={sign(BODY, NEW)}", [NEW], False, id="tampered-body"),
        pytest.param(
            BODY.replace(b"acknowledged", b"resolved"), f"v1={sign(BODY, NEW)}", [NEW], False, id="tampered"
        ),
        pytest.param(BODY, f"v1={sign(BODY, OLD)}", [NEW], False, id="wrong-secret"),
        pytest.param(
            BODY, f"v1={'0' * 64},v1={sign(BODY, NEW)}", [NEW], True, id="several-values-second-valid"
        ),
        pytest.param(
            BODY, f"v1={sign(BODY, OLD)}, v1={sign(BODY, NEW)}", [NEW], True, id="several-values-spaces"
        ),
        pytest.param(BODY, f"v1={sign(BODY, OLD)}", [NEW, OLD], True, id="rotation-old-secret-still-valid"),
        pytest.param(BODY, f"v1={sign(BODY, NEW)}", [NEW, OLD], True, id="rotation-new-secret"),
        pytest.param(BODY, f"v1={sign(BODY, NEW).upper()}", [NEW], True, id="upper-case-hex"),
        pytest.param(BODY, "", [NEW], False, id="missing-header"),
        pytest.param(BODY, f"v1={sign(BODY, NEW)}", [], False, id="no-secrets-configured"),
        pytest.param(
            BODY, f"v1={sign(BODY, SecretStr(''))}", [SecretStr("")], False, id="empty-secret-skipped"
        ),
        pytest.param(BODY, "v1=not-hex-at-all", [NEW], False, id="non-hex"),
        pytest.param(BODY, "v1=é∂ƒ", [NEW], False, id="non-ascii"),
        pytest.param(BODY, f"v0={sign(BODY, NEW)}", [NEW], False, id="unknown-scheme"),
        pytest.param(BODY, sign(BODY, NEW), [NEW], False, id="bare-hex-without-scheme"),
        pytest.param(BODY, f"v1={sign(BODY, NEW)[:-2]}", [NEW], False, id="truncated"),
    ],
)
def test_verify_signature(body: bytes, header: str, secrets: list[SecretStr], valid: bool) -> None:
    assert verify_signature(body, header, secrets) is valid


def test_signature_is_over_the_raw_bytes_not_reserialised_json() -> None:
    pretty = json.dumps(json.loads(BODY), indent=2).encode()
    assert verify_signature(pretty, f"v1={sign(pretty, NEW)}", [NEW])
    assert not verify_signature(BODY, f"v1={sign(pretty, NEW)}", [NEW])


# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("incident.acknowledged", UpdateKind.ACKNOWLEDGED),
        ("incident.resolved", UpdateKind.RESOLVED),
        ("incident.reopened", UpdateKind.REOPENED),
    ],
)
def test_parse_handled_incident_events(event_type: str, kind: UpdateKind) -> None:
    update = parse_webhook(webhook(event_type), webhook_id="wh-1")
    assert update == IncidentUpdate(kind, "inc-4f2a", "Alice Example", OCCURRED_AT_POSIX, "wh-1")


def test_incident_key_not_pagerduty_incident_id_is_our_key() -> None:
    update = parse_webhook(webhook("incident.resolved"))
    assert update is not None and update.incident_key == "inc-4f2a"
    assert update.incident_key != "PGR0VU2"


def test_long_keys_come_back_as_the_pager_sent_them() -> None:
    long_key = "rule=disk_full," + "host=db1," * 40
    sent = fit_dedup_key(long_key)
    update = parse_webhook(webhook("incident.resolved", data=incident("resolved", sent)))
    assert update is not None and update.incident_key == sent != long_key


@pytest.mark.parametrize(
    "event_type",
    [
        "incident.triggered",
        "incident.unacknowledged",
        "incident.escalated",
        "incident.annotated",
        "incident.priority_updated",
        "service.updated",
        "pagey.ping",
    ],
)
def test_other_event_types_are_ignored(event_type: str) -> None:
    assert parse_webhook(webhook(event_type)) is None


@pytest.mark.parametrize("key", [None, ""])
def test_incident_without_key_is_ignored(key: str | None) -> None:
    assert parse_webhook(webhook("incident.resolved", data=incident("resolved", key))) is None


@pytest.mark.parametrize(
    ("agent", "actor"),
    [
        (ALICE, "Alice Example"),
        ({"id": "PSVC123", "type": "service_reference"}, "PSVC123"),
        (None, None),
        ({"type": "user_reference"}, None),
    ],
)
def test_actor_from_agent_reference(agent: dict[str, Any] | None, actor: str | None) -> None:
    update = parse_webhook(webhook("incident.resolved", agent=agent))
    assert update is not None and update.actor == actor


def test_occurred_at_with_offset() -> None:
    update = parse_webhook(webhook("incident.resolved", occurred_at="2026-11-28T06:21:00.169+01:00"))
    assert update is not None and update.at == OCCURRED_AT_POSIX


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"[]", 'expected {"event"'),
        (b'{"events": {}}', 'expected {"event"'),
        (b'{"event": {"data": {}}}', "event.event_type"),
        (
            b'{"event": {"event_type": "incident.resolved", "data": []}}',
            "event.data: missing or not an object",
        ),
        (webhook("incident.resolved", occurred_at=None), "event.occurred_at: None"),
        (webhook("incident.resolved", occurred_at="yesterday"), "'yesterday' is not an ISO 8601"),
        (webhook("incident.resolved", occurred_at="2026-11-28T05:21:00"), "with a timezone"),
    ],
)
def test_malformed_bodies(body: bytes, message: str) -> None:
    with pytest.raises(MalformedWebhook, match=message.replace("(", r"\(")):
        parse_webhook(body)


# -- dedupe -----------------------------------------------------------------------------------


def test_seen_remembers_until_ttl() -> None:
    clock = FakeClock(1_000.0)
    seen = SeenWebhooks(clock, ttl=60.0)
    seen.add("wh-1")
    clock.advance(59.0)
    assert "wh-1" in seen
    clock.advance(1.0)
    assert "wh-1" not in seen
    assert len(seen) == 0


def test_seen_default_ttl_covers_pagerdutys_48h_of_redelivery() -> None:
    clock = FakeClock(0.0)
    seen = SeenWebhooks(clock)
    seen.add("wh-1")
    clock.advance(48 * 3600 - 1)
    assert "wh-1" in seen
    assert DEFAULT_SEEN_TTL == 48 * 3600


def test_seen_is_bounded_oldest_evicted_first() -> None:
    clock = FakeClock(0.0)
    seen = SeenWebhooks(clock, capacity=3)
    for n in range(5):
        clock.advance(1.0)
        seen.add(f"wh-{n}")
    assert len(seen) == 3
    assert [f"wh-{n}" in seen for n in range(5)] == [False, False, True, True, True]


def test_seen_readding_refreshes_position_and_expiry() -> None:
    clock = FakeClock(0.0)
    seen = SeenWebhooks(clock, capacity=2, ttl=10.0)
    seen.add("a")
    clock.advance(5.0)
    seen.add("b")
    seen.add("a")  # a is now the newest
    seen.add("c")  # evicts b, not a
    assert ("a" in seen, "b" in seen, "c" in seen) == (True, False, True)
    clock.advance(9.0)
    assert "a" in seen


@pytest.mark.parametrize(("capacity", "ttl"), [(0, 10.0), (10, 0.0)])
def test_seen_rejects_nonsense_bounds(capacity: int, ttl: float) -> None:
    with pytest.raises(ValueError, match="capacity >= 1 and ttl > 0"):
        SeenWebhooks(FakeClock(), capacity=capacity, ttl=ttl)


# -- the handler ------------------------------------------------------------------------------


class Recorder:
    """The UpdateSink the handler calls; records what it was given."""

    def __init__(self) -> None:
        self.updates: list[IncidentUpdate] = []

    def __call__(self, update: IncidentUpdate) -> None:
        self.updates.append(update)


class Refusing:
    def __call__(self, update: IncidentUpdate) -> None:
        raise RuntimeError(f"store unavailable for {update.incident_key}")


def headers(body: bytes, webhook_id: str = "wh-1", secret: SecretStr = NEW) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-PagerDuty-Signature": f"v1={sign(body, secret)}",
        "X-Webhook-Id": webhook_id,
    }


def result(reply: tuple[int, str]) -> tuple[int, str]:
    status, body = reply
    return status, json.loads(body)["result"]


def test_handler_applies_a_signed_update() -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    reply = handle_pagerduty_webhook(BODY, headers(BODY), [NEW], seen, sink)
    assert result(reply) == (200, "applied")
    assert sink.updates == [
        IncidentUpdate(UpdateKind.ACKNOWLEDGED, "inc-4f2a", "Alice Example", OCCURRED_AT_POSIX, "wh-1")
    ]
    assert "wh-1" in seen


def test_handler_drops_a_redelivery() -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    handle_pagerduty_webhook(BODY, headers(BODY), [NEW], seen, sink)
    reply = handle_pagerduty_webhook(BODY, headers(BODY), [NEW], seen, sink)
    assert result(reply) == (200, "duplicate")
    assert len(sink.updates) == 1


def test_handler_bad_signature_changes_nothing() -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    reply = handle_pagerduty_webhook(BODY, headers(BODY, secret=OLD), [NEW], seen, sink)
    assert result(reply) == (401, "bad_signature")
    assert (sink.updates, len(seen)) == ([], 0)
    # ... and does not poison the id: the genuine delivery with that id is still applied.
    assert result(handle_pagerduty_webhook(BODY, headers(BODY), [NEW], seen, sink)) == (200, "applied")


def test_handler_missing_signature_is_401_even_for_a_seen_id() -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    seen.add("wh-1")
    reply = handle_pagerduty_webhook(BODY, {"X-Webhook-Id": "wh-1"}, [NEW], seen, sink)
    assert result(reply) == (401, "bad_signature")


def test_handler_header_names_any_case() -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    lower = {name.lower(): value for name, value in headers(BODY).items()}
    assert result(handle_pagerduty_webhook(BODY, lower, [NEW], seen, sink)) == (200, "applied")


def test_handler_malformed_json_is_400_and_not_remembered() -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    body = b'{"event": '
    status, text = handle_pagerduty_webhook(body, headers(body), [NEW], seen, sink)
    assert (status, json.loads(text)["result"]) == (400, "malformed")
    assert "body is not JSON" in json.loads(text)["detail"]
    assert (sink.updates, len(seen)) == ([], 0)


def test_handler_ignored_event_is_200_and_remembered() -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    body = webhook("incident.triggered")
    assert result(handle_pagerduty_webhook(body, headers(body), [NEW], seen, sink)) == (200, "ignored")
    assert sink.updates == [] and "wh-1" in seen


def test_handler_without_webhook_id_still_applies() -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    only_signature = {"X-PagerDuty-Signature": f"v1={sign(BODY, NEW)}"}
    assert result(handle_pagerduty_webhook(BODY, only_signature, [NEW], seen, sink)) == (200, "applied")
    assert sink.updates[0].webhook_id == "" and len(seen) == 0


def test_handler_sink_failure_propagates_and_redelivery_is_applied() -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    with pytest.raises(RuntimeError, match="store unavailable for inc-4f2a"):
        handle_pagerduty_webhook(BODY, headers(BODY), [NEW], seen, Refusing())
    assert "wh-1" not in seen
    assert result(handle_pagerduty_webhook(BODY, headers(BODY), [NEW], seen, sink)) == (200, "applied")


def test_handler_rotation_accepts_old_and_new_secret() -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    for n, secret in enumerate((OLD, NEW)):
        reply = handle_pagerduty_webhook(BODY, headers(BODY, f"wh-{n}", secret), [NEW, OLD], seen, sink)
        assert result(reply) == (200, "applied")
    assert len(sink.updates) == 2


def test_handler_never_logs_or_answers_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    sink, seen = Recorder(), SeenWebhooks(FakeClock(0.0))
    caplog.set_level("DEBUG")
    replies = [
        handle_pagerduty_webhook(BODY, headers(BODY), [NEW, OLD], seen, sink),
        handle_pagerduty_webhook(BODY, headers(BODY, "wh-2", SecretStr("nope")), [NEW, OLD], seen, sink),
        handle_pagerduty_webhook(b"{", headers(b"{", "wh-3"), [NEW, OLD], seen, sink),
    ]
    said = caplog.text + "".join(body for _, body in replies)
    assert "wh-2: bad_signature" in caplog.text
    for secret in (NEW, OLD):
        assert secret.get_secret_value() not in said
