"""Which rotation an incident goes to and who is on call there: a pure function of (labels, on-call
specs, routing policy, instant).

Place in the flow: :mod:`alerter.config.routing` (the checked policy) and
:mod:`alerter.route.rotation` (who is on call) -> here -> :mod:`alerter.route.escalation` (who is
paged when) -> notify. ``alerter route --labels ...`` prints a :class:`RouteDecision`, so every
answer carries the reasons that produced it (the matching route, the rotation's own reasons)::

    >>> d = route({"team": "data", "env": "prod"}, config.rotations, config.policy, at)  # doctest: +SKIP
    >>> d.rotation, d.primary.id, d.sub.id, str(d.final), d.reasons[0]                   # doctest: +SKIP
    ('platform', 'david', 'clara', 'anna', 'route 1 matches {team: data, env: prod}: rotation platform')

The routing policy's escalation for the chosen route is resolved here into an
:class:`EscalationPlan` (plain values), so the escalation planner never looks at the policy
again: a policy reloaded while an incident escalates does not change the timeline promised (and
recorded) when it started.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from alerter.config.oncall import Member, OnCallSpec
from alerter.config.routing import Channel, ChannelType, Escalation, Level, RoutingPolicy
from alerter.incidents.selectors import compile_selector
from alerter.route.rotation import Reason, who_is_on_call


class RouteWhy(StrEnum):
    """How the rotation was chosen."""

    MATCHED = "matched"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    """A final target that is a channel itself (a team list, a chat room), not a person."""

    name: str
    type: ChannelType

    def __str__(self) -> str:
        return f"channel {self.name} ({self.type})"


Target = Member | ChannelTarget
"""Whom a level pages: a person (paged on the level's channels) or a channel (paged as it is)."""


@dataclass(frozen=True, slots=True)
class EscalationPlan:
    """The timings and channels of one route's escalation, as plain values.

    ``self_escalating``: the channels (PagerDuty) whose own escalation policy pages the sub and the
    final target, so alerter only records those steps for them.
    """

    escalate_after: float
    final_after: float
    renotify_every: float
    max_renotify: int
    channels: Mapping[Level, tuple[str, ...]]
    self_escalating: frozenset[str]

    @classmethod
    def of(cls, escalation: Escalation, channels: Mapping[str, Channel]) -> EscalationPlan:
        return cls(
            escalate_after=escalation.escalate_after,
            final_after=escalation.final_delay,
            renotify_every=escalation.renotify_every,
            max_renotify=escalation.max_renotify,
            channels={level: escalation.channels.of(level) for level in Level},
            self_escalating=frozenset(n for n, c in channels.items() if c.type is ChannelType.PAGERDUTY),
        )


@dataclass(frozen=True, slots=True)
class PagerDutyMirror:
    """The PagerDuty escalation policy that mirrors a plan (``alerter oncall sync`` writes it).

    ``delays_minutes[i]`` is rule ``i+1``'s ``escalation_delay_in_minutes``: rule 1 targets the
    Primary schedule, rule 2 the Sub schedule, rule 3 the final member's user (only when the
    final target is a member: a channel has no PagerDuty counterpart). ``num_loops`` repeats the
    rules, as renotify does. PagerDuty re-runs the rules one after another where alerter
    re-pages every level at once, so renotify times agree only at the start of each loop.
    """

    delays_minutes: tuple[int, ...]
    num_loops: int


def pagerduty_mirror(plan: EscalationPlan, final_is_member: bool) -> PagerDutyMirror:
    """The PagerDuty rules' delays (whole minutes, at least 1) and loops for ``plan``."""

    def minutes(seconds: float) -> int:
        return max(1, math.ceil(seconds / 60))

    if final_is_member:
        delays = (plan.escalate_after, plan.final_after, plan.renotify_every)
    else:
        delays = (plan.escalate_after, plan.renotify_every)
    return PagerDutyMirror(tuple(minutes(d) for d in delays), plan.max_renotify)


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """Who is responsible for an incident with these labels at ``at``, and why.

    ``final`` is None when the route has no final level. ``reasons`` are sentences: the route
    first, then the rotation's reasons (order, swaps, overrides), then the final target.
    """

    at: datetime
    rotation: str
    why: RouteWhy
    route: int | None  # index into policy.routing.routes; None: the default
    primary: Member
    sub: Member
    final: Target | None
    plan: EscalationPlan
    reasons: tuple[str, ...]
    rotation_reasons: tuple[Reason, ...] = ()


def matching_route(labels: Mapping[str, str], policy: RoutingPolicy) -> int | None:
    """Index of the first route whose selector matches ``labels``; None: the default route."""
    for i, r in enumerate(policy.routing.routes):
        if compile_selector(r.match)(labels):
            return i
    return None


def route(
    labels: Mapping[str, str],
    spec: OnCallSpec | Mapping[str, OnCallSpec],
    policy: RoutingPolicy,
    at: datetime,
) -> RouteDecision:
    """Route ``labels`` at ``at``: the rotation, its primary and sub, the final target and plan.

    ``spec`` is the on-call spec of each rotation by name (one spec: the rotation it names).
    Raises KeyError if the chosen rotation or final member has no spec or member (a checked
    :class:`~alerter.config.routing.RoutingConfig` has them all), ValueError as
    :func:`~alerter.route.rotation.who_is_on_call` does (naive ``at``, before the rotation).
    """
    index = matching_route(labels, policy)
    rotation = policy.rotation_of(index)
    specs = {spec.rotation.name: spec} if isinstance(spec, OnCallSpec) else spec
    if rotation not in specs:
        raise KeyError(f'rotation "{rotation}" has no on-call spec (given: {", ".join(sorted(specs))})')
    on_call = who_is_on_call(specs[rotation], at)
    escalation = policy.escalation_of(index)
    final = _final(escalation, specs[rotation], policy)
    reasons = (
        _route_reason(labels, policy, index, rotation),
        *(str(r) for r in on_call.reasons),
        *_final_reason(final),
    )
    return RouteDecision(
        at=on_call.at,
        rotation=rotation,
        why=RouteWhy.DEFAULT if index is None else RouteWhy.MATCHED,
        route=index,
        primary=on_call.primary,
        sub=on_call.sub,
        final=final,
        plan=EscalationPlan.of(escalation, policy.channels),
        reasons=reasons,
        rotation_reasons=on_call.reasons,
    )


def _final(escalation: Escalation, spec: OnCallSpec, policy: RoutingPolicy) -> Target | None:
    target = escalation.final
    if target is None:
        return None
    if target.member is not None:
        return spec.member(target.member)
    assert target.channel is not None  # FinalTarget holds exactly one
    return ChannelTarget(target.channel, policy.channels[target.channel].type)


def _route_reason(labels: Mapping[str, str], policy: RoutingPolicy, index: int | None, rotation: str) -> str:
    if index is None:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "no labels"
        return f"no route matches {shown}: the default rotation {rotation}"
    selector = policy.routing.routes[index].match
    return f"route {index + 1} matches {_selector(selector)}: rotation {rotation}"


def _final_reason(final: Target | None) -> tuple[str, ...]:
    if final is None:
        return ()
    who = f"{final.name} ({final.id})" if isinstance(final, Member) else str(final)
    return (f"final target {who} (escalation.final)",)


def _selector(selector: Mapping[str, str | list[str]]) -> str:
    if not selector:
        return "{} (everything)"
    parts = (f"{k}: {v}" if isinstance(v, str) else f"{k}: [{', '.join(v)}]" for k, v in selector.items())
    return "{" + ", ".join(parts) + "}"


__all__ = [
    "ChannelTarget",
    "EscalationPlan",
    "PagerDutyMirror",
    "RouteDecision",
    "RouteWhy",
    "Target",
    "matching_route",
    "pagerduty_mirror",
    "route",
]
