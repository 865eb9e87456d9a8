"""The plain records reports compute over: no ORM rows, no I/O.

Place in the flow: :mod:`alerter.reports.query` reads the incident database into these values;
the pure report modules (:mod:`.volume`, :mod:`.interruptions`, :mod:`.response`) take them, so
every figure can be tested with a table of hand-written records. Times are POSIX seconds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """One incident: when it opened, was acknowledged and resolved (None: not (yet))."""

    id: int
    key: str
    opened_at: float
    severity: str = "critical"
    acked_at: float | None = None
    resolved_at: float | None = None
    suppressed: str | None = None


@dataclass(frozen=True, slots=True)
class AlertFiring:
    """One raw alert: a series entering a non-ok state (from ok or from nothing).

    ``role`` is the series' ``role`` label (host role, e.g. ``redis``), None when it has none.
    """

    at: float
    fingerprint: str
    rule: str
    host: str | None = None
    role: str | None = None
    incident_id: int | None = None


@dataclass(frozen=True, slots=True)
class SuppressionRow:
    """An alert or incident kept from paging, and the reason (a ``SuppressionReason`` value)."""

    at: float
    reason: str


@dataclass(frozen=True, slots=True)
class PageRow:
    """One page (a trigger notification) to one person on one channel.

    ``at`` is when it was decided (queued); ``delivered_at`` when it reached the person, None if
    it has not (pending, failed, dead): only delivered pages interrupt someone. ``person`` is the
    on-call member id, or ``""`` for a page to a channel's own recipients.
    """

    at: float
    incident_key: str
    person: str
    channel: str
    delivered_at: float | None = None


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything one report range needs, as read from the store."""

    incidents: tuple[IncidentRow, ...] = ()
    firings: tuple[AlertFiring, ...] = ()
    suppressions: tuple[SuppressionRow, ...] = ()
    pages: tuple[PageRow, ...] = ()
