"""``alerter oncall sync``: keep a rotation's PagerDuty schedules and escalation policy equal to the file.

Place in the flow: integrations. The CLI (``alerter/cli/oncall_sync.py``) loads a checked
:class:`~alerter.config.oncall.OnCallSpec`, then this module reads PagerDuty through
:mod:`.rest`, computes a :class:`SyncPlan` (pure: :func:`desired_state` + :func:`plan_sync`) and
applies only its writes (:func:`apply_plan`). Run twice, the second plan is empty.

How the rotation maps onto PagerDuty (decided here):

* **Two schedules**, ``alerter: <rotation> primary`` and ``alerter: <rotation> sub``, each with one
  weekly layer: ``rotation_virtual_start`` = the epoch handoff (``rotation.start`` at
  ``handoff.time`` in ``handoff.timezone``, with its offset), ``rotation_turn_length_seconds`` =
  604800, users = the members' ``pagerduty_user_id`` in ``rotation.order`` (the sub layer's order
  shifted by ``sub_offset``, so turn ``i`` is ``order[(i + sub_offset) mod n]`` exactly as our
  week ``i``). The schedule's ``time_zone`` is the handoff timezone: PagerDuty turns layers in the
  schedule's zone, so Monday 10:00 Berlin stays 10:00 across DST. The layer ``start`` is the
  current week's handoff (or the epoch while the rotation has not begun): a layer starting in the
  past is normal, and PagerDuty keeps the history of a changed layer by ending the old one, so
  ``start`` is not compared and only layers still running (``end`` null or in the future) count.
* **Overrides.** PagerDuty has no swaps, so everything that makes someone other than the plain
  order hold a role becomes an override on that role's schedule: swapped weeks (whole weeks, both
  roles), our ``overrides`` (which is also how an unavailability is covered: the checks reject an
  uncovered one). They are computed from the calendar itself
  (:meth:`~alerter.config.oncall.OnCallSpec.segments` from the epoch), so the pieces are exact
  and never overlap, and adjacent pieces of one person are merged into one override. Only those
  overlapping the window ``[now, handoff of the current week + weeks)`` are synced, each with its
  full extent (an override in progress or reaching past the window is not clipped, so tomorrow's
  run finds the same one).
* **Escalation policy** ``alerter: <rotation>``: level 1 the primary schedule, level 2 the sub
  schedule, optional level 3 a final member's user; ``num_loops`` repeats the whole policy.
* **Identity.** Our objects are found by exact name and must carry :data:`MARKER` in their
  description; an object with our name but without it is someone else's and stops the sync
  rather than being taken over. Every override on our schedules within the window is ours:
  PagerDuty overrides made by hand there are deleted (edit ``oncall.yaml`` instead).
* **Diff.** Schedules by time zone, description and the running layer's (virtual start as an
  instant, turn length, users in order, no restrictions): a difference is one PUT of the whole
  schedule (the running layer's id is kept so PagerDuty updates it in place). Overrides by
  (start, end, user) as instants: missing ones are one POST per schedule (its per-item statuses
  are checked), stale ones one DELETE each. The policy by name, description, ``num_loops`` and
  rules (delay, targets): a difference is one PUT.

Members' ``pagerduty_user_id`` must be users of the account (``GET /users``, all pages); a
missing one stops the sync before any write, naming the member.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from alerter.config.oncall import OnCallSpec, Role
from alerter.errors import AlerterError
from integrations.pagerduty.rest import PagerDutyApiError, PagerDutyRest

MARKER = "Managed by alerter (alerter oncall sync from oncall.yaml); edits here are overwritten."
WEEK_SECONDS = 7 * 24 * 3600
DEFAULT_WEEKS = 12
JSON = dict[str, Any]


class SyncError(AlerterError):
    """The sync cannot go on: an unknown user, an object that is not ours, or a refused write."""


# ---------------------------------------------------------------------------------------------
# Desired state (pure)


@dataclass(frozen=True, slots=True)
class Escalation:
    """The escalation policy's timings. Each delay is PagerDuty's ``escalation_delay_in_minutes``
    of that level: how long before an unacknowledged incident moves on from it. The last level's
    delay (``loop_after``) only matters with ``num_loops`` > 0."""

    escalate_after: int = 10
    final_member: str | None = None
    final_after: int | None = None  # default: escalate_after
    loop_after: int | None = None  # default: escalate_after
    num_loops: int = 0

    def delays(self) -> tuple[int, ...]:
        """Minutes per level: (primary, sub) or (primary, sub, final)."""
        final = self.escalate_after if self.final_after is None else self.final_after
        loop = self.escalate_after if self.loop_after is None else self.loop_after
        if self.final_member is None:
            return (self.escalate_after, loop)
        return (self.escalate_after, final, loop)


@dataclass(frozen=True, slots=True)
class Layer:
    """One weekly layer: who takes turns, from when, how long a turn is."""

    virtual_start: datetime
    turn_seconds: int
    user_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Schedule:
    """A schedule as we want it (``role``'s) or as PagerDuty has it (``id`` set)."""

    role: Role
    name: str
    description: str
    time_zone: str
    layer: Layer | None  # the running layer (None: PagerDuty has no running layer)
    id: str | None = None
    layer_id: str | None = None
    other_layers: int = 0  # running layers beyond the first, or restricted ones: a difference


@dataclass(frozen=True, slots=True)
class Override:
    """``user_id`` holds the schedule's role in ``[start, end)`` (UTC); ``id`` once in PagerDuty."""

    start: datetime
    end: datetime
    user_id: str
    who: str = ""  # member id, for people reading the plan
    id: str | None = None

    @property
    def key(self) -> tuple[datetime, datetime, str]:
        return (self.start, self.end, self.user_id)


@dataclass(frozen=True, slots=True)
class Target:
    """An escalation target: one of our schedules (by role) or a user (by PagerDuty id)."""

    kind: str  # "schedule" | "user"
    ref: str  # a Role value for schedules, a user id for users


@dataclass(frozen=True, slots=True)
class Rule:
    delay_minutes: int
    targets: tuple[Target, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    description: str
    num_loops: int
    rules: tuple[Rule, ...]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Desired:
    """What PagerDuty should hold for one rotation, and the window overrides are synced in."""

    schedules: Mapping[Role, Schedule]
    overrides: Mapping[Role, tuple[Override, ...]]
    policy: Policy
    since: datetime
    until: datetime
    layer_start: datetime
    members: Mapping[str, str] = field(default_factory=dict)  # PagerDuty user id -> member id


def schedule_name(spec: OnCallSpec, role: Role) -> str:
    return f"alerter: {spec.rotation.name} {role}"


def policy_name(spec: OnCallSpec) -> str:
    return f"alerter: {spec.rotation.name}"


def desired_state(spec: OnCallSpec, now: datetime, weeks: int, escalation: Escalation) -> Desired:
    """PagerDuty's objects for ``spec`` as of ``now``, overrides in ``weeks`` weeks. Pure.

    Raises ValueError for ``weeks`` < 1 or a ``final_member`` not in the spec.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1 (got {weeks})")
    current = max(spec.week_at(now), 0)
    since, until = now.astimezone(UTC), spec.handoff_at(current + weeks)
    return Desired(
        schedules={role: _schedule(spec, role) for role in Role},
        overrides={role: tuple(_window(_deviations(spec, role, until), since, until)) for role in Role},
        policy=_policy(spec, escalation),
        since=since,
        until=until,
        layer_start=spec.handoff_at(current),
        members={m.pagerduty_user_id: m.id for m in spec.members},
    )


def _schedule(spec: OnCallSpec, role: Role) -> Schedule:
    order = spec.rotation.order
    shift = 0 if role is Role.PRIMARY else spec.rotation.sub_offset
    users = tuple(spec.member(order[(i + shift) % len(order)]).pagerduty_user_id for i in range(len(order)))
    epoch = spec.handoff_at(0).astimezone(spec.zone)
    layer = Layer(epoch, WEEK_SECONDS, users)
    description = f"{role} of on-call rotation {spec.rotation.name}. {MARKER}"
    return Schedule(role, schedule_name(spec, role), description, spec.rotation.handoff.timezone, layer)


def _deviations(spec: OnCallSpec, role: Role, until: datetime) -> list[Override]:
    """Every stretch where ``role`` is not held by the plain order, from the epoch on, merged."""
    last = max(
        [spec.week_at(until)]
        + [spec.week_at(o.end) for o in spec.overrides]
        + [w for s in spec.swaps for d in s.weeks if (w := spec.week_of_day(d)) is not None]
    )
    out: list[Override] = []
    for seg in spec.segments(role, spec.handoff_at(0), spec.handoff_at(last + 2)):
        if seg.member == spec.in_slot(role, seg.week):
            continue
        user = spec.member(seg.member).pagerduty_user_id
        if out and out[-1].end == seg.start and out[-1].user_id == user:
            out[-1] = Override(out[-1].start, seg.end, user, seg.member)
        else:
            out.append(Override(seg.start, seg.end, user, seg.member))
    return out


def _window(overrides: Iterable[Override], since: datetime, until: datetime) -> list[Override]:
    return [o for o in overrides if o.start < until and o.end > since]


def _policy(spec: OnCallSpec, escalation: Escalation) -> Policy:
    targets = [(Target("schedule", Role.PRIMARY.value),), (Target("schedule", Role.SUB.value),)]
    if escalation.final_member is not None:
        try:
            final = spec.member(escalation.final_member)
        except KeyError:
            known = ", ".join(m.id for m in spec.members)
            raise ValueError(
                f'final member "{escalation.final_member}" is not a member (defined: {known})'
            ) from None
        targets.append((Target("user", final.pagerduty_user_id),))
    rules = tuple(Rule(d, t) for d, t in zip(escalation.delays(), targets, strict=True))
    description = f"Escalation of on-call rotation {spec.rotation.name}: primary, then sub. {MARKER}"
    return Policy(policy_name(spec), description, escalation.num_loops, rules)


def unknown_users(spec: OnCallSpec, known: set[str]) -> list[str]:
    """One message per member whose ``pagerduty_user_id`` is not in ``known`` (the account's users)."""
    return [
        f'member "{m.id}" ({m.name}): pagerduty_user_id {m.pagerduty_user_id} is not a user of the PagerDuty account'
        for m in spec.members
        if m.pagerduty_user_id not in known
    ]


# ---------------------------------------------------------------------------------------------
# Current state: PagerDuty's JSON -> the same value types (pure)


@dataclass(frozen=True, slots=True)
class Current:
    """What PagerDuty holds now (None: no such object yet)."""

    schedules: Mapping[Role, Schedule | None]
    overrides: Mapping[Role, tuple[Override, ...]]
    policy: Policy | None


def parse_schedule(role: Role, data: JSON, now: datetime) -> Schedule:
    """A schedule from ``GET /schedules/{id}``; only layers still running at ``now`` count."""
    running = [
        layer
        for layer in data.get("schedule_layers") or []
        if layer.get("end") is None or instant(layer["end"]) > now
    ]
    first = running[0] if running else None
    layer = None
    if first is not None:
        users = tuple(u["user"]["id"] for u in first.get("users") or [])
        layer = Layer(
            instant(first["rotation_virtual_start"]), int(first["rotation_turn_length_seconds"]), users
        )
    extra = max(len(running) - 1, 0) + sum(1 for layer in running if layer.get("restrictions"))
    return Schedule(
        role,
        data.get("name") or "",
        data.get("description") or "",
        data.get("time_zone") or "",
        layer,
        id=data["id"],
        layer_id=first.get("id") if first else None,
        other_layers=extra,
    )


def parse_override(data: JSON) -> Override:
    return Override(instant(data["start"]), instant(data["end"]), data["user"]["id"], id=data.get("id"))


def parse_policy(data: JSON, schedule_roles: Mapping[str, Role]) -> Policy:
    """A policy from ``GET /escalation_policies/{id}``; targets that are our schedules become roles."""
    rules = []
    for rule in data.get("escalation_rules") or []:
        targets = []
        for t in rule.get("targets") or []:
            kind = str(t["type"]).removesuffix("_reference")
            ref = (
                schedule_roles[t["id"]].value if kind == "schedule" and t["id"] in schedule_roles else t["id"]
            )
            targets.append(Target(kind, ref))
        rules.append(Rule(int(rule["escalation_delay_in_minutes"]), tuple(targets)))
    return Policy(
        data.get("name") or "",
        data.get("description") or "",
        int(data.get("num_loops") or 0),
        tuple(rules),
        id=data["id"],
    )


def instant(text: str) -> datetime:
    """PagerDuty's ISO 8601 time as an aware UTC datetime (a missing offset is UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def pick_ours(found: Iterable[JSON], name: str, what: str) -> JSON | None:
    """The one object named exactly ``name`` carrying :data:`MARKER`; None if there is none.

    Raises SyncError for several such objects, or one with our name made by someone else.
    """
    named = [obj for obj in found if obj.get("name") == name]
    ours = [obj for obj in named if MARKER in (obj.get("description") or "")]
    if len(ours) > 1:
        ids = ", ".join(obj["id"] for obj in ours)
        raise SyncError(f'pagerduty: {len(ours)} {what}s named "{name}" ({ids}); delete all but one')
    if not ours and named:
        raise SyncError(
            f'pagerduty: {what} "{name}" ({named[0]["id"]}) was not made by alerter (its description lacks '
            f"the alerter marker); rename it, or add the marker to let alerter manage it"
        )
    return ours[0] if ours else None


# ---------------------------------------------------------------------------------------------
# The plan (pure)


class Action(StrEnum):
    CREATE_SCHEDULE = "create schedule"
    UPDATE_SCHEDULE = "update schedule"
    CREATE_OVERRIDES = "create overrides"
    DELETE_OVERRIDE = "delete override"
    CREATE_POLICY = "create escalation policy"
    UPDATE_POLICY = "update escalation policy"


@dataclass(frozen=True, slots=True)
class Operation:
    """One write. ``role`` names the schedule it concerns (None for the policy); ``why`` says why."""

    action: Action
    role: Role | None
    why: str
    schedule: Schedule | None = None
    overrides: tuple[Override, ...] = ()
    policy: Policy | None = None
    object_id: str | None = None

    def __str__(self) -> str:
        what = self.action.value + (f" {self.role}" if self.role else "")
        if self.object_id:
            what += f" ({self.object_id})"
        return f"{what}: {self.why}"


@dataclass(frozen=True, slots=True)
class SyncPlan:
    """The writes that make PagerDuty equal the file, in the order they must run."""

    operations: tuple[Operation, ...] = ()
    desired: Desired | None = field(default=None, compare=False)
    schedule_ids: Mapping[Role, str] = field(default_factory=dict)  # schedules that exist already

    @property
    def empty(self) -> bool:
        return not self.operations

    def lines(self) -> list[str]:
        """The plan for people (``--dry-run``); one line per write, overrides listed below theirs."""
        if self.empty:
            return ["pagerduty is up to date: nothing to write"]
        out = []
        for op in self.operations:
            out.append(str(op))
            out.extend(
                f"    + {_show_override(o)}" for o in op.overrides if op.action is Action.CREATE_OVERRIDES
            )
        return out


def plan_sync(desired: Desired, current: Current) -> SyncPlan:
    """The minimal writes turning ``current`` into ``desired``. Pure."""
    ops: list[Operation] = []
    for role in Role:
        ops.extend(_schedule_ops(desired.schedules[role], current.schedules.get(role)))
    for role in Role:
        have = tuple(
            replace(o, who=desired.members.get(o.user_id, "")) for o in current.overrides.get(role, ())
        )
        ops.extend(_override_ops(role, desired.overrides[role], have))
    ops.extend(_policy_ops(desired.policy, current))
    ids = {role: s.id for role, s in current.schedules.items() if s is not None and s.id}
    return SyncPlan(tuple(ops), desired, ids)


def _schedule_ops(want: Schedule, have: Schedule | None) -> list[Operation]:
    if have is None:
        return [Operation(Action.CREATE_SCHEDULE, want.role, f'"{want.name}" does not exist', schedule=want)]
    changes = _schedule_changes(want, have)
    if not changes:
        return []
    # keep the running layer's id: PagerDuty then updates that layer (ending it now, for history)
    keep = replace(want, layer_id=have.layer_id)
    return [
        Operation(Action.UPDATE_SCHEDULE, want.role, "; ".join(changes), schedule=keep, object_id=have.id)
    ]


def _schedule_changes(want: Schedule, have: Schedule) -> list[str]:
    out = []
    if have.time_zone != want.time_zone:
        out.append(f"time_zone {have.time_zone or '(none)'} -> {want.time_zone}")
    if have.description != want.description:
        out.append("description")
    if have.layer is None:
        return [*out, "no running layer"]
    assert want.layer is not None
    if have.layer.user_ids != want.layer.user_ids:
        out.append(f"users {', '.join(have.layer.user_ids)} -> {', '.join(want.layer.user_ids)}")
    if have.layer.turn_seconds != want.layer.turn_seconds:
        out.append(f"turn {have.layer.turn_seconds}s -> {want.layer.turn_seconds}s")
    if have.layer.virtual_start != want.layer.virtual_start:
        out.append(f"virtual start {_iso(have.layer.virtual_start)} -> {_iso(want.layer.virtual_start)}")
    if have.other_layers:
        out.append("extra or restricted layers")
    return out


def _override_ops(role: Role, want: Sequence[Override], have: Sequence[Override]) -> list[Operation]:
    """POST what is missing; DELETE what is not wanted (of duplicates, the first one is kept)."""
    wanted = Counter(o.key for o in want)
    stale = []
    for o in have:
        if wanted[o.key] > 0:
            wanted[o.key] -= 1
        else:
            stale.append(o)
    missing = []  # what is still wanted after matching
    for o in want:
        if wanted[o.key] > 0:
            wanted[o.key] -= 1
            missing.append(o)
    ops = []
    if missing:
        ops.append(
            Operation(Action.CREATE_OVERRIDES, role, f"{len(missing)} missing", overrides=tuple(missing))
        )
    ops.extend(
        Operation(Action.DELETE_OVERRIDE, role, f"not in the file: {_show_override(o)}", object_id=o.id)
        for o in stale
    )
    return ops


def _policy_ops(want: Policy, current: Current) -> list[Operation]:
    have = current.policy
    if have is None:
        return [Operation(Action.CREATE_POLICY, None, f'"{want.name}" does not exist', policy=want)]
    # a schedule about to be created has no id yet, so a rule pointing at it cannot match
    changes = []
    if any(current.schedules.get(role) is None for role in Role):
        changes.append("new schedules")
    elif have.rules != want.rules:
        changes.append(f"rules {_show_rules(have.rules)} -> {_show_rules(want.rules)}")
    if have.num_loops != want.num_loops:
        changes.append(f"num_loops {have.num_loops} -> {want.num_loops}")
    if have.description != want.description:
        changes.append("description")
    if not changes:
        return []
    return [Operation(Action.UPDATE_POLICY, None, "; ".join(changes), policy=want, object_id=have.id)]


def _show_override(o: Override) -> str:
    who = f"{o.who} ({o.user_id})" if o.who else o.user_id
    return f"{who} from {_iso(o.start)} to {_iso(o.end)}"


def _show_rules(rules: Sequence[Rule]) -> str:
    return " | ".join(
        f"{r.delay_minutes}m " + ",".join(f"{t.kind}:{t.ref}" for t in r.targets) for r in rules
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


# ---------------------------------------------------------------------------------------------
# Request bodies (pure)


def schedule_body(want: Schedule, layer_start: datetime, layer_id: str | None = None) -> JSON:
    """``{"schedule": ...}`` for POST /schedules or PUT /schedules/{id}."""
    assert want.layer is not None
    zone = want.layer.virtual_start.tzinfo
    layer: JSON = {
        "name": "weekly",
        "start": layer_start.astimezone(zone).isoformat(),
        "rotation_virtual_start": want.layer.virtual_start.isoformat(),
        "rotation_turn_length_seconds": want.layer.turn_seconds,
        "users": [{"user": {"id": uid, "type": "user_reference"}} for uid in want.layer.user_ids],
    }
    if layer_id:
        layer["id"] = layer_id
    return {
        "schedule": {
            "type": "schedule",
            "name": want.name,
            "description": want.description,
            "time_zone": want.time_zone,
            "schedule_layers": [layer],
        }
    }


def overrides_body(overrides: Sequence[Override]) -> JSON:
    """``{"overrides": [...]}`` for POST /schedules/{id}/overrides (instants in UTC)."""
    return {
        "overrides": [
            {
                "start": o.start.isoformat(),
                "end": o.end.isoformat(),
                "user": {"id": o.user_id, "type": "user_reference"},
            }
            for o in overrides
        ]
    }


def policy_body(want: Policy, schedule_ids: Mapping[Role, str]) -> JSON:
    """``{"escalation_policy": ...}`` with our schedules' roles replaced by their ids."""
    rules = [
        {
            "escalation_delay_in_minutes": rule.delay_minutes,
            "targets": [
                {
                    "id": schedule_ids[Role(t.ref)] if t.kind == "schedule" else t.ref,
                    "type": f"{t.kind}_reference",
                }
                for t in rule.targets
            ],
        }
        for rule in want.rules
    ]
    return {
        "escalation_policy": {
            "type": "escalation_policy",
            "name": want.name,
            "description": want.description,
            "num_loops": want.num_loops,
            "escalation_rules": rules,
        }
    }


# ---------------------------------------------------------------------------------------------
# I/O: read PagerDuty, apply a plan


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What a sync did: the plan, the writes done, and the writes PagerDuty refused (per item)."""

    plan: SyncPlan
    done: tuple[str, ...]
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def read_current(rest: PagerDutyRest, spec: OnCallSpec, desired: Desired, now: datetime) -> Current:
    """Our objects as PagerDuty holds them (lists by name, then each object by id)."""
    schedules: dict[Role, Schedule | None] = {}
    overrides: dict[Role, tuple[Override, ...]] = {}
    for role in Role:
        name = schedule_name(spec, role)
        found = pick_ours(rest.paginate("/schedules", "schedules", {"query": name}), name, "schedule")
        schedule = None
        if found is not None:
            schedule = parse_schedule(role, rest.get(f"/schedules/{found['id']}")["schedule"], now)
        schedules[role] = schedule
        overrides[role] = () if schedule is None else _read_overrides(rest, schedule.id or "", desired)
    roles = {s.id: role for role, s in schedules.items() if s is not None and s.id}
    name = policy_name(spec)
    found = pick_ours(
        rest.paginate("/escalation_policies", "escalation_policies", {"query": name}),
        name,
        "escalation policy",
    )
    policy = None
    if found is not None:
        data = rest.get(f"/escalation_policies/{found['id']}")["escalation_policy"]
        policy = parse_policy(data, roles)
    return Current(schedules, overrides, policy)


def _read_overrides(rest: PagerDutyRest, schedule_id: str, desired: Desired) -> tuple[Override, ...]:
    # overflow=true: overrides crossing the window keep their real bounds instead of being cut
    params = {"since": desired.since.isoformat(), "until": desired.until.isoformat(), "overflow": "true"}
    answer = rest.get(f"/schedules/{schedule_id}/overrides", params)
    return tuple(parse_override(o) for o in answer.get("overrides") or [])


def check_users(rest: PagerDutyRest, spec: OnCallSpec) -> None:
    """Raise SyncError naming every member whose PagerDuty user does not exist (reads all pages)."""
    known = {u["id"] for u in rest.paginate("/users", "users")}
    problems = unknown_users(spec, known)
    if problems:
        raise SyncError("pagerduty: no write done:\n" + "\n".join(problems))


def apply_plan(rest: PagerDutyRest, plan: SyncPlan) -> SyncResult:
    """Run ``plan``'s writes in order. A refused schedule or policy write raises SyncError (what
    follows depends on it); refused overrides (per-item statuses) and deletes are collected in
    ``failures`` and the rest goes on."""
    desired = plan.desired
    assert desired is not None
    ids = dict(plan.schedule_ids)
    done: list[str] = []
    failures: list[str] = []
    for op in plan.operations:
        try:
            done.extend(_apply(rest, op, desired, ids, failures))
        except PagerDutyApiError as error:
            if op.action is Action.DELETE_OVERRIDE:
                failures.append(f"{op}: {error}")
                continue
            raise SyncError(f"{error} (while: {op}; done before: {len(done)} writes)") from None
    return SyncResult(plan, tuple(done), tuple(failures))


def _apply(
    rest: PagerDutyRest, op: Operation, desired: Desired, ids: dict[Role, str], failures: list[str]
) -> list[str]:
    if op.action is Action.CREATE_SCHEDULE:
        assert op.schedule is not None and op.role is not None
        created = rest.post("/schedules", schedule_body(op.schedule, desired.layer_start))["schedule"]
        ids[op.role] = created["id"]
        return [f"{op} -> {created['id']}"]
    if op.action is Action.UPDATE_SCHEDULE:
        assert op.schedule is not None and op.object_id is not None
        rest.put(f"/schedules/{op.object_id}", schedule_body(op.schedule, desired.layer_start, _layer_id(op)))
        return [str(op)]
    if op.action is Action.CREATE_OVERRIDES:
        assert op.role is not None
        return _create_overrides(rest, op, ids[op.role], failures)
    if op.action is Action.DELETE_OVERRIDE:
        assert op.role is not None
        status = rest.delete(f"/schedules/{ids[op.role]}/overrides/{op.object_id}")
        return [f"{op}{' (in progress: truncated)' if status == 200 else ''}"]
    assert op.policy is not None
    body = policy_body(op.policy, ids)
    if op.action is Action.CREATE_POLICY:
        created = rest.post("/escalation_policies", body)["escalation_policy"]
        return [f"{op} -> {created['id']}"]
    rest.put(f"/escalation_policies/{op.object_id}", body)
    return [str(op)]


def _layer_id(op: Operation) -> str | None:
    return op.schedule.layer_id if op.schedule is not None else None


def _create_overrides(rest: PagerDutyRest, op: Operation, schedule_id: str, failures: list[str]) -> list[str]:
    """POST all missing overrides at once; PagerDuty answers one status per item (201 or 400 ...)."""
    answer = rest.post(f"/schedules/{schedule_id}/overrides", overrides_body(op.overrides))
    items: list[JSON] = answer if isinstance(answer, list) else []
    done = []
    for i, o in enumerate(op.overrides):
        item = items[i] if i < len(items) else {}
        status = item.get("status")
        if status == 201:
            done.append(f"create override {op.role}: {_show_override(o)} -> {item['override'].get('id')}")
        else:
            errors = "; ".join(item.get("errors") or []) or "no answer for this item"
            failures.append(f"create override {op.role}: {_show_override(o)}: {status}: {errors}")
    return done


def sync_rotation(
    rest: PagerDutyRest,
    spec: OnCallSpec,
    *,
    now: datetime,
    weeks: int = DEFAULT_WEEKS,
    escalation: Escalation | None = None,
    dry_run: bool = False,
) -> SyncResult:
    """Read, diff, and (unless ``dry_run``) write: the one call the CLI makes.

    Raises SyncError (unknown users, foreign objects, a refused schedule/policy write) or
    PagerDutyApiError (a read failed).
    """
    escalation = escalation or Escalation()
    desired = desired_state(spec, now, weeks, escalation)
    check_users(rest, spec)
    current = read_current(rest, spec, desired, now)
    plan = plan_sync(desired, current)
    if dry_run or plan.empty:
        return SyncResult(plan, (), ())
    return apply_plan(rest, plan)


__all__ = [
    "MARKER",
    "Action",
    "Current",
    "Desired",
    "Escalation",
    "Layer",
    "Operation",
    "Override",
    "Policy",
    "Rule",
    "Schedule",
    "SyncError",
    "SyncPlan",
    "SyncResult",
    "Target",
    "apply_plan",
    "check_users",
    "desired_state",
    "instant",
    "overrides_body",
    "parse_override",
    "parse_policy",
    "parse_schedule",
    "pick_ours",
    "plan_sync",
    "policy_body",
    "read_current",
    "schedule_body",
    "sync_rotation",
    "unknown_users",
]
