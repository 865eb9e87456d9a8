"""Read one report range from the incident database into plain records. Thin on purpose.

Place in the flow: the incident store (:mod:`alerter.incidents.tables`, the outbox table of
:mod:`alerter.incidents.outbox_tables`) -> **here** -> :class:`~alerter.reports.records.ReportData`
-> the pure report modules. One read transaction; the same SQL on SQLite and PostgreSQL.

What is read for ``[start, end)``:

* incidents opened in the range (with their ack and resolve times, which may fall later);
* raw alerts: ``alert_state_change`` rows entering a non-ok state from ok or from nothing, with
  the alert's rule, host and ``role`` label;
* ``suppression`` rows;
* pages: the outbox's *trigger* rows (one per person and channel; acknowledge and resolve
  notifications do not page anyone), queued in the range. The person is the row's ``target``;
  rows written before the dispatcher set it name the person in the request's
  ``custom_details`` (``responder_id``, or ``responder`` as ``"Name (id)"``); a page to a channel
  itself (a team list, a chat room) has no person. A database without the outbox table (before migration 0003) falls back to the
  incident timeline's ``paged``/``escalated`` events: the person is the ``actor``, else the
  ``(id)`` in the detail (``"primary Grace Miller (grace) via pagerduty: ..."``), the channel the
  word after ``via`` (else ``timeline``); those pages count as delivered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import inspect, or_
from sqlmodel import Session, col, select

from alerter.incidents.outbox_tables import OutboxPage
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import Alert, AlertStateChange, Incident, IncidentEvent, Suppression
from alerter.model import Severity
from alerter.notify.pager import PageAction
from alerter.reports.records import AlertFiring, IncidentRow, PageRow, ReportData, SuppressionRow

TIMELINE_PAGE_KINDS = ("paged", "escalated")
TIMELINE_CHANNEL = "timeline"
_RESPONDER = re.compile(r"\(([a-z][a-z0-9_.-]*)\)$")
"""The member id at the end of ``"Grace Miller (grace)"`` (ids match MEMBER_ID_PATTERN)."""
_TIMELINE_PAGE = re.compile(r"\(([a-z][a-z0-9_.-]*)\) via (\S+?):?(?:\s|$)")
OK = Severity.OK.value


def read_report_data(store: IncidentStore, start: float, end: float) -> ReportData:
    """Everything :func:`~alerter.reports.report.build_report` needs for ``[start, end)``."""
    with store.transaction() as tx:
        return read_session(tx.session, start, end)


def read_session(session: Session, start: float, end: float) -> ReportData:
    """:func:`read_report_data` inside a transaction the caller holds (the web UI's)."""
    has_outbox = inspect(session.connection()).has_table(OutboxPage.__tablename__)
    return ReportData(
        incidents=_incidents(session, start, end),
        firings=_firings(session, start, end),
        suppressions=_suppressions(session, start, end),
        pages=_outbox_pages(session, start, end) if has_outbox else _timeline_pages(session, start, end),
    )


def _incidents(session: Session, start: float, end: float) -> tuple[IncidentRow, ...]:
    rows = session.exec(
        select(Incident)
        .where(Incident.opened_at >= start, Incident.opened_at < end)
        .order_by(col(Incident.opened_at), col(Incident.id))
    ).all()
    return tuple(
        IncidentRow(r.id or 0, r.key, r.opened_at, r.severity, r.acked_at, r.resolved_at, r.suppressed)
        for r in rows
    )


def _firings(session: Session, start: float, end: float) -> tuple[AlertFiring, ...]:
    rows = session.exec(
        select(AlertStateChange, Alert)
        .join(Alert, col(Alert.id) == col(AlertStateChange.alert_id))
        .where(
            AlertStateChange.at >= start,
            AlertStateChange.at < end,
            AlertStateChange.to_state != OK,
            or_(col(AlertStateChange.from_state).is_(None), col(AlertStateChange.from_state) == OK),
        )
        .order_by(col(AlertStateChange.at), col(AlertStateChange.id))
    ).all()
    return tuple(
        AlertFiring(
            change.at, alert.fingerprint, alert.rule, alert.host, alert.labels.get("role"), alert.incident_id
        )
        for change, alert in rows
    )


def _suppressions(session: Session, start: float, end: float) -> tuple[SuppressionRow, ...]:
    rows = session.exec(
        select(Suppression).where(Suppression.at >= start, Suppression.at < end).order_by(col(Suppression.at))
    ).all()
    return tuple(SuppressionRow(r.at, r.reason) for r in rows)


def _outbox_pages(session: Session, start: float, end: float) -> tuple[PageRow, ...]:
    rows = session.exec(
        select(OutboxPage)
        .where(OutboxPage.created_at >= start, OutboxPage.created_at < end)
        .order_by(col(OutboxPage.created_at), col(OutboxPage.id))
    ).all()
    return tuple(
        PageRow(r.created_at, r.incident_key, r.target or _responder(r.request), r.channel, r.delivered_at)
        for r in rows
        if r.request.get("action") == PageAction.TRIGGER.value
    )


def _timeline_pages(session: Session, start: float, end: float) -> tuple[PageRow, ...]:
    rows = session.exec(
        select(IncidentEvent, Incident.key)
        .join(Incident, col(Incident.id) == col(IncidentEvent.incident_id))
        .where(
            col(IncidentEvent.kind).in_(TIMELINE_PAGE_KINDS),
            IncidentEvent.at >= start,
            IncidentEvent.at < end,
        )
        .order_by(col(IncidentEvent.at), col(IncidentEvent.id))
    ).all()
    return tuple(_timeline_page(e, key) for e, key in rows)


def _responder(request: Mapping[str, Any]) -> str:
    """The member id the dispatcher named in the page's details, or ``""`` (a channel page:
    a team list or chat room is nobody's interruption)."""
    details = request.get("custom_details") or {}
    if "responder_id" in details:
        return str(details["responder_id"] or "")
    found = _RESPONDER.search(str(details.get("responder") or ""))  # rows queued before responder_id
    return found.group(1) if found else ""


def _timeline_page(event: IncidentEvent, key: str) -> PageRow:
    found = _TIMELINE_PAGE.search(event.detail)
    person = event.actor or (found.group(1) if found else "")
    channel = found.group(2) if found else TIMELINE_CHANNEL
    return PageRow(event.at, key, person, channel, event.at)
