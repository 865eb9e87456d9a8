"""What the incident pages and ``/api/v1/incidents`` show, read from the incident store.

Place in the flow: :class:`~alerter.incidents.store.IncidentStore` (incidents, their alerts and
timeline; the outbox's pages) -> **here** (plain pydantic values) -> the JSON API returns them as
they are, the pages render them. One function per screen, so the page and the API can never
disagree about a number.

The responder of an incident is who acknowledged it, else who resolved it by hand, else the
person the latest page went to (nobody while no page was sent). The timeline merges the
incident's own events (opened, joined, escalated, acknowledged, resolved, ...) with the pages
queued for it (channel, target, and how the delivery went), in time order.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from sqlmodel import col, select

from alerter.incidents.lifecycle import AlertSnapshot
from alerter.incidents.outbox_tables import NO_TARGET, OutboxPage
from alerter.incidents.records import IncidentRecord
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import Incident
from alerter.incidents.unit import StoreTransaction

RECENT_LIMIT = 100


class AlertOut(BaseModel):
    fingerprint: str
    rule: str
    host: str | None
    service: str | None
    state: str
    value: float | None
    labels: dict[str, str]
    first_seen: float
    last_seen: float
    last_state_change: float


class TimelineOut(BaseModel):
    """One line of the timeline: what happened, when, by whom, and why (``detail``)."""

    at: float
    kind: str
    detail: str
    actor: str | None


class PageOut(BaseModel):
    """One page queued for the incident (never its request body: that may carry routing keys)."""

    at: float
    transition: str
    channel: str
    target: str
    status: str
    attempts: int
    delivered_at: float | None
    last_error: str | None


class IncidentSummary(BaseModel):
    key: str
    title: str
    severity: str
    status: str
    responder: str | None
    opened_at: float
    age: float
    alert_count: int
    active_count: int
    acked_at: float | None
    acked_by: str | None
    resolved_at: float | None
    resolved_by: str | None
    reopened_count: int
    flapping: bool
    suppressed: str | None


class IncidentDetail(IncidentSummary):
    root_cause: str | None
    group_key: str
    affected_hosts: list[str]
    alerts: list[AlertOut]
    pages: list[PageOut]
    timeline: list[TimelineOut]


class IncidentList(BaseModel):
    """Open incidents (oldest first) and those resolved within ``recent_window`` (newest first)."""

    now: float
    recent_window: float
    open: list[IncidentSummary]
    recent: list[IncidentSummary]
    triggered: int
    acknowledged: int


def incident_list(store: IncidentStore, now: float, recent_window: float) -> IncidentList:
    """The incidents page: every open incident, and the recently resolved ones."""
    with store.transaction() as tx:
        open_records = tx.open_incidents()
        recent_records = _recently_resolved(tx, now - recent_window)
        pages = _pages(tx, [r.key for r in (*open_records, *recent_records)])
    open_rows = [_summary(r, pages.get(r.key, []), now) for r in open_records]
    return IncidentList(
        now=now,
        recent_window=recent_window,
        open=open_rows,
        recent=[_summary(r, pages.get(r.key, []), now) for r in recent_records],
        triggered=sum(1 for r in open_rows if r.status == "triggered"),
        acknowledged=sum(1 for r in open_rows if r.status == "acknowledged"),
    )


def incident_detail(store: IncidentStore, key: str, now: float) -> IncidentDetail | None:
    """One incident with its alerts, pages and timeline; None if there is no such key."""
    with store.transaction() as tx:
        record = tx.incident(key)
        if record is None:
            return None
        timeline = [
            TimelineOut(at=e.at, kind=e.kind, detail=e.detail, actor=e.actor) for e in tx.timeline(key)
        ]
        pages = _pages(tx, [key]).get(key, [])
    summary = _summary(record, pages, now)
    return IncidentDetail(
        **summary.model_dump(),
        root_cause=record.root_cause,
        group_key=record.incident.group_key,
        affected_hosts=sorted({a.host for a in record.alerts if a.host}),
        alerts=[_alert(a) for a in record.alerts],
        pages=pages,
        timeline=_merged(timeline, pages),
    )


def _recently_resolved(tx: StoreTransaction, since: float) -> list[IncidentRecord]:
    ids = tx.session.exec(
        select(Incident.id)
        .where(Incident.status == "resolved", col(Incident.resolved_at) >= since)
        .order_by(col(Incident.resolved_at).desc(), col(Incident.id).desc())
        .limit(RECENT_LIMIT)
    ).all()
    records = (tx.incident(int(i)) for i in ids if i is not None)
    return [r for r in records if r is not None]


def _pages(tx: StoreTransaction, keys: Sequence[str]) -> dict[str, list[PageOut]]:
    if not keys:
        return {}
    rows = tx.session.exec(
        select(OutboxPage).where(col(OutboxPage.incident_key).in_(list(keys))).order_by(col(OutboxPage.id))
    ).all()
    out: dict[str, list[PageOut]] = {}
    for row in rows:
        out.setdefault(row.incident_key, []).append(
            PageOut(
                at=row.created_at,
                transition=row.transition,
                channel=row.channel,
                target=row.target,
                status=row.status,
                attempts=row.attempts,
                delivered_at=row.delivered_at,
                last_error=row.last_error,
            )
        )
    return out


def _summary(record: IncidentRecord, pages: Sequence[PageOut], now: float) -> IncidentSummary:
    s = record.incident
    return IncidentSummary(
        key=s.key,
        title=s.title,
        severity=s.severity.value,
        status=s.status.value,
        responder=_responder(record, pages),
        opened_at=s.opened_at,
        age=max(0.0, (s.resolved_at if s.resolved_at is not None else now) - s.opened_at),
        alert_count=len(record.alerts),
        active_count=record.active_count,
        acked_at=s.acked_at,
        acked_by=s.acked_by,
        resolved_at=s.resolved_at,
        resolved_by=s.resolved_by,
        reopened_count=s.reopened_count,
        flapping=record.flapping,
        suppressed=record.suppressed,
    )


def _responder(record: IncidentRecord, pages: Sequence[PageOut]) -> str | None:
    s = record.incident
    if s.acked_by:
        return s.acked_by
    if s.resolved_by:
        return s.resolved_by
    targets = [p.target for p in pages if p.target != NO_TARGET]
    return targets[-1] if targets else None


def _alert(a: AlertSnapshot) -> AlertOut:
    return AlertOut(
        fingerprint=a.fingerprint,
        rule=a.rule,
        host=a.host,
        service=a.service,
        state=a.state.value,
        value=a.value,
        labels=dict(a.labels),
        first_seen=a.first_seen,
        last_seen=a.last_seen,
        last_state_change=a.last_state_change,
    )


def _merged(events: list[TimelineOut], pages: Sequence[PageOut]) -> list[TimelineOut]:
    paged = [
        TimelineOut(
            at=p.at,
            kind="paged",
            detail=f"{p.channel} to {p.target or 'the channel recipients'} for {p.transition}: {p.status}"
            + (f" ({p.last_error})" if p.last_error else ""),
            actor=None,
        )
        for p in pages
    ]
    # stable sort: at equal times the incident's own event (what caused the page) comes first
    return sorted([*events, *paged], key=lambda e: e.at)


__all__ = [
    "AlertOut",
    "IncidentDetail",
    "IncidentList",
    "IncidentSummary",
    "PageOut",
    "TimelineOut",
    "incident_detail",
    "incident_list",
]
