"""Handoff summaries: when the Primary changes, the new Primary learns what is still open.

Place in the flow: :mod:`alerter.config.oncall` (when the Primary changes) and the open incidents
with their :class:`~alerter.route.escalation.EscalationState` -> here -> notify (one message to
the new Primary). Pure: the engine calls :func:`handoff_summaries` on every tick with the span
since its previous tick, ``(since, until]``, so each change of Primary yields exactly one summary
however the ticks fall.

An open incident keeps its responder (the Primary at its start, see
:mod:`alerter.route.escalation`); the summary tells the new Primary who has each one, how old it
is and whether anyone acknowledged it, so nobody takes an incident over silently::

    >>> print(handoff_summary(open_incidents, ben, clara, at).text())   # doctest: +SKIP
    Handoff 2026-03-09T10:00+01:00: primary Ben Schulz (ben) -> Clara Wolf (clara)
    1 open incident, its responder stays on it:
      inc-7  triggered  critical  open 45m  responder Ben Schulz (ben), paged up to sub  disk full on db-1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from alerter.config.durations import format_duration
from alerter.config.oncall import Member, OnCallSpec, Role
from alerter.config.routing import Level
from alerter.incidents.lifecycle import IncidentSnapshot, IncidentStatus
from alerter.route.escalation import EscalationState, Stopped

OpenIncident = tuple[IncidentSnapshot, EscalationState | None]
"""An incident and its escalation (None: it never paged, e.g. a warning in reports only)."""


@dataclass(frozen=True, slots=True)
class Handoff:
    """The Primary of ``rotation`` changes from ``old`` to ``new`` at ``at`` (UTC)."""

    rotation: str
    at: datetime
    old: Member
    new: Member


@dataclass(frozen=True, slots=True)
class HandoffLine:
    """One open incident as the new Primary sees it."""

    key: str
    title: str
    status: IncidentStatus
    severity: str
    age: float
    responder: Member | None
    level: Level | None
    stopped: Stopped | None


@dataclass(frozen=True, slots=True)
class HandoffSummary:
    """What ``new`` receives at ``at``: the open incidents, unacknowledged first, oldest first."""

    at: datetime
    old: Member
    new: Member
    incidents: tuple[HandoffLine, ...]

    def text(self) -> str:
        """Plain text for e-mail or chat, times in the new Primary's own timezone."""
        zone = ZoneInfo(self.new.timezone)
        head = f"Handoff {self.at.astimezone(zone).isoformat(timespec='minutes')}: primary {_who(self.old)} -> {_who(self.new)}"
        n = len(self.incidents)
        if not n:
            return f"{head}\nNo open incidents."
        lines = [
            head,
            f"{n} open incident{'s' if n != 1 else ''}, {'its responder stays' if n == 1 else 'their responders stay'} on {'it' if n == 1 else 'them'}:",
        ]
        lines += [f"  {_line(i)}" for i in self.incidents]
        return "\n".join(lines)


def primary_handoffs(spec: OnCallSpec, since: datetime, until: datetime) -> list[Handoff]:
    """Every change of the Primary in ``(since, until]``: rotation handoffs and overrides alike.

    A week whose Primary stays the same person (after a swap) is no handoff. Nothing happens
    before the rotation's first handoff.
    """
    start = max(since, spec.handoff_at(0))
    if until <= start:
        return []
    pieces = spec.segments(Role.PRIMARY, start, until + timedelta(microseconds=1))
    return [
        Handoff(spec.rotation.name, b.start, spec.member(a.member), spec.member(b.member))
        for a, b in pairwise(pieces)
        if a.member != b.member and since < b.start <= until
    ]


def handoff_summary(
    open_incidents: Sequence[OpenIncident], old: Member, new: Member, at: datetime
) -> HandoffSummary:
    """The summary for ``new`` at ``at``: every incident still open, with responder, age, status."""
    now = at.timestamp()
    lines = [
        _summarise(incident, escalation, now) for incident, escalation in open_incidents if incident.is_open
    ]
    lines.sort(key=lambda line: (line.status is not IncidentStatus.TRIGGERED, -line.age, line.key))
    return HandoffSummary(at, old, new, tuple(lines))


def handoff_summaries(
    spec: OnCallSpec, open_incidents: Sequence[OpenIncident], since: datetime, until: datetime
) -> list[HandoffSummary]:
    """One summary per change of Primary in ``(since, until]`` (call with consecutive spans).

    ``open_incidents`` are those of ``spec``'s rotation (the caller filters by
    ``EscalationState.rotation``); an incident opened after a handoff is not listed in it.
    """
    return [
        handoff_summary(
            [(i, e) for i, e in open_incidents if i.opened_at <= h.at.timestamp()], h.old, h.new, h.at
        )
        for h in primary_handoffs(spec, since, until)
    ]


def _summarise(incident: IncidentSnapshot, escalation: EscalationState | None, now: float) -> HandoffLine:
    return HandoffLine(
        key=incident.key,
        title=incident.title,
        status=incident.status,
        severity=incident.severity.value,
        age=max(0.0, now - incident.opened_at),
        responder=None if escalation is None else escalation.responder,
        level=None if escalation is None else escalation.level,
        stopped=None if escalation is None else escalation.stopped_reason,
    )


def _line(i: HandoffLine) -> str:
    if i.responder is None:
        who = "no responder (did not page)"
    else:
        who = f"responder {_who(i.responder)}, paged up to {i.level}"
        if i.stopped is Stopped.ACKNOWLEDGED:
            who = f"responder {_who(i.responder)}, acknowledged"
    return f"{i.key}  {i.status}  {i.severity}  open {format_duration(round(i.age))}  {who}  {i.title}"


def _who(m: Member) -> str:
    return f"{m.name} ({m.id})"


__all__ = [
    "Handoff",
    "HandoffLine",
    "HandoffSummary",
    "OpenIncident",
    "handoff_summaries",
    "handoff_summary",
    "primary_handoffs",
]
