"""The escalation planner: who is paged for one incident, when, until someone acknowledges.

Place in the flow: :mod:`alerter.route.routing` (a :class:`RouteDecision` at the incident's start)
-> here (``start``, then ``tick`` on every engine tick, ``stop`` on ack/resolve) -> notify, which
turns each :class:`PageIntent` into an outbox row. Pure: the state is plain data the store saves
with the incident, and every function returns a new state and the pages now due::

    state, pages = start("inc-42", t0, decision)       # the primary at t0
    state, pages = tick(state, t0 + 600)               # unacknowledged: the sub at t0+10m
    state = stop(state, Stopped.ACKNOWLEDGED, t0 + 700)
    state, pages = tick(state, t0 + 1200)              # [] - an ack stops escalation

Timeline (``escalate_after`` E, ``final_after`` F, ``renotify_every`` R, ``max_renotify`` N):
the primary at ``t0``; the sub at ``t0+E``; the final target at ``t0+E+F`` (if the route has one);
then every level reached is paged again at ``last+R``, ``last+2R``, ... N times. A tick that finds
several renotifies overdue (the engine was down) sends one, counting the ones it skipped.

**The responder is fixed at the start.** The Primary on call when the incident started keeps it
across a handoff (they have the context); the new Primary learns about it from the handoff
summary (:mod:`alerter.route.handoff`). A reopened incident starts a new escalation.

**PagerDuty.** alerter sends one Events v2 trigger per incident (``dedup_key`` = incident key) to
ONE PagerDuty service whose escalation policy mirrors this timeline: level 1 the Primary schedule,
level 2 the Sub schedule after ``escalate_after``, level 3 the final target, ``num_loops`` for
renotify. ``alerter oncall sync`` keeps it in sync. Events v2 cannot address a person, so
PagerDuty does the person-level notification and escalation, as it really works. This planner
computes the same timeline, so the incident's timeline and reports say who was responsible at
each step; it drives escalation itself on channels without an escalation engine (e-mail,
webhook/Slack), and stops when an ack or resolve arrives (our API, or PagerDuty webhooks v3).
So on a PagerDuty channel only the primary step is sent; later steps are ``send=False`` (recorded).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from alerter.config.durations import format_duration
from alerter.config.oncall import Member
from alerter.config.routing import ChannelType, Level
from alerter.route.routing import ChannelTarget, EscalationPlan, RouteDecision, Target


class Step(StrEnum):
    """Which step of the escalation a page is."""

    PRIMARY = "primary"
    SUB = "sub"
    FINAL = "final"
    RENOTIFY = "renotify"


class Stopped(StrEnum):
    """Why an escalation pages nobody any more."""

    ACKNOWLEDGED = "ack"
    RESOLVED = "resolve"
    EXHAUSTED = "exhausted"  # every step and renotify was paged; nothing more is planned


@dataclass(frozen=True, slots=True)
class PageIntent:
    """One page due: ``target`` on ``channel`` at ``due_at``; the notify stage makes it a row.

    ``target`` is a person (the channel addresses them: their e-mail, their PagerDuty user) or a
    :class:`ChannelTarget` paged as it is. ``send`` is False when the channel escalates by itself
    (PagerDuty): the step is recorded on the incident's timeline, not sent.
    """

    incident_key: str
    step: Step
    level: Level
    target: Target
    channel: str
    due_at: float
    reason: str
    send: bool = True


@dataclass(frozen=True, slots=True)
class EscalationState:
    """Where one incident's escalation is. ``level`` is the highest level paged, at ``level_at``;
    ``next_at`` the next step (None: nothing planned); ``renotified`` renotifies sent so far."""

    incident_key: str
    started_at: float
    rotation: str
    responder: Member
    sub: Member
    final: Target | None
    plan: EscalationPlan
    level: Level
    level_at: float
    next_at: float | None
    renotified: int = 0
    stopped_reason: Stopped | None = None
    stopped_at: float | None = None

    @property
    def active(self) -> bool:
        """True while a later step is planned."""
        return self.next_at is not None and self.stopped_reason is None

    def target(self, level: Level) -> Target | None:
        return {Level.PRIMARY: self.responder, Level.SUB: self.sub, Level.FINAL: self.final}[level]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain data (the store keeps it with the incident); see :meth:`from_dict`."""
        return {
            "incident_key": self.incident_key,
            "started_at": self.started_at,
            "rotation": self.rotation,
            "responder": self.responder.model_dump(mode="json"),
            "sub": self.sub.model_dump(mode="json"),
            "final": _target_dict(self.final),
            "plan": _plan_dict(self.plan),
            "level": self.level.value,
            "level_at": self.level_at,
            "next_at": self.next_at,
            "renotified": self.renotified,
            "stopped_reason": None if self.stopped_reason is None else self.stopped_reason.value,
            "stopped_at": self.stopped_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EscalationState:
        """The inverse of :meth:`to_dict`. Raises KeyError/ValueError on data it did not write."""
        reason = data["stopped_reason"]
        return cls(
            incident_key=data["incident_key"],
            started_at=float(data["started_at"]),
            rotation=data["rotation"],
            responder=Member.model_validate(data["responder"]),
            sub=Member.model_validate(data["sub"]),
            final=_target_from(data["final"]),
            plan=_plan_from(data["plan"]),
            level=Level(data["level"]),
            level_at=float(data["level_at"]),
            next_at=None if data["next_at"] is None else float(data["next_at"]),
            renotified=int(data["renotified"]),
            stopped_reason=None if reason is None else Stopped(reason),
            stopped_at=None if data["stopped_at"] is None else float(data["stopped_at"]),
        )


def start(
    incident_key: str, started_at: float, decision: RouteDecision
) -> tuple[EscalationState, list[PageIntent]]:
    """Start escalating a paging incident: the primary's pages now, the sub's planned.

    ``decision`` is the route at the incident's start; its primary becomes the responder for
    the incident's whole life, and its plan the timeline (see the module docstring).
    """
    plan = decision.plan
    state = EscalationState(
        incident_key=incident_key,
        started_at=started_at,
        rotation=decision.rotation,
        responder=decision.primary,
        sub=decision.sub,
        final=decision.final,
        plan=plan,
        level=Level.PRIMARY,
        level_at=started_at,
        next_at=started_at + plan.escalate_after,
    )
    who = _who(decision.primary)
    reason = f"{who} is primary of rotation {decision.rotation} at the incident's start"
    return state, _pages(state, Step.PRIMARY, Level.PRIMARY, started_at, reason)


def tick(state: EscalationState, now: float) -> tuple[EscalationState, list[PageIntent]]:
    """Every step due at or before ``now``, in order; the state after them. A stopped or
    finished escalation returns itself and []."""
    out: list[PageIntent] = []
    while state.active and state.next_at is not None and state.next_at <= now:
        state, pages = _step(state, now)
        out += pages
    return state, out


def stop(state: EscalationState, reason: Stopped, at: float) -> EscalationState:
    """No more pages: ``reason`` is an ack or a resolve at ``at``.

    A resolve after an ack updates the reason (reports show the final outcome); ``stopped_at``
    stays when the pages stopped. Stopping an exhausted escalation records the ack or resolve.
    """
    if reason is Stopped.EXHAUSTED:
        raise ValueError("stop() takes an ack or a resolve; exhausted is the planner's own outcome")
    if state.stopped_reason is Stopped.RESOLVED:
        return state
    if state.stopped_reason is Stopped.ACKNOWLEDGED:
        return replace(state, stopped_reason=reason)
    return replace(state, stopped_reason=reason, stopped_at=at, next_at=None)


def timeline(incident_key: str, started_at: float, decision: RouteDecision) -> list[PageIntent]:
    """Every page of an incident nobody acknowledges, from the start to the last renotify."""
    state, out = start(incident_key, started_at, decision)
    while state.active and state.next_at is not None:
        state, pages = tick(state, state.next_at)
        out += pages
    return out


# ---------------------------------------------------------------------------------------------


def _step(state: EscalationState, now: float) -> tuple[EscalationState, list[PageIntent]]:
    """Take the one step due at ``state.next_at``."""
    plan, due = state.plan, state.next_at
    assert due is not None  # only called while active
    waited = format_duration(due - state.started_at)
    if state.level is Level.PRIMARY:
        reason = f"not acknowledged {waited} after the page to {state.responder.id}: escalating to the sub {_who(state.sub)}"
        after = plan.final_after if state.final is not None else plan.renotify_every
        new = _settled(
            replace(state, level=Level.SUB, level_at=due, next_at=_planned(state, due + after, Level.SUB))
        )
        return new, _pages(new, Step.SUB, Level.SUB, due, reason)
    if state.level is Level.SUB and state.final is not None:
        reason = f"not acknowledged {waited} after the first page: escalating to the final target {_who(state.final)}"
        next_at = _planned(state, due + plan.renotify_every, Level.FINAL)
        new = _settled(replace(state, level=Level.FINAL, level_at=due, next_at=next_at))
        return new, _pages(new, Step.FINAL, Level.FINAL, due, reason)
    return _renotify(state, now)


def _settled(state: EscalationState) -> EscalationState:
    """Mark an escalation with nothing more planned as exhausted (at its last step)."""
    if state.next_at is None and state.stopped_reason is None:
        return replace(state, stopped_reason=Stopped.EXHAUSTED, stopped_at=state.level_at)
    return state


def _planned(state: EscalationState, at: float, level: Level) -> float | None:
    """``at`` if a step follows ``level``: a final level, or a renotify allowed by the plan."""
    if level is Level.SUB and state.final is not None:
        return at
    return at if state.plan.max_renotify > 0 else None


def _renotify(state: EscalationState, now: float) -> tuple[EscalationState, list[PageIntent]]:
    """The latest renotify due by ``now`` (the ones it makes overdue are counted, not sent)."""
    plan = state.plan
    due_count = min(plan.max_renotify, math.floor((now - state.level_at) / plan.renotify_every))
    count = max(due_count, state.renotified + 1)
    due = state.level_at + count * plan.renotify_every
    skipped = count - state.renotified - 1
    done = count >= plan.max_renotify
    new = replace(
        state,
        renotified=count,
        next_at=None if done else due + plan.renotify_every,
        stopped_reason=Stopped.EXHAUSTED if done else None,
        stopped_at=due if done else None,
    )
    missed = f"; {skipped} earlier renotify{'s' if skipped > 1 else ''} not sent (overdue)" if skipped else ""
    reason = (
        f"renotify {count} of {plan.max_renotify}: not acknowledged "
        f"{format_duration(due - state.started_at)} after the first page{missed}"
    )
    pages = [
        p for level in Level if _reached(state, level) for p in _pages(new, Step.RENOTIFY, level, due, reason)
    ]
    return new, pages


def _reached(state: EscalationState, level: Level) -> bool:
    return level.number <= state.level.number and state.target(level) is not None


def _pages(state: EscalationState, step: Step, level: Level, due: float, reason: str) -> list[PageIntent]:
    """One intent per channel of ``level`` (a channel target: that channel alone)."""
    target = state.target(level)
    assert target is not None  # callers page only levels that have a target
    if isinstance(target, ChannelTarget):
        return [PageIntent(state.incident_key, step, level, target, target.name, due, reason, send=True)]
    return [
        PageIntent(
            state.incident_key,
            step,
            level,
            target,
            channel,
            due,
            reason,
            # PagerDuty got the one trigger at the start; its own policy pages the later levels
            send=step is Step.PRIMARY or channel not in state.plan.self_escalating,
        )
        for channel in state.plan.channels[level]
    ]


def _who(target: Target) -> str:
    return f"{target.name} ({target.id})" if isinstance(target, Member) else str(target)


def _target_dict(target: Target | None) -> dict[str, Any] | None:
    if target is None:
        return None
    if isinstance(target, ChannelTarget):
        return {"channel": target.name, "type": target.type.value}
    return {"member": target.model_dump(mode="json")}


def _target_from(data: Mapping[str, Any] | None) -> Target | None:
    if data is None:
        return None
    if "channel" in data:
        return ChannelTarget(data["channel"], ChannelType(data["type"]))
    return Member.model_validate(data["member"])


def _plan_dict(plan: EscalationPlan) -> dict[str, Any]:
    return {
        "escalate_after": plan.escalate_after,
        "final_after": plan.final_after,
        "renotify_every": plan.renotify_every,
        "max_renotify": plan.max_renotify,
        "channels": {level.value: list(names) for level, names in plan.channels.items()},
        "self_escalating": sorted(plan.self_escalating),
    }


def _plan_from(data: Mapping[str, Any]) -> EscalationPlan:
    return EscalationPlan(
        escalate_after=float(data["escalate_after"]),
        final_after=float(data["final_after"]),
        renotify_every=float(data["renotify_every"]),
        max_renotify=int(data["max_renotify"]),
        channels={Level(k): tuple(v) for k, v in data["channels"].items()},
        self_escalating=frozenset(data["self_escalating"]),
    )


__all__ = ["EscalationState", "PageIntent", "Step", "Stopped", "start", "stop", "tick", "timeline"]
