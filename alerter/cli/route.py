"""``alerter route``: who would be paged now for these labels, why, and how it would escalate.

Thin (like ``amtool config routes test``): the answer comes from :mod:`alerter.route.routing` and
:mod:`alerter.route.escalation` over the checked files from :mod:`alerter.config.routing`. Files
with problems are never used: the problems are printed (``path:line:col: ...`` on stderr) and the
command exits 1. Without a routing file (the default path missing) the on-call file alone is
used: PagerDuty only, default timings.

    alerter route --labels team=data,env=prod
    alerter route --labels env=stg --at 2026-03-03T19:00+01:00 --routing rules/routing.yaml
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from alerter.cli.oncall import DEFAULT_ONCALL_PATH
from alerter.clock import Clock, SystemClock, to_datetime
from alerter.config.durations import format_duration
from alerter.config.oncall import Member, OnCallSpec, load_oncall
from alerter.config.routing import RoutingConfig, default_policy, load_routing_config
from alerter.errors import Problem
from alerter.route.escalation import PageIntent, timeline
from alerter.route.routing import RouteDecision, Target, route

DEFAULT_ROUTING_PATH = Path("rules/routing.yaml")


def route_command(clock: Clock | None = None) -> click.Command:
    """The ``route`` command reading time from ``clock`` (default: the system clock)."""

    @click.command(name="route")
    @click.option("--labels", "labels_text", required=True, metavar="K=V,...", help="The incident's labels.")
    @click.option("--at", "at_text", metavar="TIME", help="ISO 8601 time with offset (default: now).")
    @click.option(
        "--routing",
        "routing_path",
        type=click.Path(path_type=Path),
        default=None,
        help=f"The routing file (default: {DEFAULT_ROUTING_PATH}, if it exists).",
    )
    @click.option(
        "--oncall",
        "oncall_paths",
        type=click.Path(path_type=Path),
        multiple=True,
        help="An on-call file to use for its rotation instead of the one the routing file names (repeatable).",
    )
    def route_cmd(
        labels_text: str, at_text: str | None, routing_path: Path | None, oncall_paths: tuple[Path, ...]
    ) -> None:
        """Print who would be paged now for an incident with these labels, why, and the escalation."""
        labels = parse_labels(labels_text)
        at = _parse_at(at_text) if at_text else to_datetime((clock or SystemClock()).now())
        config = _load(routing_path, oncall_paths)
        try:
            decision = route(labels, config.rotations, config.policy, at)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        zone = config.rotations[decision.rotation].zone
        click.echo(render(labels, decision, timeline("now", at.timestamp(), decision), zone))

    return route_cmd


route_cmd = route_command()


def parse_labels(text: str) -> dict[str, str]:
    """``"team=data,env=prod"`` -> ``{"team": "data", "env": "prod"}``; click.BadParameter if malformed."""
    out: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                f"{item!r} is not k=v (expected e.g. team=data,env=prod)", param_hint="--labels"
            )
        out[key.strip()] = value.strip()
    return out


def _load(routing_path: Path | None, oncall_paths: tuple[Path, ...]) -> RoutingConfig:
    problems: list[Problem] = []
    specs: dict[str, OnCallSpec] = {}
    for path in oncall_paths or (
        (DEFAULT_ONCALL_PATH,) if routing_path is None and not DEFAULT_ROUTING_PATH.exists() else ()
    ):
        spec, more = load_oncall(path)
        problems += more
        if spec is not None:
            specs[spec.rotation.name] = spec
    _fail_on(problems)
    if routing_path is None and not DEFAULT_ROUTING_PATH.exists():
        [name] = specs if len(specs) == 1 else [None]  # several rotations need a routing file
        if name is None:
            raise click.UsageError("several --oncall files need a --routing file to choose between them")
        return RoutingConfig(default_policy(name), specs)
    config, problems = load_routing_config(routing_path or DEFAULT_ROUTING_PATH, specs)
    _fail_on(problems)
    assert config is not None  # no problems
    return config


def _fail_on(problems: list[Problem]) -> None:
    if problems:
        for problem in sorted(problems):
            click.echo(str(problem), err=True)
        raise SystemExit(1)


def _parse_at(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 time (expected e.g. 2026-03-03T19:00+01:00)", param_hint="--at"
        ) from None
    if at.tzinfo is None:
        raise click.BadParameter(
            f"{text!r} has no timezone offset (expected e.g. 2026-03-03T19:00+01:00)", param_hint="--at"
        )
    return at


# --- rendering


def render(labels: dict[str, str], d: RouteDecision, pages: list[PageIntent], zone: ZoneInfo) -> str:
    """The decision as people read it: who, why, and the timeline if nobody acknowledges."""
    shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(no labels)"
    lines = [
        f"labels   {shown}",
        f"at       {_local(d.at, zone)}",
        f"rotation {d.rotation}",
        f"primary  {_who(d.primary)}",
        f"sub      {_who(d.sub)}",
        f"final    {_who(d.final) if d.final is not None else '(none: no final level)'}",
        "why",
        *(f"  {r}" for r in d.reasons),
        "escalation if nobody acknowledges (an ack or resolve stops it)",
    ]
    start = d.at.timestamp()
    for p in pages:
        offset = "+" + format_duration(p.due_at - start)
        note = "" if p.send else "  (recorded: PagerDuty escalates)"
        lines.append(
            f"  {_local(to_datetime(p.due_at), zone)}  {offset:<7} {p.step:<8} L{p.level.number} {_name(p.target)} via {p.channel}{note}"
        )
    return "\n".join(lines)


def _who(target: Target) -> str:
    if isinstance(target, Member):
        return f"{target.name} ({target.id}) <{target.email}>"
    return str(target)


def _name(target: Target) -> str:
    return f"{target.name} ({target.id})" if isinstance(target, Member) else str(target)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="minutes")


__all__ = ["DEFAULT_ROUTING_PATH", "parse_labels", "render", "route_cmd", "route_command"]
