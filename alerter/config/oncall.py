"""The on-call rotation file (``rules/oncall.yaml``): strict schema, the rotation's calendar, and
the checks that reject gaps and contradictions, each as a ``path:line:col`` problem.

Place in the flow: config (this module: what the file says and means) -> :mod:`alerter.route.rotation`
(who is on call at an instant, shifts, reasons) -> notify. The calendar lives here, not in route,
because the checks must evaluate it and config never imports a later stage::

    rotation:
      name: platform
      start: 2026-01-05                 # the first handoff day (epoch = this day at handoff time)
      handoff: {weekday: monday, time: "10:00", timezone: Europe/Berlin}
      order: [alice, bob, carol]        # week i: primary order[i mod n], sub order[(i + sub_offset) mod n]
      sub_offset: 1                     # default: the sub is the next in order
    members:
      - {id: alice, name: Alice A, email: alice@example.com, pagerduty_user_id: PALICE1, timezone: Europe/Berlin}
      # ... bob and carol alike
    overrides:                          # bob replaces whoever is primary in [start, end)
      - {role: primary, member: bob, replaces: carol, start: 2026-03-03T18:00:00+01:00, end: 2026-03-04T08:00:00+01:00}
    swaps:                              # the two weeks exchange their slots; delete the entry to undo
      - {weeks: [2026-03-09, 2026-03-16], members: [alice, bob]}
    unavailability:                     # dates are midnights in the member's timezone; end exclusive
      - {member: carol, start: 2026-08-04, end: 2026-08-08, reason: conference}

Semantics (decided here, relied upon by :mod:`alerter.route.rotation`):

* **Weeks.** Week ``i`` starts at the handoff ``start + 7*i days`` at ``handoff.time`` local wall
  time in ``handoff.timezone`` (zoneinfo, ``fold=0``), so a handoff stays at 10:00 local across DST
  and a week is 167, 168 or 169 hours long. Week 0 starts at the epoch; there is nobody on call
  before it. Weeks count on across year ends (no ISO week numbers, so no 52/53 wrap).
* **Primary and sub.** Week ``i`` has slot ``i``; slot ``s`` is staffed by primary ``order[s mod n]``
  and sub ``order[(s + sub_offset) mod n]``. A ``sub_offset`` that is a multiple of ``n`` is rejected.
* **Swaps** exchange the slots of two whole weeks, so the sub follows its primary (swapping two
  adjacent weeks stays valid). ``members`` names the two scheduled primaries: the check rejects a
  swap whose names no longer match (e.g. after the order changed). A week is in at most one swap.
* **Overrides** are ``[start, end)`` ranges (aware datetimes, any offset) for one role: the override
  member replaces whoever is on. ``replaces`` (optional) asserts who that is, and is checked.
  Two overrides of one role must not overlap.
* **Unavailability** never silently re-staffs a shift. A scheduled person who is unavailable and
  not replaced by an override or moved away by a swap is a *gap* and the check rejects it, naming
  the person, role and time range. A real team wants this: the person who covers must know and
  agree (it shows up in their calendar feed), load stays visible, and adding a vacation never
  reshuffles anyone else's shift. The pre-commit/CI ``check`` catches it weeks in advance.
* **Checked horizon.** From the epoch to the end of the last dated entry (and at least one full
  cycle of the order). After it the schedule repeats with no exceptions, so it cannot have a gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, PlainValidator, ValidationError, model_validator

from alerter.config.rules import NAME_PATTERN, StrictModel
from alerter.config.yamlsource import Loc, PositionedData, load_yaml, located_problems, parse_yaml
from alerter.errors import Problem

MEMBER_ID_PATTERN = r"^[a-z][a-z0-9_.-]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PAGERDUTY_ID_PATTERN = r"^[A-Z0-9]+$"
WEEK = timedelta(days=7)


class Role(StrEnum):
    """Who gets paged first (primary) and who is the escalation (sub)."""

    PRIMARY = "primary"
    SUB = "sub"


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """Monday 0 .. Sunday 6, as :meth:`datetime.date.weekday`."""
        return list(Weekday).index(self)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{_quote(value)} is not a known timezone (expected an IANA name such as Europe/Berlin, "
            "America/New_York or UTC)"
        ) from None
    return value


def _time_of_day(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 10:00 as the base-60 number 600
        hhmm = f"{value // 60:02d}:{value % 60:02d}"
        raise ValueError(f'{value} is not a time of day (write it in quotes: "{hhmm}")')
    if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        return time.fromisoformat(value)
    raise ValueError(f'{_quote(value)} is not a time of day (expected e.g. "10:00")')


def _instant(value: Any) -> datetime:
    moment = _day_or_instant(value)
    if not isinstance(moment, datetime):
        raise ValueError(f"{moment.isoformat()} is a date (expected a time with offset, e.g. {_EXAMPLE})")
    return moment


def _day_or_instant(value: Any) -> date | datetime:
    if isinstance(value, str):
        try:
            value = (
                datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
            )
        except ValueError:
            raise ValueError(f"{_quote(value)} is not a date or time (expected e.g. {_EXAMPLE})") from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no timezone offset (expected e.g. {_EXAMPLE})")
        return value
    if isinstance(value, date):
        return value
    raise ValueError(f"{_quote(value)} is not a date or time (expected e.g. {_EXAMPLE})")


_EXAMPLE = "2026-03-02T18:00:00+01:00"
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
TimeOfDay = Annotated[time, PlainValidator(_time_of_day)]
Instant = Annotated[datetime, PlainValidator(_instant)]
DayOrInstant = Annotated[date | datetime, PlainValidator(_day_or_instant)]


class Member(StrictModel):
    """One person who can be on call; ``timezone`` is theirs (for showing them their local times)."""

    id: str = Field(pattern=MEMBER_ID_PATTERN)
    name: str = Field(min_length=1)
    email: str = Field(pattern=EMAIL_PATTERN)
    pagerduty_user_id: str = Field(pattern=PAGERDUTY_ID_PATTERN)
    timezone: TimeZoneName


class Handoff(StrictModel):
    """When one week hands over to the next: a weekday and a local wall time in a timezone."""

    weekday: Weekday
    time: TimeOfDay
    timezone: TimeZoneName


class Rotation(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    start: date
    handoff: Handoff
    order: tuple[str, ...] = Field(min_length=2)
    sub_offset: int = Field(default=1, ge=1)


class Override(StrictModel):
    """``member`` takes ``role`` during ``[start, end)`` instead of whoever is on."""

    role: Role
    member: str
    replaces: str | None = None
    start: Instant
    end: Instant
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if self.end <= self.start:
            raise ValueError(f"end {_show(self.end)} is not after start {_show(self.start)}")
        return self


class Swap(StrictModel):
    """Two weeks (given by their handoff days) exchange their slots; ``members`` are their primaries."""

    weeks: tuple[date, date]
    members: tuple[str, str]
    reason: str = ""


class Unavailability(StrictModel):
    """``member`` cannot be on call in ``[start, end)``; a date means midnight in their timezone."""

    member: str
    start: DayOrInstant
    end: DayOrInstant
    reason: str = ""

    def span(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """``[start, end)`` as aware UTC datetimes, dates taken as midnight in ``zone``."""
        return _at_midnight(self.start, zone), _at_midnight(self.end, zone)


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of time with one person in one role, and the entries that put them there."""

    role: Role
    start: datetime
    end: datetime
    member: str
    week: int
    swap: int | None  # index into spec.swaps
    override: int | None  # index into spec.overrides


