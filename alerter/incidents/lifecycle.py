"""Incident lifecycle: pure transitions, no I/O.

Place in the flow: streams -> **incidents** (correlation -> *lifecycle* -> store) -> route. The
correlation stage decides *which* incident an alert belongs to; this module decides what happens
to that incident when one of its alerts changes state, when time passes, or when a person acts.
The store (:mod:`alerter.incidents.store`) loads plain snapshots, calls these functions and
writes the returned :class:`Decision` back in one transaction.

Rules (decided here, documented once):

* statuses are ``triggered -> acknowledged -> resolved``; an acknowledged incident stays
  acknowledged when alerts join or escalate (PagerDuty's behaviour: an ack is a person's claim);
* **severity** of an open incident is the worst severity any member alert reached *while it was
  open*: it is raised at once (``ESCALATED_SEVERITY``) but never lowered while open, so a page
  never bounces between urgencies. A reopened incident starts again from its active alerts;
* **auto-resolve**: once every member alert is ok and the newest of those changes is at least
  ``resolve_delay`` old (so ``resolve_delay == 0`` resolves on the ok itself);
* **reopen**: an alert *changing* to a non-ok state at most ``reopen_window`` after the resolve
  reopens the SAME incident (same key, ``reopened_count + 1``); later, the decision says
  ``open_new`` and the caller opens a new incident. An alert that merely stays non-ok (an
  incident a person resolved while it still fired) does not reopen it: only a change does;
* **counts**: ``alert_count`` members, ``active_count`` members not ok, ``occurrences`` how many
  times a member went from ok (or absent) to non-ok.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from alerter.errors import AlerterError
from alerter.model import Severity


class IncidentStatus(StrEnum):
    """Where an incident is in its life."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Transition(StrEnum):
    """Why a decision changed an incident; logged on its timeline and shown in the UI."""

    OPENED = "opened"  # a first non-ok alert opened a new incident
    JOINED = "joined"  # an alert not yet a member joined the open incident
    REFIRED = "refired"  # a member went from ok back to non-ok while the incident was open
    CHANGED = "changed"  # a member moved between non-ok states without raising the severity
    CLEARED = "cleared"  # a member went ok; the incident stays open until all are ok long enough
    ESCALATED_SEVERITY = "escalated_severity"  # the incident's severity went up
    ACKNOWLEDGED = "acknowledged"  # a person acknowledged it
    RESOLVED_AUTO = "resolved_auto"  # every member ok for resolve_delay
    RESOLVED_MANUAL = "resolved_manual"  # a person resolved it
    REOPENED = "reopened"  # a member fired again within reopen_window of the resolve


class IncidentStateError(AlerterError):
    """A person asked for a transition the incident's status does not allow (ack a resolved one)."""


@dataclass(frozen=True, slots=True)
class LifecyclePolicy:
    """Timings of the lifecycle, in seconds."""

    resolve_delay: float = 300.0
    reopen_window: float = 3600.0

    def __post_init__(self) -> None:
        if self.resolve_delay < 0 or self.reopen_window < 0:
            raise ValueError(f"lifecycle policy timings must be >= 0, got {self}")


@dataclass(frozen=True, slots=True)
class AlertSnapshot:
    """One member alert as the lifecycle sees it; descriptive fields ride along for the store."""

    fingerprint: str
    state: Severity
    first_seen: float
    last_seen: float
    last_state_change: float
    rule: str = ""
    host: str | None = None
    service: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    value: float | None = None

    @property
    def active(self) -> bool:
        return self.state is not Severity.OK


