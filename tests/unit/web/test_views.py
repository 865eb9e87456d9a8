"""The pure parts of the pages: rules ordering and totals, the report range, the on-call view,
time and duration display, and where a login may lead."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alerter.config.oncall import load_oncall
from alerter.errors import Problem
from alerter.evaluate.cycle import RuleStatus
from alerter.reports.volume import Bucket
from alerter.web.pages.login import safe_next
from alerter.web.render import span, when
from alerter.web.views.oncall import oncall_view
from alerter.web.views.report import ReportRange, parse_range
from alerter.web.views.rules import rules_view

NOW = datetime(2026, 3, 8, 20, 0, tzinfo=UTC).timestamp()
ONCALL = Path(__file__).resolve().parents[3] / "rules" / "oncall.yaml"


def status(name: str, group: str, error: str | None = None, series: int = 1, firing: int = 0) -> RuleStatus:
    return RuleStatus(
        name, group, 60.0, f"rules/{group}.yaml:1:1", 5, 1 if error else 0, NOW, 0.01, series, firing, error
    )


def test_rules_failing_first_then_by_group_and_name_with_totals() -> None:
    view = rules_view(
        [
            status("b", "host", series=3, firing=1),
            status("a", "host"),
            status("z", "db", "timeout", series=0),
        ],
        [Problem("rules/y.yaml", 2, 1, "second"), Problem("rules/x.yaml", 9, 3, "first")],
    )
    assert [(r.name, r.healthy) for r in view.rules] == [("z", False), ("a", True), ("b", True)]
    assert (view.total, view.failing, view.firing, view.series) == (3, 1, 1, 4)
    assert view.problems == ["rules/x.yaml:9:3: first", "rules/y.yaml:2:1: second"]


def test_the_default_range_is_the_last_seven_days_including_today() -> None:
    picked = parse_range(None, None, None, NOW)
    assert picked == ReportRange(date(2026, 3, 2), date(2026, 3, 8), Bucket.DAY)
    assert picked.start_ts == datetime(2026, 3, 2, tzinfo=UTC).timestamp()
    assert picked.end_ts == datetime(2026, 3, 9, tzinfo=UTC).timestamp()  # the end day is included
    assert picked.query() == "start=2026-03-02&end=2026-03-08&by=day"


@pytest.mark.parametrize(
    ("start", "end", "by", "message"),
    [
        ("2026-03-09", "2026-03-01", None, "end 2026-03-01 is before start 2026-03-09"),
        ("yesterday", None, None, "start: 'yesterday' is not a date"),
        (None, "2026-13-01", None, "end: '2026-13-01' is not a date"),
        ("2024-01-01", "2026-01-01", None, "at most 366 days"),
        (None, None, "month", "by: 'month' is not one of day, week"),
    ],
)
def test_a_bad_range_says_what_is_wrong(
    start: str | None, end: str | None, by: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_range(start, end, by, NOW)


def test_oncall_view_without_a_rotation_or_before_it_starts() -> None:
    assert oncall_view(None, NOW).configured is False
    spec, problems = load_oncall(ONCALL)
    assert spec is not None and not problems
    early = oncall_view(spec, datetime(2025, 12, 1, tzinfo=UTC).timestamp())
    assert early.configured and early.error is not None and "nobody is on call" in early.error


def test_oncall_view_marks_the_override_and_the_swaps() -> None:
    spec, _ = load_oncall(ONCALL)
    assert spec is not None
    view = oncall_view(spec, datetime(2026, 3, 3, 19, 0, tzinfo=UTC).timestamp(), weeks=4)
    assert (view.week, view.primary and view.primary.id, view.sub and view.sub.id) == (8, "david", "clara")
    assert [w.week for w in view.weeks] == [8, 9, 10, 11, 12]
    week8 = view.weeks[0]
    assert week8.current and [(s.person.id, s.marks) for s in week8.primary] == [
        ("ben", []), ("david", ["override", "unavailable"]), ("ben", []),
    ]  # fmt: skip
    swapped = {w.week: [s.person.id for s in w.primary] for w in view.weeks if w.marked}
    assert swapped == {8: ["ben", "david", "ben"], 10: ["felix"], 12: ["david"]}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0, "0s"),
        (0.012, "12ms"),
        (59, "59s"),
        (60, "1m"),
        (3725, "1h2m"),
        (90061, "1d1h"),
        (604800, "7d"),
    ],
)
def test_span(seconds: float | None, text: str) -> None:
    assert span(seconds) == text


def test_when_is_a_time_element_in_utc() -> None:
    assert str(when(NOW)) == '<time datetime="2026-03-08T20:00:00Z">2026-03-08 20:00 UTC</time>'
    assert str(when(None)) == "&ndash;"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/oncall", "/oncall"),
        ("/incidents/abc-1?x=1", "/incidents/abc-1?x=1"),
        (None, "/incidents"),
        ("", "/incidents"),
        ("//evil.example", "/incidents"),
        ("/\\evil.example", "/incidents"),
        ("https://evil.example/", "/incidents"),
        ("javascript:alert(1)", "/incidents"),
        ("/ok\r\nSet-Cookie: x=1", "/incidents"),
    ],
)
def test_login_leads_only_to_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