class OnCallSpec(StrictModel):
    """A whole ``oncall.yaml``. The methods are its calendar: pure functions of (spec, instant)."""

    rotation: Rotation
    members: tuple[Member, ...] = Field(min_length=2)
    overrides: tuple[Override, ...] = ()
    swaps: tuple[Swap, ...] = ()
    unavailability: tuple[Unavailability, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.rotation.handoff.timezone)

    def member(self, member_id: str) -> Member:
        """The member called ``member_id``; KeyError if there is none (a checked spec has them all)."""
        for m in self.members:
            if m.id == member_id:
                return m
        raise KeyError(member_id)

    def handoff_at(self, week: int) -> datetime:
        """Start of ``week`` (0 = the epoch) in UTC: the local handoff wall time on its day."""
        day = self.rotation.start + timedelta(days=7 * week)
        return datetime.combine(day, self.rotation.handoff.time, self.zone).astimezone(UTC)

    def week_at(self, at: datetime) -> int:
        """The week ``at`` falls in (negative before the epoch). Raises ValueError for naive ``at``."""
        if at.tzinfo is None:
            raise ValueError(f"naive datetime {at.isoformat()} has no timezone")
        week = (at - self.handoff_at(0)) // WEEK
        # DST shifts a handoff by at most a few hours from epoch + 7*week days: correct by one
        while at < self.handoff_at(week):
            week -= 1
        while at >= self.handoff_at(week + 1):
            week += 1
        return week

    def week_of_day(self, day: date) -> int | None:
        """The week whose handoff is on ``day``, or None if no handoff is on that day."""
        days = (day - self.rotation.start).days
        return days // 7 if days % 7 == 0 else None

    def slot(self, week: int) -> tuple[int, int | None]:
        """(slot staffing ``week``, index of the swap that moved it or None)."""
        for i, swap in enumerate(self.swaps):
            first, second = (self.week_of_day(d) for d in swap.weeks)
            if week == first and second is not None:
                return second, i
            if week == second and first is not None:
                return first, i
        return week, None

    def in_slot(self, role: Role, slot: int) -> str:
        """Who staffs ``role`` in ``slot`` by the order alone."""
        order = self.rotation.order
        return order[(slot + (self.rotation.sub_offset if role is Role.SUB else 0)) % len(order)]

    def scheduled(self, role: Role, week: int) -> tuple[str, int | None]:
        """(who has ``role`` in ``week`` after swaps, before overrides; the swap index or None)."""
        slot, swap = self.slot(week)
        return self.in_slot(role, slot), swap

    def override_at(self, role: Role, at: datetime) -> int | None:
        """Index of the override of ``role`` covering ``at`` (start inclusive, end exclusive)."""
        for i, o in enumerate(self.overrides):
            if o.role is role and o.start <= at < o.end:
                return i
        return None

    def unavailable_at(self, member_id: str, at: datetime) -> int | None:
        """Index of an unavailability of ``member_id`` covering ``at``, or None."""
        for i, u in enumerate(self.unavailability):
            if u.member == member_id:
                start, end = u.span(self.member_zone(member_id))
                if start <= at < end:
                    return i
        return None

    def on_call(self, role: Role, at: datetime) -> Segment:
        """The segment of ``role`` that contains ``at`` (its bounds are not computed: start=end=at)."""
        week = self.week_at(at)
        member, swap = self.scheduled(role, week)
        override = self.override_at(role, at)
        if override is not None:
            member = self.overrides[override].member
        return Segment(role, at, at, member, week, swap, override)

    def segments(self, role: Role, start: datetime, end: datetime) -> list[Segment]:
        """``role``'s timeline over ``[start, end)`` in UTC, cut at handoffs and override bounds.

        Adjacent pieces with the same person, week and cause are merged, so each is one shift.
        """
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        cuts = {start, end}
        cuts.update(self.handoff_at(w) for w in range(self.week_at(start) + 1, self.week_at(end) + 1))
        for o in self.overrides:
            if o.role is role:
                cuts.update(t.astimezone(UTC) for t in (o.start, o.end) if start < t < end)
        bounds = sorted(c for c in cuts if start <= c <= end)
        out: list[Segment] = []
        for a, b in pairwise(bounds):
            seg = self.on_call(role, a)
            seg = Segment(role, a, b, seg.member, seg.week, seg.swap, seg.override)
            if out and _same_shift(out[-1], seg):
                seg = Segment(role, out[-1].start, b, seg.member, seg.week, seg.swap, seg.override)
                out.pop()
            out.append(seg)
        return out

    def member_zone(self, member_id: str) -> ZoneInfo:
        """The member's own timezone (the rotation's for an unknown member, so checks can go on)."""
        try:
            return ZoneInfo(self.member(member_id).timezone)
        except KeyError:
            return self.zone


