"""What the on-call page and ``/api/v1/oncall`` show: this week's primary and sub, the next weeks.

Place in the flow: :mod:`alerter.config.oncall` (the spec) -> :mod:`alerter.route.rotation`
(``who_is_on_call``, ``shifts``) -> **here**. Each shift carries its marks (``override``,
``swap``, ``unavailable``) so the calendar can show at a glance which weeks differ from the
plain order, and the reasons as sentences for the person who wonders why.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from alerter.config.oncall import Member, OnCallSpec
from alerter.route.rotation import Reason, Shift, Why, next_handoff, shifts, who_is_on_call

CALENDAR_WEEKS = 8
ICAL_PATH = "/oncall.ics"


class PersonOut(BaseModel):
    id: str
    name: str
    timezone: str


class ShiftOut(BaseModel):
    role: str
    person: PersonOut
    start: datetime
    end: datetime
    week: int
    marks: list[str]
    reasons: list[str]


class WeekOut(BaseModel):
    """One rotation week: its handoffs and the shifts of both roles (several if overridden)."""

    week: int
    start: datetime
    end: datetime
    current: bool
    primary: list[ShiftOut]
    sub: list[ShiftOut]

    @property
    def marked(self) -> bool:
        return any(s.marks for s in (*self.primary, *self.sub))


class OnCallOut(BaseModel):
    """``configured`` False: there is no rotation (the rest is empty)."""

    configured: bool
    rotation: str | None = None
    timezone: str | None = None
    at: datetime | None = None
    week: int | None = None
    primary: PersonOut | None = None
    sub: PersonOut | None = None
    reasons: list[str] = []
    next_handoff: datetime | None = None
    weeks: list[WeekOut] = []
    ical_url: str = ICAL_PATH
    error: str | None = None


def oncall_view(spec: OnCallSpec | None, now: float, weeks: int = CALENDAR_WEEKS) -> OnCallOut:
    """Who is on call at ``now`` and the calendar of this week plus the next ``weeks``."""
    if spec is None:
        return OnCallOut(configured=False)
    at = datetime.fromtimestamp(now, UTC)
    try:
        on = who_is_on_call(spec, at)
        upcoming = shifts(spec, at, weeks + 1)
    except ValueError as exc:  # before the rotation's first handoff
        return OnCallOut(configured=True, rotation=spec.rotation.name, error=str(exc))
    return OnCallOut(
        configured=True,
        rotation=spec.rotation.name,
        timezone=spec.rotation.handoff.timezone,
        at=at,
        week=on.week,
        primary=_person(on.primary),
        sub=_person(on.sub),
        reasons=[str(r) for r in on.reasons],
        next_handoff=next_handoff(spec, at),
        weeks=_weeks(spec, upcoming, on.week),
    )


def _weeks(spec: OnCallSpec, all_shifts: list[Shift], current: int) -> list[WeekOut]:
    numbers = sorted({s.week for s in all_shifts})
    out = []
    for week in numbers:
        mine = [s for s in all_shifts if s.week == week]
        out.append(
            WeekOut(
                week=week,
                start=spec.handoff_at(week),
                end=spec.handoff_at(week + 1),
                current=week == current,
                primary=[_shift(s) for s in mine if s.role.value == "primary"],
                sub=[_shift(s) for s in mine if s.role.value == "sub"],
            )
        )
    return out


def _shift(s: Shift) -> ShiftOut:
    return ShiftOut(
        role=s.role.value,
        person=_person(s.member),
        start=s.start,
        end=s.end,
        week=s.week,
        marks=_marks(s.reasons),
        reasons=[str(r) for r in s.reasons],
    )


def _marks(reasons: tuple[Reason, ...]) -> list[str]:
    return sorted({r.why.value for r in reasons if r.why is not Why.SCHEDULE})


def _person(m: Member) -> PersonOut:
    return PersonOut(id=m.id, name=m.name, timezone=m.timezone)


__all__ = ["CALENDAR_WEEKS", "ICAL_PATH", "OnCallOut", "ShiftOut", "WeekOut", "oncall_view"]
