"""Exported event histories: parsing JSON lines with located problems, and making events fit the pipeline."""

from __future__ import annotations

import pytest
from replay_world import T0, history

from alerter.model import Event, fingerprint
from alerter.replay import history_event, read_events

GOOD = '{"host": "web-1", "service": "disk /", "state": "critical", "time": 1767600000, "metric": 97.5}'


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON: Expecting value (column 1)"),
        (
            '{"host": "a", "service": "s", "state": "ok", "time": 1',
            "not JSON: Expecting ',' delimiter (column 55)",
        ),
        ("[1, 2]", "an event must be a JSON object, got list"),
        (
            '{"host": "a", "service": "s", "state": "critical"}',
            "event lacks time (each line needs host, service, state, time)",
        ),
        (
            '{"state": "ok", "time": 1}',
            "event lacks host, service (each line needs host, service, state, time)",
        ),
        (
            '{"host": "a", "service": "s", "state": "down", "time": 1}',
            "state 'down' is not one of critical, ok, warning",
        ),
        ('{"host": "a", "service": "s", "state": "ok", "time": "noon"}', "time: 'noon' is not a number"),
        (
            '{"host": "a", "service": "s", "state": "ok", "time": 1, "metric": true}',
            "metric: True is not a number",
        ),
        (
            '{"host": "a", "service": "s", "state": "ok", "time": "2026-01-05T08:00:00"}',
            "time: '2026-01-05T08:00:00' has no UTC offset (write e.g. 2026-01-05T08:00:00Z)",
        ),
        (
            '{"host": "a", "service": "s", "state": "ok", "time": "2026-01-05T8h"}',
            "time: '2026-01-05T8h' is neither POSIX seconds nor ISO-8601",
        ),
    ],
)
def test_a_bad_line_is_a_located_problem_and_the_others_still_load(line: str, message: str) -> None:
    events, problems = read_events([GOOD, line, GOOD], "export.jsonl")
    assert [str(p) for p in problems] == [f"export.jsonl:2:1: {message}"]
    assert len(events) == 2


def test_a_good_line_keeps_every_field_and_blank_lines_are_ignored() -> None:
    line = (
        '{"host": "web-1", "service": "disk /", "state": "warning", "time": 1767600000.5, "metric": 91,'
        ' "ttl": 60, "tags": ["disk"], "attributes": {"env": "prod"}, "team": "storage"}'
    )
    events, problems = read_events(["", line, "   "], "export.jsonl")
    assert problems == []
    assert events == [
        Event(
            "web-1",
            "disk /",
            "warning",
            None,
            91,
            1767600000.5,
            60,
            ("disk",),
            {"env": "prod", "team": "storage"},
        )
    ]


def test_an_exported_event_gets_a_rule_and_a_fingerprint_of_its_labels() -> None:
    event = history_event(history("web-1", "disk /", "critical", T0, env="prod", summary="97% full"))
    assert event.attributes["rule"] == "disk /"
    assert event.attributes["fingerprint"] == fingerprint(
        "disk /", {"host": "web-1", "service": "disk /", "env": "prod"}
    )


def test_the_fingerprint_ignores_per_evaluation_attributes_so_one_series_stays_one_alert() -> None:
    a = history_event(history("web-1", "disk /", "critical", T0, env="prod", summary="97% full"))
    b = history_event(history("web-1", "disk /", "ok", T0 + 30, env="prod", summary="60% full"))
    other = history_event(history("web-2", "disk /", "critical", T0, env="prod"))
    assert a.attributes["fingerprint"] == b.attributes["fingerprint"] != other.attributes["fingerprint"]


def test_an_event_from_alerter_itself_keeps_its_rule_and_fingerprint() -> None:
    event = history("web-1", "disk /", "critical", T0, rule="host_disk_full", fingerprint="0123456789abcdef")
    assert history_event(event) is event


def test_a_named_rule_without_a_fingerprint_keys_the_fingerprint() -> None:
    event = history_event(history("web-1", "disk /", "critical", T0, rule="host_disk_full", env="prod"))
    assert event.attributes["rule"] == "host_disk_full"
    expected = fingerprint("host_disk_full", {"host": "web-1", "service": "disk /", "env": "prod"})
    assert event.attributes["fingerprint"] == expected


def test_times_may_be_iso_8601_with_an_offset_as_alertmanager_exports_them() -> None:
    lines = [
        '{"host": "a", "service": "s", "state": "ok", "time": "2026-01-05T08:00:00Z"}',
        '{"host": "a", "service": "s", "state": "ok", "time": "2026-01-05T09:00:30.5+01:00"}',
        '{"host": "a", "service": "s", "state": "ok", "time": "1767600000"}',
    ]
    events, problems = read_events(lines, "export.jsonl")
    assert problems == []
    assert [e.time for e in events] == [T0, T0 + 30.5, T0]