def _same_shift(a: Segment, b: Segment) -> bool:
    return (a.member, a.week, a.swap, a.override, a.end) == (b.member, b.week, b.swap, b.override, b.start)


def _at_midnight(moment: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(moment, datetime):
        return moment.astimezone(UTC)
    return datetime.combine(moment, time(0), zone).astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Loading and checking


def load_oncall(path: Path | str) -> tuple[OnCallSpec | None, list[Problem]]:
    """Read, validate and check an on-call file: (spec, []) or (None, every problem, sorted).

    A spec with any problem is never returned: paging from a rotation with a gap is worse than
    keeping the previous one.
    """
    positioned, problems = load_yaml(path, describe_oncall)
    return _finish(positioned, problems)


def parse_oncall(text: str, path: str) -> tuple[OnCallSpec | None, list[Problem]]:
    """As :func:`load_oncall`, from text (``path`` only names it in problems)."""
    positioned, problems = parse_yaml(text, path, describe_oncall)
    return _finish(positioned, problems)


def check_oncall(path: Path | str) -> list[Problem]:
    """Every problem in an on-call file (schema, names, gaps, contradictions), sorted; [] if fine."""
    return load_oncall(path)[1]


def _finish(
    positioned: PositionedData | None, problems: list[Problem]
) -> tuple[OnCallSpec | None, list[Problem]]:
    if positioned is None:
        return None, problems
    try:
        spec = OnCallSpec.model_validate(positioned.data)
    except ValidationError as exc:
        return None, sorted(problems + located_problems(OnCallSpec, positioned, exc, describe_oncall))
    problems += semantic_problems(spec, positioned)
    return (None if problems else spec), sorted(problems)


def semantic_problems(spec: OnCallSpec, positioned: PositionedData) -> list[Problem]:
    """What the schema cannot see: unknown or repeated names, entries that contradict the
    schedule or each other, and gaps. The timeline is only walked once the entries make sense,
    so one typo does not also report a dozen gaps."""
    check = _Check(spec, positioned)
    check.names()
    check.rotation()
    check.overrides()
    check.swaps()
    check.unavailability()
    if not check.problems:
        check.replacements()
        check.timeline()
    return check.problems


class _Check:
    """Collects located problems about one spec; each method is one family of checks."""

    def __init__(self, spec: OnCallSpec, positioned: PositionedData) -> None:
        self.spec = spec
        self.positioned = positioned
        self.problems: list[Problem] = []
        self.known = sorted({m.id for m in spec.members})

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append(
            self.positioned.problem(loc, describe_oncall(loc, self.positioned.data) + message)
        )

    def line(self, loc: Loc) -> int:
        return self.positioned.position(loc)[0]

    def local(self, moment: datetime) -> str:
        return _show(moment.astimezone(self.spec.zone))

    def member_name(self, loc: Loc, name: str | None, prefix: str = "") -> None:
        if name is not None and name not in self.known:
            self.add(loc, f'{prefix}unknown member "{name}" (defined: {", ".join(self.known)})')

    def names(self) -> None:
        first: dict[str, int] = {}
        for i, m in enumerate(self.spec.members):
            if m.id in first:
                where = self.line(("members", first[m.id]))
                self.add(("members", i, "id"), f"defined twice (first at line {where})")
            first.setdefault(m.id, i)
        seen: dict[str, int] = {}
        for i, name in enumerate(self.spec.rotation.order):
            self.member_name(("rotation", "order", i), name, "rotation.order: ")
            if name in seen:
                self.add(
                    ("rotation", "order", i),
                    f'rotation.order: "{name}" is in it twice (positions {seen[name] + 1} and {i + 1})',
                )
            seen.setdefault(name, i)
        for i, o in enumerate(self.spec.overrides):
            self.member_name(("overrides", i, "member"), o.member)
            self.member_name(("overrides", i, "replaces"), o.replaces)
        for i, s in enumerate(self.spec.swaps):
            for j, name in enumerate(s.members):
                self.member_name(("swaps", i, "members", j), name)
        for i, u in enumerate(self.spec.unavailability):
            self.member_name(("unavailability", i, "member"), u.member)

    def rotation(self) -> None:
        r = self.spec.rotation
        if r.start.weekday() != r.handoff.weekday.number:
            self.add(
                ("rotation", "start"),
                f"rotation.start {r.start} is a {r.start:%A}, but handoffs are on {r.handoff.weekday.title()}s",
            )
        n = len(r.order)
        if r.sub_offset % n == 0:
            self.add(
                ("rotation", "sub_offset"),
                f"rotation.sub_offset {r.sub_offset} is a multiple of the order's {n} members, so every week's sub would be its primary",
            )

    def overrides(self) -> None:
        epoch = self.spec.handoff_at(0)
        items = self.spec.overrides
        for j, b in enumerate(items):
            if b.start < epoch:
                self.add(
                    ("overrides", j, "start"),
                    f"start {self.local(b.start)} is before the rotation's first handoff {self.local(epoch)}",
                )
            if b.replaces == b.member:
                self.add(("overrides", j, "replaces"), f'"{b.member}" cannot replace themselves')
            for i, a in enumerate(items[:j]):
                if a.role is b.role and a.start < b.end and b.start < a.end:
                    self.add(
                        ("overrides", j),
                        f"overlaps override {i + 1} (line {self.line(('overrides', i))}) for {b.role}: "
                        f"both cover {self.local(max(a.start, b.start))} to {self.local(min(a.end, b.end))}",
                    )

    def swaps(self) -> None:
        r = self.spec.rotation
        used: dict[date, int] = {}
        for i, s in enumerate(self.spec.swaps):
            if s.weeks[0] == s.weeks[1]:
                self.add(("swaps", i, "weeks"), f"both weeks are {s.weeks[0]} (expected two different weeks)")
                continue
            for j, day in enumerate(s.weeks):
                loc: Loc = ("swaps", i, "weeks", j)
                week = self.spec.week_of_day(day)
                if day < r.start:
                    self.add(loc, f"{day} is before the rotation starts ({r.start})")
                elif week is None:
                    self.add(loc, f"{day} is a {day:%A}, not a handoff day ({r.handoff.weekday.title()}s)")
                elif day in used:
                    self.add(
                        loc,
                        f"the week of {day} is already in swap {used[day] + 1} (line {self.line(('swaps', used[day]))})",
                    )
                elif s.members[j] in self.known and s.members[j] != self.spec.in_slot(Role.PRIMARY, week):
                    actual = self.spec.in_slot(Role.PRIMARY, week)
                    self.add(
                        ("swaps", i, "members", j),
                        f'"{s.members[j]}" is not primary in the week of {day} ({actual} is)',
                    )
                used.setdefault(day, i)

    def unavailability(self) -> None:
        for i, u in enumerate(self.spec.unavailability):
            start, end = u.span(self.spec.member_zone(u.member))
            if end <= start:
                self.add(
                    ("unavailability", i, "end"),
                    f"end {u.end.isoformat()} is not after start {u.start.isoformat()}",
                )

    def replacements(self) -> None:
        """An override's ``replaces`` must be who the schedule has in that role all along."""
        for i, o in enumerate(self.spec.overrides):
            if o.replaces is None:
                continue
            for seg in self.spec.segments(o.role, o.start, o.end):
                scheduled, _ = self.spec.scheduled(o.role, seg.week)
                if scheduled != o.replaces:
                    span = f"from {self.local(seg.start)} to {self.local(seg.end)}"
                    self.add(
                        ("overrides", i, "replaces"),
                        f'"{o.replaces}" is not {o.role} {span} ({scheduled} is)',
                    )

    def timeline(self) -> None:
        """Walk both roles from the epoch to the horizon; report people doubled up or unavailable."""
        spec = self.spec
        start, end = spec.handoff_at(0), self.horizon()
        cuts = {start, end}
        cuts.update(spec.handoff_at(w) for w in range(1, spec.week_at(end) + 1))
        for o in spec.overrides:
            cuts.update((o.start, o.end))
        for u in spec.unavailability:
            cuts.update(u.span(spec.member_zone(u.member)))
        bounds = sorted(c for c in cuts if start <= c <= end)
        issues: dict[tuple[Loc, str], list[list[datetime]]] = {}
        for a, b in pairwise(bounds):
            for loc, what in self.at(a):
                spans = issues.setdefault((loc, what), [])
                if spans and spans[-1][1] == a:
                    spans[-1][1] = b
                else:
                    spans.append([a, b])
        for (loc, what), spans in issues.items():
            for a, b in spans:
                self.add(loc, what.format(span=f"from {self.local(a)} to {self.local(b)}"))

    def at(self, moment: datetime) -> list[tuple[Loc, str]]:
        """Issues at ``moment`` as (where, message with a ``{span}`` slot)."""
        spec = self.spec
        primary, sub = spec.on_call(Role.PRIMARY, moment), spec.on_call(Role.SUB, moment)
        out: list[tuple[Loc, str]] = []
        if primary.member == sub.member:
            culprit = sub.override if sub.override is not None else primary.override
            loc: Loc = ("overrides", culprit, "member") if culprit is not None else ("rotation", "order")
            prefix = "" if culprit is not None else "rotation.order: "
            out.append((loc, f"{prefix}{primary.member} would be both primary and sub {{span}}"))
        for seg in (primary, sub):
            u = spec.unavailable_at(seg.member, moment)
            if u is None:
                continue
            if seg.override is not None:
                where = f"unavailability {u + 1}, line {self.line(('unavailability', u))}"
                out.append(
                    (("overrides", seg.override, "member"), f"{seg.member} is unavailable {{span}} ({where})")
                )
            else:
                out.append(
                    (
                        ("unavailability", u),
                        f"nobody covers {seg.role} {{span}}: {seg.member} is unavailable (add an override or a swap)",
                    )
                )
        return out

    def horizon(self) -> datetime:
        """Where the last dated entry ends (at least one full cycle): after it nothing changes."""
        spec = self.spec
        ends = [spec.handoff_at(len(spec.rotation.order))]
        ends += [o.end for o in spec.overrides]
        ends += [u.span(spec.member_zone(u.member))[1] for u in spec.unavailability]
        weeks = [w for s in spec.swaps for d in s.weeks if (w := spec.week_of_day(d)) is not None]
        ends += [spec.handoff_at(max(weeks) + 1)] if weeks else []
        return max(ends)


_KINDS = {"overrides": "override", "swaps": "swap", "unavailability": "unavailability"}


def describe_oncall(loc: Loc, data: Any) -> str:
    """Prefix naming the list entry at ``loc``: ``override 2 (carol): ``, ``member "alice": ``.

    ``rotation`` is not a list: its messages name the field (``rotation.start ...``) themselves.
    """
    if not loc:
        return ""
    head = loc[0]
    if len(loc) < 2 or not isinstance(loc[1], int):
        return ""
    item = _item(data, head, loc[1])
    if head == "members":
        ident = item.get("id") if isinstance(item, dict) else None
        return f"member {_quote(ident)}: " if isinstance(ident, str) else f"member {loc[1] + 1}: "
    if head in _KINDS:
        who = item.get("member") if isinstance(item, dict) else None
        return f"{_KINDS[head]} {loc[1] + 1}{f' ({who})' if isinstance(who, str) else ''}: "
    return ""


def _item(data: Any, key: Any, index: int) -> Any:
    items = data.get(key) if isinstance(data, dict) else None
    return items[index] if isinstance(items, list) and 0 <= index < len(items) else None


def _quote(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _show(moment: datetime) -> str:
    """An instant as people read it in messages: ``2026-03-09T10:00+01:00``."""
    return moment.isoformat(timespec="minutes")


__all__ = [
    "DayOrInstant",
    "Handoff",
    "Instant",
    "Member",
    "OnCallSpec",
    "Override",
    "Role",
    "Rotation",
    "Segment",
    "Swap",
    "Unavailability",
    "Weekday",
    "check_oncall",
    "describe_oncall",
    "load_oncall",
    "parse_oncall",
    "semantic_problems",
]
