"""Interruptions: the business/off/sleep boundaries in the person's timezone, and the 60 s merge."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from alerter.reports.interruptions import HourClass, Interruptions, classify, interruptions, merged
from alerter.reports.records import PageRow

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
B, O, S = HourClass.BUSINESS, HourClass.OFF, HourClass.SLEEP  # noqa: E741 - a table's columns


def local(zone: ZoneInfo, *parts: int) -> float:
    return datetime(*parts, tzinfo=zone).timestamp()  # type: ignore[arg-type, misc]


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[arg-type, misc]


# 2026-11-16 is a Monday, 2026-11-20 a Friday, 21/22 the weekend
@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ((2026, 11, 16, 0, 0, 0), S),
        ((2026, 11, 16, 7, 59, 59), S),
        ((2026, 11, 16, 8, 0, 0), B),
        ((2026, 11, 16, 17, 59, 59), B),
        ((2026, 11, 16, 18, 0, 0), O),
        ((2026, 11, 16, 21, 59, 59), O),
        ((2026, 11, 16, 22, 0, 0), S),
        ((2026, 11, 20, 17, 59, 59), B),
        ((2026, 11, 20, 18, 0, 0), O),
        ((2026, 11, 20, 22, 0, 0), S),
        ((2026, 11, 21, 7, 59, 59), S),
        ((2026, 11, 21, 8, 0, 0), O),
        ((2026, 11, 21, 12, 0, 0), O),
        ((2026, 11, 22, 21, 59, 59), O),
        ((2026, 11, 22, 22, 0, 0), S),
        ((2026, 11, 23, 8, 0, 0), B),
    ],
)
@pytest.mark.parametrize("zone", [ZoneInfo("UTC"), BERLIN, NEW_YORK])
def test_boundaries_are_half_open_on_the_local_wall_clock(
    wall: tuple[int, ...], expected: HourClass, zone: ZoneInfo
) -> None:
    assert classify(local(zone, *wall), zone) is expected


@pytest.mark.parametrize(
    ("at", "berlin", "new_york"),
    [
        (utc(2026, 11, 16, 13, 0), B, B),  # 14:00 Berlin, 08:00 New York
        (utc(2026, 11, 16, 12, 59, 59), B, S),  # New York 07:59:59
        (utc(2026, 11, 16, 17, 30), O, B),  # 18:30 / 12:30
        (utc(2026, 11, 17, 3, 0), S, S),  # Tue 04:00 / Mon 22:00
        (utc(2026, 11, 21, 12, 30), O, S),  # Sat 13:30 / Sat 07:30
        (utc(2026, 11, 22, 22, 30), S, O),  # Sun 23:30 / Sun 17:30
        (utc(2026, 11, 23, 2, 30), S, O),  # Mon 03:30 / Sun 21:30
        (utc(2026, 11, 20, 22, 0), S, B),  # Fri 23:00 / Fri 17:00
    ],
)
def test_the_same_instant_is_classified_in_each_persons_own_timezone(
    at: float, berlin: HourClass, new_york: HourClass
) -> None:
    assert (classify(at, BERLIN), classify(at, NEW_YORK)) == (berlin, new_york)


@pytest.mark.parametrize(
    ("at", "zone", "expected"),
    [
        # Berlin springs forward on Sun 2026-03-29: 06:59:59Z is 07:59:59 CET on Friday ...
        (utc(2026, 3, 27, 6, 59, 59), BERLIN, S),
        # ... and 08:59:59 CEST on the Monday after, the same UTC time of day
        (utc(2026, 3, 30, 6, 59, 59), BERLIN, B),
        # the DST day itself: Sunday 01:59:59 CET, then 03:00 CEST, then 08:00 CEST = 06:00Z
        (utc(2026, 3, 29, 0, 59, 59), BERLIN, S),
        (utc(2026, 3, 29, 5, 59, 59), BERLIN, S),
        (utc(2026, 3, 29, 6, 0, 0), BERLIN, O),
        # Berlin falls back on Sun 2026-10-25: 21:59:59 CET = 20:59:59Z, 22:00 CET = 21:00Z
        (utc(2026, 10, 25, 20, 59, 59), BERLIN, O),
        (utc(2026, 10, 25, 21, 0, 0), BERLIN, S),
        # New York springs forward on Sun 2026-03-08: Monday 08:00 EDT = 12:00Z, Friday 12:00Z = 07:00 EST
        (utc(2026, 3, 9, 12, 0), NEW_YORK, B),
        (utc(2026, 3, 6, 12, 0), NEW_YORK, S),
        # and falls back on Sun 2026-11-01: Monday 08:00 EST = 13:00Z
        (utc(2026, 11, 2, 12, 59, 59), NEW_YORK, S),
        (utc(2026, 11, 2, 13, 0), NEW_YORK, B),
    ],
)
def test_dst_changes_move_the_boundaries_in_utc(at: float, zone: ZoneInfo, expected: HourClass) -> None:
    assert classify(at, zone) is expected


T = utc(2026, 11, 16, 10, 0)  # Monday 10:00 UTC: business hours


@pytest.mark.parametrize(
    ("offsets", "counted"),
    [
        ([0, 30, 59, 61], [0, 61]),
        ([0, 60], [0, 60]),  # 60 s later is outside the window
        ([0, 59.999], [0]),
        ([0, 50, 100], [0, 100]),  # measured from the counted one: 100 is not merged into 50
        ([61, 0, 30], [0, 61]),  # order of arrival does not matter
        ([], []),
    ],
)
def test_pages_within_60_s_of_the_counted_interruption_merge(
    offsets: list[float], counted: list[float]
) -> None:
    assert merged([T + o for o in offsets]) == [T + c for c in counted]


def page(person: str, at: float, delivered: bool = True) -> PageRow:
    return PageRow(at, "inc", person, "pagerduty", at if delivered else None)


def test_merging_is_per_person() -> None:
    pages = [page("alice", T), page("bob", T + 10), page("alice", T + 30), page("bob", T + 75)]
    assert interruptions(pages, {}) == {"alice": Interruptions(business=1), "bob": Interruptions(business=2)}


def test_classes_are_counted_in_each_persons_zone_and_undelivered_pages_do_not_interrupt() -> None:
    at = utc(2026, 11, 16, 17, 30)  # 18:30 Berlin, 12:30 New York
    pages = [
        page("anna", at),
        page("grace", at),
        page("grace", utc(2026, 11, 17, 4, 0)),  # 23:00 New York
        page("grace", utc(2026, 11, 17, 9, 0), delivered=False),
        page("nobody", utc(2026, 11, 21, 9, 0)),  # not in the map: UTC, Saturday 09:00
    ]
    counts = interruptions(pages, {"anna": BERLIN, "grace": NEW_YORK})
    assert counts == {
        "anna": Interruptions(off=1),
        "grace": Interruptions(business=1, sleep=1),
        "nobody": Interruptions(off=1),
    }
    assert counts["grace"].total == 2
    assert counts["grace"].count(HourClass.SLEEP) == 1


def test_a_merged_burst_is_classified_at_its_first_page() -> None:
    first = local(BERLIN, 2026, 11, 16, 17, 59, 30)  # business, then 18:00:10 would be off
    assert interruptions([page("anna", first), page("anna", first + 40)], {"anna": BERLIN}) == {
        "anna": Interruptions(business=1)
    }
