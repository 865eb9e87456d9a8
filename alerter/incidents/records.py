"""Plain values the incident store returns, and their mapping to and from table rows.

Place in the flow: between :mod:`.tables` (rows, live only inside a transaction) and the stages
that use the store (correlation, route, web), which get these frozen values instead of ORM
objects, so nothing lazy-loads after a commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from alerter.incidents.lifecycle import AlertSnapshot, Decision, IncidentSnapshot, IncidentStatus, Transition
from alerter.incidents.tables import Alert, Incident, IncidentEvent
from alerter.model import Severity


@dataclass(frozen=True, slots=True)
class AlertObservation:
    """One observed state of one series, as the correlation stage hands it to the store.

    ``group_key`` names the incident the alert should join if it has none open (the correlation
    stage computes it); ``title`` is used when that opens a new incident.
    """

    fingerprint: str
    rule: str
    state: Severity
    at: float
    group_key: str
    title: str
    host: str | None = None
    service: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    value: float | None = None

    def snapshot(self) -> AlertSnapshot:
        return AlertSnapshot(
            fingerprint=self.fingerprint,
            state=self.state,
            first_seen=self.at,
            last_seen=self.at,
            last_state_change=self.at,
            rule=self.rule,
            host=self.host,
            service=self.service,
            labels=dict(self.labels),
            value=self.value,
        )


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """A stored incident with its member alerts (all rows, current or moved on)."""

    id: int
    incident: IncidentSnapshot
    alerts: tuple[AlertSnapshot, ...]
    root_cause: str | None = None
    flapping: bool = False
    suppressed: str | None = None

    @property
    def key(self) -> str:
        return self.incident.key

    @property
    def active_count(self) -> int:
        return sum(1 for a in self.alerts if a.active)


@dataclass(frozen=True, slots=True)
class Applied:
    """What the store did with one observation or action.

    ``incident_id``/``key``: the incident the alert belongs to (None: an ok series that belongs to
    nothing, so nothing was stored). ``decision``: the lifecycle step taken, None when the state
    was unchanged and only the alert row was refreshed.
    """

    incident_id: int | None
    key: str | None
    decision: Decision | None

    @property
    def transitions(self) -> tuple[Transition, ...]:
        return () if self.decision is None else self.decision.transitions


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of an incident's timeline."""

    at: float
    kind: str
    detail: str
    actor: str | None


@dataclass(frozen=True, slots=True)
class RestartState:
    """Everything needed to rebuild in-memory state after a restart.

    ``series_states`` is ``{rule: {fingerprint: data}}``, the shape of ``evaluate.RuleState``.
    """

    open_incidents: tuple[IncidentRecord, ...]
    series_states: Mapping[str, Mapping[str, Mapping[str, Any]]]


class AlertColumns(Protocol):
    """What :func:`alert_snapshot` reads: an :class:`Alert` row, or a row of just these columns."""

    fingerprint: str
    state: str
    first_seen: float
    last_seen: float
    last_state_change: float
    rule: str
    host: str | None
    service: str | None
    labels: dict[str, str]
    value: float | None


def alert_snapshot(row: AlertColumns) -> AlertSnapshot:
    return AlertSnapshot(
        fingerprint=row.fingerprint,
        state=Severity(row.state),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        last_state_change=row.last_state_change,
        rule=row.rule,
        host=row.host,
        service=row.service,
        labels=dict(row.labels),
        value=row.value,
    )


def incident_snapshot(row: Incident) -> IncidentSnapshot:
    return IncidentSnapshot(
        key=row.key,
        group_key=row.group_key,
        title=row.title,
        status=IncidentStatus(row.status),
        severity=Severity(row.severity),
        opened_at=row.opened_at,
        last_change_at=row.last_change_at,
        acked_at=row.acked_at,
        acked_by=row.acked_by,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        reopened_count=row.reopened_count,
        occurrences=row.occurrences,
    )


def incident_record(row: Incident, alerts: tuple[AlertSnapshot, ...]) -> IncidentRecord:
    assert row.id is not None  # rows handed here were flushed
    return IncidentRecord(
        id=row.id,
        incident=incident_snapshot(row),
        alerts=alerts,
        root_cause=row.root_cause,
        flapping=row.flapping,
        suppressed=row.suppressed,
    )


def copy_incident(decision: Decision, row: Incident) -> None:
    """Write the decision's incident fields and counts onto ``row``."""
    s = decision.incident
    _assign(
        row,
        key=s.key,
        group_key=s.group_key,
        title=s.title,
        status=s.status.value,
        severity=s.severity.value,
        opened_at=s.opened_at,
        last_change_at=s.last_change_at,
        acked_at=s.acked_at,
        acked_by=s.acked_by,
        resolved_at=s.resolved_at,
        resolved_by=s.resolved_by,
        reopened_count=s.reopened_count,
        occurrences=s.occurrences,
        alert_count=decision.alert_count,
        active_count=decision.active_count,
    )


def copy_alert(snapshot: AlertSnapshot, row: Alert) -> None:
    """Write ``snapshot``'s state and details onto ``row``."""
    _assign(
        row,
        fingerprint=snapshot.fingerprint,
        rule=snapshot.rule,
        host=snapshot.host,
        service=snapshot.service,
        labels=dict(snapshot.labels),
        state=snapshot.state.value,
        value=snapshot.value,
        first_seen=snapshot.first_seen,
        last_seen=snapshot.last_seen,
        last_state_change=snapshot.last_state_change,
    )


def _assign(row: Incident | Alert, **values: Any) -> None:
    """Set only the fields that differ: an unchanged field costs no ORM change tracking, and
    an unchanged row stays out of the session's next flush."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def timeline_entry(row: IncidentEvent) -> TimelineEntry:
    return TimelineEntry(at=row.at, kind=row.kind, detail=row.detail, actor=row.actor)
