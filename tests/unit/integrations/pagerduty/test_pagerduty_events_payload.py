"""Events API v2 body building (pure): shapes, optional fields, documented limits."""

from __future__ import annotations

import json

import pytest

from alerter.notify import PageAction, PageLink, PageRequest, PageSeverity
from integrations.pagerduty.events_payload import (
    MAX_BODY_BYTES,
    OVERSIZE_NOTE,
    build_event,
    encode_event,
    fit_dedup_key,
    truncate_summary,
)

KEY = "0123456789abcdef0123456789abcdef"


def trigger(**overrides: object) -> PageRequest:
    fields: dict[str, object] = {
        "action": PageAction.TRIGGER,
        "dedup_key": "inc-4f2a",
        "summary": "disk full on db1",
        "source": "db1.example.com",
        "severity": PageSeverity.CRITICAL,
    }
    fields.update(overrides)
    return PageRequest(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("short", "short"),
        ("x" * 1024, "x" * 1024),
        ("x" * 1025, "x" * 1023 + "…"),
        ("x" * 1020 + "   " + "y" * 10, "x" * 1020 + "…"),
        ("é" * 2000, "é" * 1023 + "…"),
        ("🔥" * 1500, "🔥" * 1023 + "…"),
    ],
)
def test_truncate_summary_keeps_at_most_1024_characters(summary: str, expected: str) -> None:
    result = truncate_summary(summary)
    assert result == expected
    assert len(result) <= 1024
    result.encode("utf-8")  # never a split code point


def test_fit_dedup_key_leaves_short_keys_alone() -> None:
    assert fit_dedup_key("k" * 255) == "k" * 255


def test_fit_dedup_key_shortens_long_keys_stably_and_distinctly() -> None:
    a, b = "a" * 300, "a" * 299 + "b"
    assert len(fit_dedup_key(a)) == 255
    assert fit_dedup_key(a) == fit_dedup_key(a)
    assert fit_dedup_key(a) != fit_dedup_key(b)


def test_trigger_body_has_the_documented_fields() -> None:
    page = trigger(
        component="mysql",
        group="prod-db",
        class_="disk",
        custom_details={"affected_hosts": ["db1"], "alert_count": 3, "primary": "alice"},
        links=(PageLink("https://alerter/incidents/4f2a", "Incident"), PageLink("https://wiki/runbook")),
    )
    assert build_event(page, KEY) == {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "inc-4f2a",
        "payload": {
            "summary": "disk full on db1",
            "source": "db1.example.com",
            "severity": "critical",
            "component": "mysql",
            "group": "prod-db",
            "class": "disk",
            "custom_details": {"affected_hosts": ["db1"], "alert_count": 3, "primary": "alice"},
        },
        "links": [
            {"href": "https://alerter/incidents/4f2a", "text": "Incident"},
            {"href": "https://wiki/runbook"},
        ],
    }


def test_trigger_omits_absent_optional_fields() -> None:
    body = build_event(trigger(), KEY)
    assert body["payload"] == {
        "summary": "disk full on db1",
        "source": "db1.example.com",
        "severity": "critical",
    }
    assert "links" not in body


@pytest.mark.parametrize("action", [PageAction.ACKNOWLEDGE, PageAction.RESOLVE])
def test_acknowledge_and_resolve_carry_no_payload(action: PageAction) -> None:
    assert build_event(PageRequest(action, "inc-4f2a"), KEY) == {
        "routing_key": KEY,
        "event_action": action.value,
        "dedup_key": "inc-4f2a",
    }


def test_long_summary_and_key_are_fitted_in_the_body() -> None:
    body = build_event(trigger(summary="s" * 5000, dedup_key="k" * 400), KEY)
    assert len(body["payload"]["summary"]) == 1024
    assert len(body["dedup_key"]) == 255


def test_encode_keeps_a_small_body_as_is() -> None:
    body = build_event(trigger(custom_details={"when": "now"}), KEY)
    assert json.loads(encode_event(body)) == body


def test_encode_drops_custom_details_past_512_kb_but_keeps_the_page() -> None:
    body = build_event(trigger(custom_details={"log": "x" * MAX_BODY_BYTES}), KEY)
    data = encode_event(body)
    assert len(data) <= MAX_BODY_BYTES
    sent = json.loads(data)
    assert sent["payload"]["custom_details"] == {"note": OVERSIZE_NOTE}
    assert sent["payload"]["summary"] == "disk full on db1"
