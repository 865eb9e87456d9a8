"""The routing and escalation file (``rules/routing.yaml``): strict schema and its checks, each
problem as ``path:line:col``.

Place in the flow: config (this module: what the file says) -> :mod:`alerter.route.routing` (which
rotation an incident's labels route to, who is on call there) -> :mod:`alerter.route.escalation`
(who is paged when until someone acknowledges) -> notify (one outbox row per page)::

    channels:                            # where pages can go; secrets live in settings, not here
      pagerduty: {type: pagerduty}       # the ONE PagerDuty service (Events v2) alerter sends to
      leads-email: {type: email, to: [platform-leads@example.com]}
      person-email: {type: email}        # no ``to``: the responsible person's own address
      ops-slack: {type: webhook, format: slack, url_env: ALERTER_WEBHOOK_OPS_SLACK}
    escalation:                          # the default for every route
      escalate_after: 10m                # primary unacknowledged this long -> the sub is paged
      final: {channel: leads-email}      # or {member: anna}; after the sub, as long again
      renotify_every: 30m                # then every level is paged again this often ...
      max_renotify: 2                    # ... at most this many times
      channels: {primary: [pagerduty], sub: [pagerduty], final: [leads-email]}
    routing:
      rotations: {platform: oncall.yaml, data: oncall-data.yaml}  # name -> file, relative to this one
      routes:                            # first match wins
        - match: {team: data}
          rotation: data
          escalation: {escalate_after: 5m}   # overrides the default's fields for this route
      default: platform                  # when no route matches

Semantics (decided here, relied upon by :mod:`alerter.route`):

* A route's ``match`` is a selector as in ``correlation.yaml``: every label must have one of its
  values; ``{}`` matches everything. Routes are tried in file order; none matching means
  ``default``.
* ``final_after`` (default: ``escalate_after``) is the time from the sub's page to the final
  target's. Without ``final`` there are two levels. Renotify re-pages every level reached,
  ``renotify_every`` after the last step, ``max_renotify`` times; ``max_renotify: 0`` never.
* A ``final`` that is a channel pages that channel itself (a team list, a chat room); a member is
  paged on ``channels.final``.

:func:`load_routing` validates the file alone (schema, channel and rotation names);
:func:`check_routing` also loads the rotation files and checks member names against them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from alerter.config.correlation import Selector, check_selector
from alerter.config.durations import Duration, format_duration
from alerter.config.oncall import EMAIL_PATTERN, MEMBER_ID_PATTERN, OnCallSpec, load_oncall
from alerter.config.rules import NAME_PATTERN, StrictModel
from alerter.config.yamlsource import Loc, PositionedData, load_yaml, parse_yaml, validate
from alerter.errors import Problem

ENV_NAME_PATTERN = r"^[A-Z_][A-Z0-9_]*$"


class ChannelType(StrEnum):
    """How a channel delivers: PagerDuty escalates by itself; e-mail and webhooks do not."""

    PAGERDUTY = "pagerduty"
    EMAIL = "email"
    WEBHOOK = "webhook"


class Level(StrEnum):
    """An escalation level: who is responsible at that step."""

    PRIMARY = "primary"
    SUB = "sub"
    FINAL = "final"

    @property
    def number(self) -> int:
        """1, 2, 3: PagerDuty's escalation rule index plus one."""
        return list(Level).index(self) + 1


class Channel(StrictModel):
    """One place pages go. ``to`` is for e-mail only; ``format``/``url_env`` for webhooks only."""

    type: ChannelType
    to: tuple[str, ...] = ()
    format: Literal["generic", "slack"] | None = None
    url_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if not re.match(EMAIL_PATTERN, address):
                raise ValueError(f'"{address}" is not an e-mail address')
        return value

    @model_validator(mode="after")
    def _options_fit_type(self) -> Channel:
        if self.to and self.type is not ChannelType.EMAIL:
            raise ValueError(f'"to" is for e-mail channels (this one is {self.type})')
        if (self.format or self.url_env) and self.type is not ChannelType.WEBHOOK:
            raise ValueError(f'"format" and "url_env" are for webhook channels (this one is {self.type})')
        if self.type is ChannelType.WEBHOOK and not self.url_env:
            raise ValueError('a webhook channel needs "url_env" (the variable holding its URL, a secret)')
        return self


