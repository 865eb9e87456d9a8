"""Properties of the calendar over random instants, weekdays, times and timezones (hypothesis):
every instant after the epoch falls in exactly one week, whose primary is ``order[week mod n]``
and whose handoff is at the configured local wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from rotation_specs import TEAM, make_spec

from alerter.route.rotation import who_is_on_call

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC", "America/St_Johns"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@settings(max_examples=100, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    size=st.integers(2, len(TEAM)),
    offset_seconds=st.integers(0, 5 * 366 * 86400),
)
def test_every_instant_is_in_exactly_one_week_with_the_ordered_primary(
    zone: str, weekday: int, hour: int, minute: int, size: int, offset_seconds: int
) -> None:
    first = datetime(2026, 1, 5) + timedelta(days=weekday)
    spec = make_spec(
        TEAM[:size],
        start=first.date().isoformat(),
        weekday=WEEKDAYS[weekday],
        at=f"{hour:02d}:{minute:02d}",
        timezone=zone,
    )
    at = spec.handoff_at(0) + timedelta(seconds=offset_seconds)
    week = spec.week_at(at)
    assert spec.handoff_at(week) <= at < spec.handoff_at(week + 1)
    on = who_is_on_call(spec, at)
    assert (on.primary.id, on.sub.id) == (TEAM[week % size], TEAM[(week + 1) % size])
    local = spec.handoff_at(week).astimezone(ZoneInfo(zone))
    assert local.weekday() == weekday
    # the wall time is kept, except a time DST skips, which lands one hour later
    assert (local.hour, local.minute) in {(hour, minute), ((hour + 1) % 24, minute)}
    assert spec.handoff_at(week).tzinfo is UTC