@dataclass(frozen=True, slots=True)
class IncidentSnapshot:
    """The lifecycle-relevant fields of one incident (the store maps them to its row)."""

    key: str
    group_key: str
    title: str
    status: IncidentStatus
    severity: Severity
    opened_at: float
    last_change_at: float
    acked_at: float | None = None
    acked_by: str | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    reopened_count: int = 0
    occurrences: int = 1

    @property
    def is_open(self) -> bool:
        return self.status is not IncidentStatus.RESOLVED


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one lifecycle step: the incident and its members afterwards, and why.

    ``transitions`` is empty when nothing worth a timeline entry happened (an unchanged state
    still refreshes ``last_seen``). ``open_new`` asks the caller to open a new incident because
    the alert fired again after the reopen window of this (resolved) one.
    """

    incident: IncidentSnapshot
    alerts: tuple[AlertSnapshot, ...]
    transitions: tuple[Transition, ...]
    at: float
    fingerprint: str | None = None
    actor: str | None = None
    note: str | None = None
    open_new: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.transitions)

    @property
    def alert_count(self) -> int:
        return len(self.alerts)

    @property
    def active_count(self) -> int:
        return sum(1 for a in self.alerts if a.active)


def open_incident(key: str, group_key: str, title: str, alert: AlertSnapshot, now: float) -> Decision:
    """A new incident for ``alert`` (which must be non-ok; ValueError otherwise)."""
    if not alert.active:
        raise ValueError(f"incident {key}: cannot open on ok alert {alert.fingerprint}")
    incident = IncidentSnapshot(
        key=key,
        group_key=group_key,
        title=title,
        status=IncidentStatus.TRIGGERED,
        severity=alert.state,
        opened_at=now,
        last_change_at=now,
    )
    return Decision(incident, (alert,), (Transition.OPENED,), now, fingerprint=alert.fingerprint)


def on_alert_state(
    incident: IncidentSnapshot,
    alerts: Sequence[AlertSnapshot],
    alert: AlertSnapshot,
    now: float,
    policy: LifecyclePolicy,
) -> Decision:
    """Apply one observation of ``alert`` (its new state at ``now``) to ``incident``.

    ``alert`` carries the new state and details; its timestamps are recomputed from the member
    it replaces (if any). Returns the decision; raises nothing.
    """
    previous = _find(alerts, alert.fingerprint)
    if previous is None and not alert.active:
        # an ok series that never fired is no member of anything
        return Decision(incident, tuple(alerts), (), now, fingerprint=alert.fingerprint)
    updated = _observe(previous, alert, now)
    members = _replace_member(alerts, updated)
    if not incident.is_open:
        return _on_resolved(incident, alerts, members, previous, updated, now, policy)
    reasons = _member_reasons(previous, updated, incident.severity)
    refired = updated.active and (previous is None or not previous.active)
    severity = Severity.worst((incident.severity, updated.state))
    new = incident
    if reasons:
        new = replace(
            incident,
            severity=severity,
            last_change_at=now,
            occurrences=incident.occurrences + (1 if refired else 0),
        )
    decision = Decision(new, members, reasons, now, fingerprint=alert.fingerprint)
    if not updated.active:
        return _resolve_if_quiet(decision, now, policy)
    return decision


def on_tick(
    incident: IncidentSnapshot, alerts: Sequence[AlertSnapshot], now: float, policy: LifecyclePolicy
) -> Decision:
    """Time passed: auto-resolve ``incident`` if every member has been ok for ``resolve_delay``."""
    return _resolve_if_quiet(Decision(incident, tuple(alerts), (), now), now, policy)


def acknowledge(
    incident: IncidentSnapshot,
    alerts: Sequence[AlertSnapshot],
    who: str,
    now: float,
    note: str | None = None,
) -> Decision:
    """A person acknowledges. Idempotent on an acknowledged incident (no transition).

    Raises IncidentStateError on a resolved incident: there is nothing left to claim.
    """
    if not incident.is_open:
        raise IncidentStateError(f"incident {incident.key}: cannot acknowledge, it is resolved")
    if incident.status is IncidentStatus.ACKNOWLEDGED:
        return Decision(incident, tuple(alerts), (), now, actor=who, note=note)
    new = replace(
        incident, status=IncidentStatus.ACKNOWLEDGED, acked_at=now, acked_by=who, last_change_at=now
    )
    return Decision(new, tuple(alerts), (Transition.ACKNOWLEDGED,), now, actor=who, note=note)


def resolve(
    incident: IncidentSnapshot,
    alerts: Sequence[AlertSnapshot],
    who: str,
    now: float,
    note: str | None = None,
) -> Decision:
    """A person resolves, even while alerts still fire. Idempotent on a resolved incident."""
    if not incident.is_open:
        return Decision(incident, tuple(alerts), (), now, actor=who, note=note)
    new = _resolved(incident, now, who)
    return Decision(new, tuple(alerts), (Transition.RESOLVED_MANUAL,), now, actor=who, note=note)


def can_reopen(incident: IncidentSnapshot, now: float, policy: LifecyclePolicy) -> bool:
    """True if ``incident`` is resolved and ``now`` is still within its reopen window."""
    return (
        incident.resolved_at is not None
        and not incident.is_open
        and now - incident.resolved_at <= policy.reopen_window
    )


def _on_resolved(
    incident: IncidentSnapshot,
    alerts: Sequence[AlertSnapshot],
    members: tuple[AlertSnapshot, ...],
    previous: AlertSnapshot | None,
    updated: AlertSnapshot,
    now: float,
    policy: LifecyclePolicy,
) -> Decision:
    fired = updated.active and (previous is None or previous.state is not updated.state)
    if not fired:
        return Decision(incident, members, (), now, fingerprint=updated.fingerprint)
    if not can_reopen(incident, now, policy):
        # the alert moves on to a new incident; this one keeps its members as they were
        return Decision(incident, tuple(alerts), (), now, fingerprint=updated.fingerprint, open_new=True)
    reopened = replace(
        incident,
        status=IncidentStatus.TRIGGERED,
        resolved_at=None,
        resolved_by=None,
        acked_at=None,
        acked_by=None,
        reopened_count=incident.reopened_count + 1,
        severity=Severity.worst(a.state for a in members),
        last_change_at=now,
        occurrences=incident.occurrences + 1,
    )
    reasons = (Transition.REOPENED,) if previous is not None else (Transition.REOPENED, Transition.JOINED)
    return Decision(reopened, members, reasons, now, fingerprint=updated.fingerprint)


def _member_reasons(
    previous: AlertSnapshot | None, updated: AlertSnapshot, severity: Severity
) -> tuple[Transition, ...]:
    reasons: list[Transition] = []
    if previous is None:
        if not updated.active:
            return ()
        reasons.append(Transition.JOINED)
    elif previous.state is updated.state:
        return ()
    elif not updated.active:
        reasons.append(Transition.CLEARED)
    elif not previous.active:
        reasons.append(Transition.REFIRED)
    if updated.state.rank > severity.rank:
        reasons.append(Transition.ESCALATED_SEVERITY)
    elif previous is not None and previous.active and updated.active:
        reasons.append(Transition.CHANGED)
    return tuple(reasons)


def _resolve_if_quiet(decision: Decision, now: float, policy: LifecyclePolicy) -> Decision:
    incident = decision.incident
    if not incident.is_open or not decision.alerts or decision.active_count:
        return decision
    quiet_since = max(a.last_state_change for a in decision.alerts)
    if now - quiet_since < policy.resolve_delay:
        return decision
    return replace(
        decision,
        incident=_resolved(incident, now, None),
        transitions=(*decision.transitions, Transition.RESOLVED_AUTO),
    )


def _resolved(incident: IncidentSnapshot, now: float, who: str | None) -> IncidentSnapshot:
    return replace(
        incident, status=IncidentStatus.RESOLVED, resolved_at=now, resolved_by=who, last_change_at=now
    )


def _observe(previous: AlertSnapshot | None, alert: AlertSnapshot, now: float) -> AlertSnapshot:
    if previous is None:
        return replace(alert, first_seen=now, last_seen=now, last_state_change=now)
    since = previous.last_state_change if previous.state is alert.state else now
    return replace(alert, first_seen=previous.first_seen, last_seen=now, last_state_change=since)


def _find(alerts: Sequence[AlertSnapshot], fp: str) -> AlertSnapshot | None:
    return next((a for a in alerts if a.fingerprint == fp), None)


def _replace_member(alerts: Sequence[AlertSnapshot], alert: AlertSnapshot) -> tuple[AlertSnapshot, ...]:
    if _find(alerts, alert.fingerprint) is None:
        return (*alerts, alert)
    return tuple(alert if a.fingerprint == alert.fingerprint else a for a in alerts)
