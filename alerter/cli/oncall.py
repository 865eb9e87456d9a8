"""``alerter oncall``: who is primary and sub now and next, the coming shifts, or a calendar feed.

Thin: the answers come from :mod:`alerter.route.rotation` and :mod:`alerter.route.ical` over the
checked spec from :mod:`alerter.config.oncall`. A spec with problems is never used: they are
printed (``path:line:col: ...``, one per line on stderr) and the command exits 1.

    alerter oncall                               # table: now, next, 4 weeks of shifts
    alerter oncall --at 2026-03-03T19:00+01:00 --weeks 2 --format json
    alerter oncall --weeks 26 --format ics > oncall.ics
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from alerter.clock import Clock, SystemClock, to_datetime
from alerter.config.oncall import Member, OnCallSpec, Role, load_oncall
from alerter.route.ical import calendar
from alerter.route.rotation import OnCall, Reason, Shift, next_handoff, shifts, who_is_on_call

DEFAULT_ONCALL_PATH = Path("rules/oncall.yaml")


def oncall_command(clock: Clock | None = None) -> click.Command:
    """The ``oncall`` command reading time from ``clock`` (default: the system clock)."""

    @click.command(name="oncall")
    @click.option(
        "--at",
        "at_text",
        metavar="TIME",
        help="ISO 8601 time with offset, e.g. 2026-03-03T19:00+01:00 (default: now).",
    )
    @click.option(
        "--weeks",
        type=click.IntRange(1, 520),
        default=4,
        show_default=True,
        help="Whole weeks of shifts to show, from the current week.",
    )
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json", "ics"]),
        default="table",
        show_default=True,
    )
    @click.option(
        "--file",
        "path",
        type=click.Path(path_type=Path),
        default=DEFAULT_ONCALL_PATH,
        show_default=True,
        help="The on-call rotation file.",
    )
    def oncall(at_text: str | None, weeks: int, output_format: str, path: Path) -> None:
        """Show who is on call now and next, and the coming shifts (table, json, or an ics feed)."""
        now = to_datetime((clock or SystemClock()).now())
        at = _parse_at(at_text) if at_text else now
        spec, problems = load_oncall(path)
        if spec is None:
            for problem in problems:
                click.echo(str(problem), err=True)
            raise SystemExit(1)
        try:
            current, coming = who_is_on_call(spec, at), who_is_on_call(spec, next_handoff(spec, at))
            planned = shifts(spec, at, weeks)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        if output_format == "ics":
            # bytes go to the binary stream untouched: RFC 5545 needs CRLF on every platform
            click.echo(calendar(spec, planned, stamp=now).encode("utf-8"), nl=False)
        elif output_format == "json":
            click.echo(json.dumps(_report(spec, current, coming, planned), indent=2, ensure_ascii=False))
        else:
            click.echo(_table(spec, current, coming, planned))

    return oncall


oncall = oncall_command()


def _parse_at(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 time (expected e.g. 2026-03-03T19:00+01:00)", param_hint="--at"
        ) from None
    if at.tzinfo is None:
        raise click.BadParameter(
            f"{text!r} has no timezone offset (expected e.g. 2026-03-03T19:00+01:00 or ...Z)",
            param_hint="--at",
        )
    return at


# --- json


def _report(spec: OnCallSpec, current: OnCall, coming: OnCall, planned: list[Shift]) -> dict[str, Any]:
    return {
        "rotation": spec.rotation.name,
        "at": _iso(current.at),
        "now": _on_call(current),
        "next": _on_call(coming),
        "shifts": [_shift(s) for s in planned],
    }


def _on_call(on: OnCall) -> dict[str, Any]:
    return {
        "at": _iso(on.at),
        "week": on.week,
        "primary": _member(on.primary),
        "sub": _member(on.sub),
        "reasons": [_reason(r) for r in on.reasons],
    }


def _shift(s: Shift) -> dict[str, Any]:
    return {
        "week": s.week,
        "role": str(s.role),
        "member": _member(s.member),
        "start": _iso(s.start),
        "end": _iso(s.end),
        "reasons": [_reason(r) for r in s.reasons],
    }


def _member(m: Member) -> dict[str, str]:
    return m.model_dump(mode="json")


def _reason(r: Reason) -> dict[str, str]:
    return {"why": str(r.why), "role": str(r.role), "text": r.text}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- table


def _table(spec: OnCallSpec, current: OnCall, coming: OnCall, planned: list[Shift]) -> str:
    zone = spec.zone
    h = spec.rotation.handoff
    lines = [
        f"rotation {spec.rotation.name}: handoff {h.weekday.title()}s {h.time:%H:%M} {h.timezone}",
        f"now  {_local(current.at, zone)} (week {current.week})",
        *_people(current, planned, zone),
        f"next {_local(coming.at, zone)} (week {coming.week})",
        *_people(coming, [], zone),
        "",
        _row("WEEK", "ROLE", "FROM", "TO", "WHO", "THEIR TIME"),
    ]
    for s in planned:
        own = s.start.astimezone(ZoneInfo(s.member.timezone))
        lines.append(
            _row(
                str(s.week),
                str(s.role),
                _local(s.start, zone),
                _local(s.end, zone),
                f"{s.member.name} ({s.member.id})",
                f"{own:%a %H:%M %Z}",
            )
        )
    return "\n".join(lines)


def _people(on: OnCall, planned: list[Shift], zone: ZoneInfo) -> list[str]:
    out = []
    for role in Role:
        member = on.member(role)
        until = next((s.end for s in planned if s.role is role and s.start <= on.at < s.end), None)
        tail = f"  until {_local(until, zone)}" if until else ""
        out.append(f"  {role:<8} {member.name} ({member.id}) <{member.email}>{tail}")
    out += [f"  {'why' if i == 0 else '':<8} {r}" for i, r in enumerate(on.reasons)]
    return out


def _row(*cells: str) -> str:
    widths = (4, 7, 22, 22, 26)
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + "  " + cells[-1]


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="minutes")


__all__ = ["DEFAULT_ONCALL_PATH", "oncall", "oncall_command"]
