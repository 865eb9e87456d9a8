"""Who is on call, and why: pure functions of (on-call spec, instant).

Place in the flow: :mod:`alerter.config.oncall` (the checked spec and its calendar) -> here ->
routing/notify (whom to page), the ``alerter oncall`` command and the iCalendar feed
(:mod:`alerter.route.ical`). The semantics (weeks, swaps, overrides, unavailability) are written
down in :mod:`alerter.config.oncall`; this module only answers questions about them, each answer
carrying the named reasons that produced it so ``alerter route`` and the UI can say why::

    >>> on = who_is_on_call(spec, datetime(2026, 3, 3, 19, 0, tzinfo=UTC))   # doctest: +SKIP
    >>> on.primary.id, [str(r) for r in on.reasons]                          # doctest: +SKIP
    ('david', ['primary of week 8 ...: ben by the order', 'override 1: david replaces ben ...', ...])

Instants are aware datetimes (any timezone); results are in UTC. Nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from alerter.config.oncall import Member, OnCallSpec, Role, Segment


class Why(StrEnum):
    """What put a person in a role: the order, a swap of weeks, an override; or why they are not."""

    SCHEDULE = "schedule"
    SWAP = "swap"
    OVERRIDE = "override"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class Reason:
    """One named cause of an assignment, with a sentence for people."""

    why: Why
    role: Role
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class OnCall:
    """Who holds each role at ``at`` (UTC), in which rotation week, and every reason that applied."""

    at: datetime
    week: int
    primary: Member
    sub: Member
    reasons: tuple[Reason, ...]

    def member(self, role: Role) -> Member:
        return self.primary if role is Role.PRIMARY else self.sub


@dataclass(frozen=True, slots=True)
class Shift:
    """One person in one role over ``[start, end)`` (UTC): a calendar event, a table row."""

    role: Role
    member: Member
    start: datetime
    end: datetime
    week: int
    reasons: tuple[Reason, ...]


def who_is_on_call(spec: OnCallSpec, at: datetime) -> OnCall:
    """Primary and sub at ``at``, with the reasons (order, swap, override, unavailability).

    Raises ValueError for a naive ``at`` or one before the rotation's first handoff (nobody is on
    call then; a checked spec has no other gaps).
    """
    week = _week(spec, at)
    at = at.astimezone(UTC)
    segments = {role: spec.on_call(role, at) for role in Role}
    reasons = tuple(r for role in Role for r in _reasons(spec, segments[role], at))
    return OnCall(
        at,
        week,
        spec.member(segments[Role.PRIMARY].member),
        spec.member(segments[Role.SUB].member),
        reasons,
    )


def shifts(spec: OnCallSpec, at: datetime, weeks: int) -> list[Shift]:
    """Every shift of both roles in ``weeks`` whole weeks, from the start of the week of ``at``.

    An override splits a week into separate shifts. Sorted by start, primary before sub.
    Raises ValueError as :func:`who_is_on_call` does, or for ``weeks`` < 1.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1 (got {weeks})")
    first = _week(spec, at)
    start, end = spec.handoff_at(first), spec.handoff_at(first + weeks)
    out = [
        Shift(role, spec.member(seg.member), seg.start, seg.end, seg.week, _reasons(spec, seg, seg.start))
        for role in Role
        for seg in spec.segments(role, start, end)
    ]
    return sorted(out, key=lambda s: (s.start, list(Role).index(s.role)))


def next_handoff(spec: OnCallSpec, at: datetime) -> datetime:
    """The first handoff strictly after ``at`` (UTC)."""
    return spec.handoff_at(_week(spec, at) + 1)


def _week(spec: OnCallSpec, at: datetime) -> int:
    week = spec.week_at(at)
    if week < 0:
        raise ValueError(
            f'rotation "{spec.rotation.name}" starts at {_local(spec, spec.handoff_at(0))}: '
            f"nobody is on call at {at.isoformat()}"
        )
    return week


def _reasons(spec: OnCallSpec, seg: Segment, at: datetime) -> tuple[Reason, ...]:
    """Why ``seg.member`` holds ``seg.role`` at ``at``, in the order the causes were applied."""
    role, week = seg.role, seg.week
    scheduled, _ = spec.scheduled(role, week)
    span = f"from {_local(spec, spec.handoff_at(week))} to {_local(spec, spec.handoff_at(week + 1))}"
    out = [
        Reason(Why.SCHEDULE, role, f"{role} of week {week} {span}: {spec.in_slot(role, week)} by the order")
    ]
    if seg.swap is not None:
        swap = spec.swaps[seg.swap]
        days = " and ".join(str(d) for d in swap.weeks)
        out.append(
            Reason(
                Why.SWAP,
                role,
                f"swap {seg.swap + 1}: weeks of {days} exchanged, so {scheduled} instead of {spec.in_slot(role, week)}{_why(swap.reason)}",
            )
        )
    unavailable = spec.unavailable_at(scheduled, at)
    if seg.override is not None:
        o = spec.overrides[seg.override]
        out.append(
            Reason(
                Why.OVERRIDE,
                role,
                f"override {seg.override + 1}: {o.member} replaces {scheduled} as {role} "
                f"from {_local(spec, o.start)} to {_local(spec, o.end)}{_why(o.reason)}",
            )
        )
    if unavailable is not None:
        u = spec.unavailability[unavailable]
        start, end = u.span(spec.member_zone(u.member))
        covered = "" if seg.override is not None else "; NOT covered"
        out.append(
            Reason(
                Why.UNAVAILABLE,
                role,
                f"{scheduled} is unavailable from {_local(spec, start)} to {_local(spec, end)}{_why(u.reason)}{covered}",
            )
        )
    return tuple(out)


def _why(reason: str) -> str:
    return f" ({reason})" if reason else ""


def _local(spec: OnCallSpec, moment: datetime) -> str:
    """An instant in the rotation's timezone, to the minute: ``2026-03-09T10:00+01:00``."""
    return moment.astimezone(spec.zone).isoformat(timespec="minutes")


__all__ = ["OnCall", "Reason", "Shift", "Why", "next_handoff", "shifts", "who_is_on_call"]
