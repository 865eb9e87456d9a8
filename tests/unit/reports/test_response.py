"""Response times (nearest-rank percentiles, excluded-and-counted incidents) and on-call hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerter.config.oncall import OnCallSpec, parse_oncall
from alerter.reports.records import IncidentRow
from alerter.reports.response import OnCallHours, Stats, oncall_hours, percentile, response_times, stats


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        (list(range(1, 11)), 90, 9),
        (list(range(1, 21)), 90, 18),
        ([10, 1, 7, 3, 9, 2, 8, 4, 6, 5], 90, 9),  # order of the input does not matter
        (list(range(1, 12)), 90, 10),  # ceil(9.9) = rank 10
        ([42], 90, 42),
        ([3, 1, 2], 50, 2),
        ([1, 2, 3, 4], 50, 2),
        ([1, 2, 3, 4], 100, 4),
        ([5, 1], 1, 1),
    ],
)
def test_nearest_rank_percentile(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == expected


@pytest.mark.parametrize(("values", "p"), [([], 90), ([1], 0), ([1], 101)])
def test_percentile_refuses_nonsense(values: list[float], p: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, p)


def test_stats_of_a_known_list_and_of_nothing() -> None:
    assert stats([60, 120, 180, 600]) == Stats(4, 0, 240.0, 150.0, 600)
    assert stats([], missing=3) == Stats(0, 3, None, None, None)


T = datetime(2026, 11, 16, tzinfo=UTC).timestamp()


def test_unacked_and_unresolved_incidents_are_excluded_and_counted() -> None:
    incidents = [
        IncidentRow(1, "a", T, acked_at=T + 60, resolved_at=T + 600),
        IncidentRow(2, "b", T + 100, acked_at=T + 400, resolved_at=T + 1900),
        IncidentRow(3, "c", T + 200, resolved_at=T + 500),  # resolved by itself, never acked
        IncidentRow(4, "d", T + 300, acked_at=T + 330),  # still open
        IncidentRow(5, "e", T + 400),  # untouched
        IncidentRow(6, "f", T - 1, acked_at=T, resolved_at=T + 1),  # opened before the range
    ]
    r = response_times(incidents, T, T + 86400)
    assert r.incidents == 5
    assert r.mtta == Stats(3, 2, 130.0, 60.0, 300)
    assert r.mttr == Stats(3, 2, 900.0, 600.0, 1800)


ONCALL = """
rotation:
  name: team
  start: 2026-11-02
  handoff: {weekday: monday, time: "10:00", timezone: UTC}
  order: [anna, ben]
members:
  - {id: anna, name: Anna, email: anna@example.com, pagerduty_user_id: PANNA, timezone: Europe/Berlin}
  - {id: ben, name: Ben, email: ben@example.com, pagerduty_user_id: PBEN, timezone: America/New_York}
  - {id: carl, name: Carl, email: carl@example.com, pagerduty_user_id: PCARL, timezone: UTC}
overrides:
  - {role: primary, member: carl, replaces: ben, start: 2026-11-10T10:00:00+00:00, end: 2026-11-11T10:00:00+00:00}
"""


def spec() -> OnCallSpec:
    loaded, problems = parse_oncall(ONCALL, "oncall.yaml")
    assert loaded is not None, [str(p) for p in problems]
    return loaded


def at(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[arg-type, misc]


def test_oncall_hours_follow_the_rotation_with_overrides_clipped_to_the_range() -> None:
    # week 0 (from Mon 2 Nov 10:00): anna primary, ben sub; week 1 (from 9 Nov): ben primary with
    # carl covering 24 h, anna sub. Range: Sat 7 Nov 00:00 to Sat 14 Nov 00:00 = 168 h.
    hours = oncall_hours(spec(), at(2026, 11, 7), at(2026, 11, 14))
    assert hours == {
        "anna": OnCallHours(primary=58.0, sub=110.0),
        "ben": OnCallHours(primary=86.0, sub=58.0),
        "carl": OnCallHours(primary=24.0, sub=0.0),
    }
    assert sum(h.total for h in hours.values()) == 2 * 168


def test_time_before_the_first_handoff_counts_for_nobody() -> None:
    hours = oncall_hours(spec(), at(2026, 10, 1), at(2026, 11, 2, 12))
    assert hours == {"anna": OnCallHours(2.0, 0.0), "ben": OnCallHours(0.0, 2.0), "carl": OnCallHours()}
    assert oncall_hours(spec(), at(2026, 10, 1), at(2026, 10, 2))["anna"] == OnCallHours()
