"""The rotation's calendar: handoffs stay at local wall time across DST, weeks count on across
year ends, and ``week_at`` inverts ``handoff_at`` exactly at the boundaries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rotation_specs import BERLIN, NEW_YORK, make_spec, utc

from alerter.config.oncall import Role

HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("timezone", "at", "week", "start_utc", "hours"),
    [
        # Europe/Berlin, Mondays 10:00: spring forward on Sunday 2026-03-29, fall back 2026-10-25
        (BERLIN, "10:00", 10, "2026-03-16T09:00", 168),
        (BERLIN, "10:00", 11, "2026-03-23T09:00", 167),
        (BERLIN, "10:00", 12, "2026-03-30T08:00", 168),
        (BERLIN, "10:00", 40, "2026-10-12T08:00", 168),
        (BERLIN, "10:00", 41, "2026-10-19T08:00", 169),
        (BERLIN, "10:00", 42, "2026-10-26T09:00", 168),
        # America/New_York, Mondays 09:00: spring forward 2026-03-08, fall back 2026-11-01
        (NEW_YORK, "09:00", 8, "2026-03-02T14:00", 167),
        (NEW_YORK, "09:00", 9, "2026-03-09T13:00", 168),
        (NEW_YORK, "09:00", 42, "2026-10-26T13:00", 169),
        (NEW_YORK, "09:00", 43, "2026-11-02T14:00", 168),
    ],
)
def test_handoff_stays_at_local_wall_time_so_dst_weeks_are_167_or_169_hours(
    timezone: str, at: str, week: int, start_utc: str, hours: int
) -> None:
    spec = make_spec(timezone=timezone, at=at)
    assert spec.handoff_at(week) == utc(start_utc)
    assert spec.handoff_at(week + 1) - spec.handoff_at(week) == hours * HOUR


@pytest.mark.parametrize(
    ("day", "at", "week", "start_utc"),
    [
        # a Sunday 02:30 handoff on the DST days: the missing 02:30 is read with the winter
        # offset (= 03:30 summer time), the doubled 02:30 is its first occurrence (zoneinfo fold=0)
        ("2026-03-01", "02:30", 4, "2026-03-29T01:30"),
        ("2026-03-01", "02:30", 5, "2026-04-05T00:30"),
        ("2026-10-04", "02:30", 3, "2026-10-25T00:30"),
        ("2026-10-04", "02:30", 4, "2026-11-01T01:30"),
    ],
)
def test_handoff_inside_a_dst_change_is_deterministic(day: str, at: str, week: int, start_utc: str) -> None:
    spec = make_spec(start=day, weekday="sunday", at=at)
    assert spec.handoff_at(week) == utc(start_utc)


@pytest.mark.parametrize(
    ("instant", "week"),
    [
        ("2026-01-05T09:00", 0),  # the epoch itself belongs to week 0
        ("2026-01-05T08:59:59", -1),  # before it: nobody's week
        ("2026-03-30T07:59:59", 11),  # last second of the 167-hour week
        ("2026-03-30T08:00", 12),
        ("2026-10-26T08:59:59", 41),  # last second of the 169-hour week
        ("2026-10-26T09:00", 42),
        # year end (ISO 2026 has 53 weeks): one week runs from Mon 28 Dec into 2027
        ("2026-12-28T09:00", 51),
        ("2026-12-31T23:00", 51),
        ("2027-01-01T00:00", 51),
        ("2027-01-04T08:59:59", 51),
        ("2027-01-04T09:00", 52),
        ("2028-01-03T09:00", 104),
    ],
)
def test_week_at_inverts_handoff_at_at_the_boundaries(instant: str, week: int) -> None:
    spec = make_spec()
    assert spec.week_at(utc(instant)) == week


def test_week_at_agrees_with_handoff_at_for_ten_years_of_weeks() -> None:
    for timezone in (BERLIN, NEW_YORK):
        spec = make_spec(timezone=timezone)
        for week in range(0, 520):
            start = spec.handoff_at(week)
            assert spec.week_at(start) == week
            assert spec.week_at(start - timedelta(seconds=1)) == week - 1


def test_week_at_refuses_a_naive_datetime() -> None:
    spec = make_spec()
    with pytest.raises(ValueError, match="naive datetime 2026-03-02T10:00:00 has no timezone"):
        spec.week_at(utc("2026-03-02T10:00").replace(tzinfo=None))


@pytest.mark.parametrize(
    ("week", "primary", "sub"),
    [
        (0, "anna", "ben"),
        (5, "felix", "anna"),
        (6, "anna", "ben"),
        (51, "david", "eva"),
        (52, "eva", "felix"),
    ],
)
def test_primary_is_order_i_mod_n_and_sub_the_next(week: int, primary: str, sub: str) -> None:
    spec = make_spec()
    assert spec.scheduled(Role.PRIMARY, week) == (primary, None)
    assert spec.scheduled(Role.SUB, week) == (sub, None)


@pytest.mark.parametrize(("offset", "week", "sub"), [(2, 0, "clara"), (3, 4, "ben"), (5, 0, "felix")])
def test_sub_offset_picks_the_sub_further_down_the_order(offset: int, week: int, sub: str) -> None:
    assert make_spec(sub_offset=offset).scheduled(Role.SUB, week)[0] == sub