class FinalTarget(StrictModel):
    """The last level: a member of the routed rotation, or a channel paged as it is."""

    member: str | None = Field(default=None, pattern=MEMBER_ID_PATTERN)
    channel: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> FinalTarget:
        if (self.member is None) == (self.channel is None):
            raise ValueError('final needs exactly one of "member" or "channel"')
        return self

    def __str__(self) -> str:
        return f"member {self.member}" if self.member else f"channel {self.channel}"


class LevelChannels(StrictModel):
    """The channels each level is paged on (names from ``channels``)."""

    primary: tuple[str, ...] = Field(default=("pagerduty",), min_length=1)
    sub: tuple[str, ...] = Field(default=("pagerduty",), min_length=1)
    final: tuple[str, ...] = Field(default=("pagerduty",), min_length=1)

    def of(self, level: Level) -> tuple[str, ...]:
        return {Level.PRIMARY: self.primary, Level.SUB: self.sub, Level.FINAL: self.final}[level]


def _positive(value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise ValueError(f"{format_duration(value)} is not a positive duration (expected e.g. 10m)")
    return value


class Escalation(StrictModel):
    """Timings and channels of one route's escalation (see the module docstring)."""

    escalate_after: Duration = 600.0
    final: FinalTarget | None = None
    final_after: Duration | None = None
    renotify_every: Duration = 1800.0
    max_renotify: int = Field(default=2, ge=0, le=100)
    channels: LevelChannels = Field(default_factory=LevelChannels)

    _durations = field_validator("escalate_after", "final_after", "renotify_every")(_positive)

    @property
    def final_delay(self) -> float:
        """Seconds from the sub's page to the final target's."""
        return self.escalate_after if self.final_after is None else self.final_after


class EscalationOverride(StrictModel):
    """A route's changes to the default escalation: only the fields it sets."""

    escalate_after: Duration | None = None
    final: FinalTarget | None = None
    final_after: Duration | None = None
    renotify_every: Duration | None = None
    max_renotify: int | None = Field(default=None, ge=0, le=100)
    channels: LevelChannels | None = None

    _durations = field_validator("escalate_after", "final_after", "renotify_every")(_positive)

    def over(self, base: Escalation) -> Escalation:
        """``base`` with the fields this override sets replaced."""
        changes = {
            name: getattr(self, name) for name in self.model_fields_set if getattr(self, name) is not None
        }
        return base.model_copy(update=changes)


class Route(StrictModel):
    """Incidents whose labels match go to ``rotation`` (a name in ``routing.rotations``)."""

    match: Selector = Field(default_factory=dict)
    rotation: str = Field(pattern=NAME_PATTERN)
    escalation: EscalationOverride | None = None

    _selector = field_validator("match")(check_selector)


class Routing(StrictModel):
    rotations: dict[str, str] = Field(min_length=1)
    routes: tuple[Route, ...] = ()
    default: str = Field(pattern=NAME_PATTERN)


class RoutingPolicy(StrictModel):
    """A whole ``routing.yaml``."""

    channels: dict[str, Channel] = Field(min_length=1)
    escalation: Escalation = Field(default_factory=Escalation)
    routing: Routing

    def escalation_of(self, route: int | None) -> Escalation:
        """The effective escalation of route ``route`` (an index; None: the default route)."""
        override = None if route is None else self.routing.routes[route].escalation
        return self.escalation if override is None else override.over(self.escalation)

    def rotation_of(self, route: int | None) -> str:
        return self.routing.default if route is None else self.routing.routes[route].rotation

    def route_indexes(self) -> tuple[int | None, ...]:
        """Every route's index, and None for the default."""
        return (*range(len(self.routing.routes)), None)


def default_policy(rotation: str, oncall_file: str = "oncall.yaml") -> RoutingPolicy:
    """The policy without a routing file: one rotation, PagerDuty only, default timings."""
    return RoutingPolicy(
        channels={"pagerduty": Channel(type=ChannelType.PAGERDUTY)},
        routing=Routing(rotations={rotation: oncall_file}, default=rotation),
    )


# ---------------------------------------------------------------------------------------------
# Loading and checking


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """A checked routing file and the on-call specs of the rotations it names (by name)."""

    policy: RoutingPolicy
    rotations: Mapping[str, OnCallSpec]


def load_routing(path: Path | str) -> tuple[RoutingPolicy | None, list[Problem]]:
    """Read and validate a routing file alone (schema, channel and rotation names): (policy, [])
    or (None, every problem, sorted). Rotation files are not read: see :func:`check_routing`."""
    positioned, problems = load_yaml(path, describe_routing)
    return _finish(positioned, problems)


def parse_routing(text: str, path: str) -> tuple[RoutingPolicy | None, list[Problem]]:
    """As :func:`load_routing`, from text (``path`` only names it in problems)."""
    positioned, problems = parse_yaml(text, path, describe_routing)
    return _finish(positioned, problems)


def load_routing_config(
    path: Path | str, oncall: OnCallSpec | Mapping[str, OnCallSpec] | None = None
) -> tuple[RoutingConfig | None, list[Problem]]:
    """The routing file and its rotations, checked together: (config, []) or (None, problems).

    ``oncall`` supplies specs already loaded (a single spec stands for the rotation of its
    ``rotation.name``); the other rotation files are read relative to ``path``'s folder and
    their own problems are reported as they are (located in their own file).
    """
    positioned, problems = load_yaml(path, describe_routing)
    policy, problems = _finish(positioned, problems)
    if policy is None or positioned is None:
        return None, problems
    given = _as_map(oncall)
    specs: dict[str, OnCallSpec] = {}
    for name, file in policy.routing.rotations.items():
        spec = given.get(name)
        if spec is None:
            spec, more = _load_rotation(Path(path).parent / file, name, positioned)
            problems += more
        if spec is not None and spec.rotation.name != name:
            problems.append(
                positioned.problem(
                    ("routing", "rotations", name),
                    f'routing.rotations: {file} is rotation "{spec.rotation.name}", not "{name}"',
                )
            )
        elif spec is not None:
            specs[name] = spec
    if not problems:
        problems += _member_problems(policy, specs, positioned)
    return (None if problems else RoutingConfig(policy, specs)), sorted(problems)


def _load_rotation(
    file: Path, name: str, positioned: PositionedData
) -> tuple[OnCallSpec | None, list[Problem]]:
    """The rotation file's spec, or its problems; a missing file is a problem of the routing file."""
    if not file.is_file():
        loc: Loc = ("routing", "rotations", name)
        return None, [positioned.problem(loc, f'routing.rotations: rotation "{name}": no such file {file}')]
    return load_oncall(file)


def check_routing(
    path: Path | str, oncall_spec: OnCallSpec | Mapping[str, OnCallSpec] | None = None
) -> list[Problem]:
    """Every problem of a routing file and its rotations (unknown channel, rotation or member),
    sorted; [] if fine. See :func:`load_routing_config` for ``oncall_spec``."""
    return load_routing_config(path, oncall_spec)[1]


def _as_map(oncall: OnCallSpec | Mapping[str, OnCallSpec] | None) -> Mapping[str, OnCallSpec]:
    if oncall is None:
        return {}
    if isinstance(oncall, OnCallSpec):
        return {oncall.rotation.name: oncall}
    return oncall


def _finish(
    positioned: PositionedData | None, problems: list[Problem]
) -> tuple[RoutingPolicy | None, list[Problem]]:
    if positioned is None:
        return None, problems
    policy, more = validate(RoutingPolicy, positioned, describe_routing)
    problems = problems + more
    if policy is not None:
        problems += _name_problems(policy, positioned)
    return (None if problems else policy), sorted(problems)


def _name_problems(policy: RoutingPolicy, positioned: PositionedData) -> list[Problem]:
    """Channel and rotation names used but not defined."""
    out: list[Problem] = []
    channels = sorted(policy.channels)
    rotations = sorted(policy.routing.rotations)

    def add(loc: Loc, message: str) -> None:
        out.append(positioned.problem(loc, describe_routing(loc, positioned.data) + message))

    for prefix, escalation in _escalations(policy):
        for level in Level:
            for i, name in enumerate(getattr(escalation.channels, level) if escalation.channels else ()):
                if name not in policy.channels:
                    add(
                        (*prefix, "channels", level.value, i),
                        f'escalation.channels.{level}: unknown channel "{name}" (defined: {", ".join(channels)})',
                    )
        if escalation.final is not None and escalation.final.channel is not None:
            if escalation.final.channel not in policy.channels:
                add(
                    (*prefix, "final", "channel"),
                    f'escalation.final: unknown channel "{escalation.final.channel}" (defined: {", ".join(channels)})',
                )
    if any(c.type is ChannelType.PAGERDUTY for c in policy.channels.values()):
        for prefix, escalation in _escalations(policy):
            for field in ("escalate_after", "final_after", "renotify_every"):
                seconds = getattr(escalation, field)
                if seconds is not None and seconds % 60:
                    add(
                        (*prefix, field),
                        f"escalation.{field}: {format_duration(seconds)} is not whole minutes "
                        "(PagerDuty, which mirrors these timings, escalates in minutes)",
                    )
    for i, route in enumerate(policy.routing.routes):
        if route.rotation not in policy.routing.rotations:
            add(
                ("routing", "routes", i, "rotation"),
                f'unknown rotation "{route.rotation}" (defined in routing.rotations: {", ".join(rotations)})',
            )
    if policy.routing.default not in policy.routing.rotations:
        add(
            ("routing", "default"),
            f'routing.default: unknown rotation "{policy.routing.default}" (defined in routing.rotations: {", ".join(rotations)})',
        )
    return out


def _escalations(policy: RoutingPolicy) -> list[tuple[Loc, Escalation | EscalationOverride]]:
    out: list[tuple[Loc, Escalation | EscalationOverride]] = [(("escalation",), policy.escalation)]
    for i, route in enumerate(policy.routing.routes):
        if route.escalation is not None:
            out.append((("routing", "routes", i, "escalation"), route.escalation))
    return out


def _member_problems(
    policy: RoutingPolicy, specs: Mapping[str, OnCallSpec], positioned: PositionedData
) -> list[Problem]:
    """A final member must be a member of every rotation the routes using it go to."""
    users: dict[tuple[Loc, str, str], list[str]] = {}
    for route in policy.route_indexes():
        final = policy.escalation_of(route).final
        rotation = policy.rotation_of(route)
        spec = specs.get(rotation)
        if final is None or final.member is None or spec is None:
            continue
        if final.member not in {m.id for m in spec.members}:
            key = (_final_loc(policy, route), rotation, final.member)
            users.setdefault(key, []).append("the default route" if route is None else f"route {route + 1}")
    out = []
    for (loc, rotation, member), used_by in users.items():
        known = ", ".join(sorted(m.id for m in specs[rotation].members))
        # a route's own final is named by the message prefix; the default's says who uses it
        where = "" if loc[0] == "routing" else f"used by {' and '.join(used_by)}; "
        message = (
            f'escalation.final: unknown member "{member}" in rotation "{rotation}" ({where}defined: {known})'
        )
        out.append(positioned.problem(loc, describe_routing(loc, positioned.data) + message))
    return out


def _final_loc(policy: RoutingPolicy, route: int | None) -> Loc:
    """Where the final target used by ``route`` is written (the route's own, or the default's)."""
    if route is not None:
        override = policy.routing.routes[route].escalation
        if override is not None and override.final is not None:
            return ("routing", "routes", route, "escalation", "final", "member")
    return ("escalation", "final", "member")


def describe_routing(loc: Loc, data: Any) -> str:
    """Prefix naming the route at ``loc``: ``route 2: `` (channels are named by their field path)."""
    if len(loc) >= 3 and loc[:2] == ("routing", "routes") and isinstance(loc[2], int):
        return f"route {loc[2] + 1}: "
    return ""


__all__ = [
    "Channel",
    "ChannelType",
    "Escalation",
    "EscalationOverride",
    "FinalTarget",
    "Level",
    "LevelChannels",
    "Route",
    "Routing",
    "RoutingConfig",
    "RoutingPolicy",
    "check_routing",
    "default_policy",
    "describe_routing",
    "load_routing",
    "load_routing_config",
    "parse_routing",
]
