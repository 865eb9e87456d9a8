"""``alerter replay`` time arguments: ISO-8601 with an offset, relative to now, or POSIX seconds."""

from __future__ import annotations

import pytest

from alerter.cli.replay import parse_time

NOW = 1_767_607_200.0  # 2026-01-05T10:00:00Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05T08:00:00Z", 1_767_600_000.0),
        ("2026-01-05T09:00:00+01:00", 1_767_600_000.0),
        ("2026-01-05T08:00:00.5+00:00", 1_767_600_000.5),
        ("now", NOW),
        ("now-2h", NOW - 7200),
        ("now - 1h30m", NOW - 5400),
        ("now+10m", NOW + 600),
        ("1767600000", 1_767_600_000.0),
        ("1767600000.25", 1_767_600_000.25),
        ("  1767600000 ", 1_767_600_000.0),
    ],
)
def test_accepted_times(text: str, expected: float) -> None:
    assert parse_time(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "2026-01-05T08:00:00",
            "time '2026-01-05T08:00:00' has no UTC offset (write e.g. 2026-01-05T08:00:00Z or 2026-01-05T08:00:00+01:00)",
        ),
        (
            "yesterday",
            "time 'yesterday' is not a time (expected ISO-8601 with an offset like 2026-01-05T08:00:00Z, now-2h,"
            " or POSIX seconds)",
        ),
        ("now-2 hours", "time 'now-2 hours': \"2 hours\" is not a duration (expected e.g. 5m, 1h30m)"),
        (
            "now-",
            "time 'now-' is not a time (expected ISO-8601 with an offset like 2026-01-05T08:00:00Z, now-2h, or POSIX seconds)",
        ),
    ],
)
def test_refused_times_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_time(text, NOW)
    assert str(caught.value) == message
