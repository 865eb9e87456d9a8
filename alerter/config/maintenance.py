"""Maintenance windows as values, and the strict YAML schema of a file of them.

Place in the flow: config. A window says which alerts must not page (hosts and/or Alertmanager-style
label matchers) and when (a fixed ``[start, end)`` span, or a cron recurrence in an IANA timezone
with a duration). :mod:`alerter.route.maintenance` decides whether a window is active at an instant
and answers the correlation stage's suppressor; :mod:`alerter.incidents.maintenance_store` keeps
the windows people start from the CLI or the HTTP API. The value types live here, in the lowest
stage, because both of those stages need them (as rule values live in :mod:`.rules`).

A file of windows (``rules/maintenance.yaml`` for recurring windows kept in git, and the format
``alerter replay --maintenance FILE`` reads)::

    windows:
      - id: dev-patch
        match: ['env="dev"']
        cron: "0 2 * * SUN"
        duration: 2h
        timezone: Europe/Berlin
        owner: platform
        reason: weekly DEV patching
        expires: 2027-06-30T00:00:00+02:00
      - id: release-42
        hosts: [web1, web2]
        start: 2026-11-20T10:00:00+01:00
        end: 2026-11-20T10:30:00+01:00
        owner: web
        reason: release 42

A matcher is ``name=value``, ``name!=value``, ``name=~regex`` or ``name!~regex`` (value optionally in
double quotes, JSON escapes); regexes are anchored at both ends, and a missing label reads as the
empty string, as in Alertmanager. A window's hosts and matchers must ALL hold (an empty host list
means any host); a window with neither is refused, since it would silence everything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import AfterValidator, Field

from alerter.config.durations import Duration, parse_duration
from alerter.config.oncall import Instant, TimeZoneName
from alerter.config.rules import NAME_PATTERN, StrictModel
from alerter.config.yamlsource import Loc, PositionedData, load_yaml, parse_yaml, validate
from alerter.errors import Problem

_INSTANT_EXAMPLE = "2026-11-20T10:00:00+01:00"


class MatchOp(StrEnum):
    """Alertmanager's four matcher operators."""

    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label condition. ``=~``/``!~`` regexes are anchored (``db`` does not match ``db2``).

    >>> Matcher.parse('role=~"db|cache"').matches({"role": "db"})
    True
    """

    name: str
    op: MatchOp
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op in (MatchOp.RE, MatchOp.NRE):
            try:
                object.__setattr__(self, "_regex", re.compile(self.value))  # fullmatch anchors it
            except re.error as exc:
                raise ValueError(f"{json.dumps(self.value)} is not a valid regex ({exc})") from None

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """``'env="prod"'``, ``env=prod``, ``role=~db.*`` -> Matcher. Raises ValueError."""
        m = _MATCHER.match(text) if isinstance(text, str) else None
        if m is None:
            raise ValueError(
                f"{_show(text)} is not a label matcher (expected name=value, name!=value, "
                'name=~regex or name!~regex, e.g. env="prod")'
            )
        name, op, raw = m.groups()
        return cls(name, MatchOp(op), _unquote(raw))

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        match self.op:
            case MatchOp.EQ:
                return actual == self.value
            case MatchOp.NE:
                return actual != self.value
            case MatchOp.RE:
                return self._regex is not None and self._regex.fullmatch(actual) is not None
            case MatchOp.NRE:
                return self._regex is not None and self._regex.fullmatch(actual) is None

    def __str__(self) -> str:
        return f"{self.name}{self.op.value}{json.dumps(self.value, ensure_ascii=False)}"


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise ValueError(f"{raw} is not a valid quoted value (JSON string escapes)") from None
        if isinstance(value, str):
            return value
    return raw


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A window that opens at each cron time (wall clock in ``timezone``) for ``duration`` seconds.

    Raises ValueError for a bad cron expression, a non-positive duration or an unknown timezone.
    """

    cron: str
    duration: float
    timezone: str

    def __post_init__(self) -> None:
        if len(self.cron.split()) != 5 or not croniter.is_valid(self.cron):
            raise ValueError(
                f"{_show(self.cron)} is not a cron expression (expected 5 fields: minute hour "
                'day-of-month month day-of-week, e.g. "0 2 * * SUN")'
            )
        try:
            croniter(self.cron, datetime(2000, 1, 1)).get_next(datetime)
        except ValueError:  # croniter's "failed to find next date": e.g. "0 0 30 2 *" (Feb 30)
            raise ValueError(f"{_show(self.cron)} never fires (no date matches it)") from None
        if self.duration <= 0:
            raise ValueError("a recurring window needs a duration above 0s")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{_show(self.timezone)} is not a known timezone") from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """Which alerts must not page, and when. Times are POSIX seconds.

    Fixed windows have ``start``/``end`` (start inclusive, end exclusive); recurring ones have a
    ``recurrence`` and may have a ``start`` before which no occurrence counts. ``expires_at`` stops
    a window (and its recurrences) for good; ``ended_at`` is when a person ended it early. ``id``
    is the YAML name, or the store's row number as text.
    """

    id: str
    hosts: tuple[str, ...] = ()
    matchers: tuple[Matcher, ...] = ()
    start: float | None = None
    end: float | None = None
    recurrence: Recurrence | None = None
    owner: str = ""
    reason: str = ""
    created_by: str = ""
    expires_at: float | None = None
    ended_at: float | None = None

    def __post_init__(self) -> None:
        if not self.hosts and not self.matchers:
            raise ValueError(
                "a window needs hosts or label matchers (with neither it would silence everything)"
            )
        if (self.recurrence is None) == (self.end is None):
            raise ValueError("a window needs either an end or a recurrence (not both)")
        if self.recurrence is None and (self.start is None or self.end is None or self.end <= self.start):
            raise ValueError("a fixed window needs a start before its end")

    def matches(self, labels: Mapping[str, str], host: str | None = None) -> bool:
        """True when the alert (its labels, and ``host`` or else its ``host`` label) is covered."""
        if self.hosts:
            h = host if host is not None else labels.get("host")
            if h not in self.hosts:
                return False
        return all(m.matches(labels) for m in self.matchers)

    @property
    def stops_at(self) -> float | None:
        """The instant after which the window is never active again (None: never stops)."""
        bounds = [b for b in (self.end, self.expires_at, self.ended_at) if b is not None]
        return min(bounds) if bounds else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the store's audit snapshot); :meth:`from_dict` reverses it."""
        r = self.recurrence
        return {
            "id": self.id,
            "hosts": list(self.hosts),
            "matchers": [str(m) for m in self.matchers],
            "start": self.start,
            "end": self.end,
            "recurrence": None
            if r is None
            else {"cron": r.cron, "duration": r.duration, "timezone": r.timezone},
            "owner": self.owner,
            "reason": self.reason,
            "created_by": self.created_by,
            "expires_at": self.expires_at,
            "ended_at": self.ended_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MaintenanceWindow:
        r = data.get("recurrence")
        return cls(
            id=str(data["id"]),
            hosts=tuple(data.get("hosts") or ()),
            matchers=tuple(Matcher.parse(m) for m in data.get("matchers") or ()),
            start=data.get("start"),
            end=data.get("end"),
            recurrence=None if r is None else Recurrence(r["cron"], float(r["duration"]), r["timezone"]),
            owner=data.get("owner", ""),
            reason=data.get("reason", ""),
            created_by=data.get("created_by", ""),
            expires_at=data.get("expires_at"),
            ended_at=data.get("ended_at"),
        )


def parse_for(text: str) -> float:
    """``"10m"`` -> 600.0, for ``--for``; raises ValueError unless a positive duration."""
    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError(f"{_show(text)} is not a positive duration (expected e.g. 10m, 1h30m)")
    return seconds


def parse_instant(value: str | datetime) -> float:
    """An ISO-8601 time WITH offset (``2026-11-20T10:00:00+01:00``, ``...Z``) -> POSIX seconds.

    A time without offset is refused (ValueError): "10:00" is a different instant in every zone.
    """
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{_show(value)} is not a time (expected e.g. {_INSTANT_EXAMPLE})") from None
    if not isinstance(moment, datetime):
        raise ValueError(f"{_show(value)} is not a time (expected e.g. {_INSTANT_EXAMPLE})")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no timezone offset (expected e.g. {_INSTANT_EXAMPLE})")
    return moment.timestamp()


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


# The file schema


def _matcher_text(value: str) -> str:
    Matcher.parse(value)
    return value


def _cron_text(value: str) -> str:
    Recurrence(value, 1.0, "UTC")
    return value


MatcherText = Annotated[str, AfterValidator(_matcher_text)]
CronText = Annotated[str, AfterValidator(_cron_text)]


class WindowSpec(StrictModel):
    """One window as written in a file: ``start``+``end``, or ``cron``+``duration``+``timezone``."""

    id: str = Field(pattern=NAME_PATTERN)
    hosts: list[str] = Field(default_factory=list)
    match: list[MatcherText] = Field(default_factory=list)
    start: Instant | None = None
    end: Instant | None = None
    cron: CronText | None = None
    duration: Duration | None = None
    timezone: TimeZoneName | None = None
    owner: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    created_by: str = ""
    expires: Instant | None = None


class MaintenanceFile(StrictModel):
    """A file of maintenance windows."""

    windows: list[WindowSpec]


def load_maintenance(path: Path | str) -> tuple[tuple[MaintenanceWindow, ...], list[Problem]]:
    """Read a file of windows: (windows, []) or ((), every problem sorted, ``path:line:col``).

    A file with any problem gives no windows: silencing from a half-understood file is worse than
    paging as if it were absent.
    """
    positioned, problems = load_yaml(path, describe_window)
    return _finish(positioned, problems)


def parse_maintenance(text: str, path: str) -> tuple[tuple[MaintenanceWindow, ...], list[Problem]]:
    """As :func:`load_maintenance`, from text (``path`` only names it in problems)."""
    positioned, problems = parse_yaml(text, path, describe_window)
    return _finish(positioned, problems)


def _finish(
    positioned: PositionedData | None, problems: list[Problem]
) -> tuple[tuple[MaintenanceWindow, ...], list[Problem]]:
    if positioned is None:
        return (), problems
    spec, more = validate(MaintenanceFile, positioned, describe_window)
    problems += more
    windows: list[MaintenanceWindow] = []
    if spec is not None:
        windows, semantic = _windows(spec, positioned)
        problems += semantic
    return (() if problems else tuple(windows)), sorted(problems)


def _windows(
    spec: MaintenanceFile, positioned: PositionedData
) -> tuple[list[MaintenanceWindow], list[Problem]]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    windows = []
    for i, w in enumerate(spec.windows):
        loc: Loc = ("windows", i)
        prefix = f'window "{w.id}": '

        def add(key: str, message: str, loc: Loc = loc, prefix: str = prefix) -> None:
            problems.append(positioned.problem((*loc, key) if key else loc, prefix + message))

        if w.id in seen:
            add("id", f"duplicate id (first at line {seen[w.id]})")
        seen.setdefault(w.id, positioned.position((*loc, "id"))[0])
        window = _window(w, add)
        if window is not None:
            windows.append(window)
    return windows, problems


def _window(w: WindowSpec, add: Callable[[str, str], None]) -> MaintenanceWindow | None:
    """The window a schema-valid spec describes, or None after ``add(key, message)`` said why not."""
    problem = _shape_problem(w)
    if problem is not None:
        add(*problem)
        return None
    recurrence = None
    if w.cron is not None and w.duration is not None and w.timezone is not None:
        recurrence = Recurrence(w.cron, w.duration, w.timezone)
    return MaintenanceWindow(
        id=w.id,
        hosts=tuple(w.hosts),
        matchers=tuple(Matcher.parse(m) for m in w.match),
        start=w.start.timestamp() if w.start else None,
        end=w.end.timestamp() if w.end else None,
        recurrence=recurrence,
        owner=w.owner,
        reason=w.reason,
        created_by=w.created_by,
        expires_at=w.expires.timestamp() if w.expires else None,
    )


def _shape_problem(w: WindowSpec) -> tuple[str, str] | None:
    """What keeps a schema-valid spec from being a window: (key to point at, message), or None."""
    if not w.hosts and not w.match:
        return ("", "needs hosts or match (with neither it would silence everything)")
    recurring = [k for k in ("cron", "duration", "timezone") if getattr(w, k) is not None]
    if recurring:
        missing = [k for k in ("cron", "duration", "timezone") if k not in recurring]
        if w.end is not None:
            return ("end", "a recurring window (cron) has no end; use expires to stop it")
        if missing:
            return (
                "",
                f"a recurring window needs cron, duration and timezone (missing: {', '.join(missing)})",
            )
        if w.expires is None:
            return ("", "a recurring window needs expires, so a forgotten one stops silencing")
        if w.duration is not None and w.duration <= 0:
            return ("duration", "a recurring window needs a duration above 0s")
        return None
    if w.start is None or w.end is None:
        return ("", "needs start and end, or cron, duration and timezone")
    if w.end <= w.start:
        return ("end", f"end {w.end.isoformat()} is not after start {w.start.isoformat()}")
    return None


def describe_window(loc: Loc, data: Any) -> str:
    """Prefix naming the window at ``loc``: ``window "dev-patch": `` (or ``window 3: `` unnamed)."""
    if len(loc) < 2 or loc[0] != "windows" or not isinstance(loc[1], int):
        return ""
    items = data.get("windows") if isinstance(data, dict) else None
    item = items[loc[1]] if isinstance(items, list) and 0 <= loc[1] < len(items) else None
    ident = item.get("id") if isinstance(item, dict) else None
    return f'window "{ident}": ' if isinstance(ident, str) else f"window {loc[1] + 1}: "


__all__ = [
    "MaintenanceFile",
    "MaintenanceWindow",
    "MatchOp",
    "Matcher",
    "Recurrence",
    "WindowSpec",
    "describe_window",
    "load_maintenance",
    "parse_for",
    "parse_instant",
    "parse_maintenance",
]
