"""The maintenance windows people start (CLI, HTTP API) and the audit log of who silenced what.

Place in the flow: persistence beside the incident store, in the same database (same URL, same
engine rules: :func:`alerter.incidents.engine.make_engine`, Alembic migrations). ``route`` reads
the windows into a :class:`~alerter.route.maintenance.MaintenanceBook`; the CLI and the web API
write them here. Recurring windows kept in git (``rules/maintenance.yaml``) are not stored; their
audit log is the git history.

Every change writes one ``maintenance_audit`` row in the same transaction: who (a person, or the
API token's name), when, the action, and a JSON snapshot of the window after the change::

    store = MaintenanceStore("sqlite:///var/alerter.db")
    w = store.start(MaintenanceWindow("new", hosts=("web1",), start=now, end=now + 600,
                                      reason="release 42"), by="alice", now=now)
    store.end_window(int(w.id), by="alice", now=now + 300)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Engine
from sqlmodel import Field, Session, SQLModel, col, select

from alerter.config.maintenance import MaintenanceWindow, Matcher, Recurrence
from alerter.incidents.engine import make_engine
from alerter.migrations import upgrade_to_head


class MaintenanceAction(StrEnum):
    """What an audit row records."""

    START = "start"  # a window that is active from the moment it was created
    ANNOUNCE = "announce"  # a window created ahead of its start (a release schedule)
    END = "end"  # ended early by a person
    EXTEND = "extend"  # its end moved
    NARROW = "narrow"  # ``end --host H`` took one host out of a multi-host window
    EXPIRE = "expire"  # it reached its end or expiry (recorded by :meth:`MaintenanceStore.expire`)


class MaintenanceWindowRow(SQLModel, table=True):
    """A stored window. ``closed_at`` is set once it is over (ended or expired), never before."""

    __tablename__ = "maintenance_window"

    id: int | None = Field(default=None, primary_key=True)
    hosts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    matchers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    starts_at: float | None = None
    ends_at: float | None = None
    cron: str | None = Field(default=None, max_length=128)
    duration: float | None = None
    timezone: str | None = Field(default=None, max_length=64)
    owner: str = ""
    reason: str = ""
    created_by: str = ""
    created_at: float
    expires_at: float | None = None
    ended_at: float | None = None
    ended_by: str | None = None
    closed_at: float | None = Field(default=None, index=True)


class MaintenanceAudit(SQLModel, table=True):
    """One change to a window: who, when, what, and the window as it was after the change."""

    __tablename__ = "maintenance_audit"

    id: int | None = Field(default=None, primary_key=True)
    window_id: int = Field(foreign_key="maintenance_window.id", index=True)
    at: float
    actor: str
    action: str = Field(max_length=16)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An audit row as a value."""

    id: int
    window_id: int
    at: float
    actor: str
    action: MaintenanceAction
    snapshot: dict[str, Any]


class UnknownWindow(LookupError):
    """No stored window has this id."""


class WindowClosed(ValueError):
    """The window is already over (ended or expired); it cannot be ended or extended."""


class MaintenanceStore:
    """Windows and their audit log on ``url`` (``sqlite:///...`` or ``postgresql+psycopg://...``).

    ``migrate``: bring the schema to head on open (default), as the incident store does.
    """

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.engine: Engine = make_engine(url)
        if migrate:
            upgrade_to_head(self.engine)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def start(self, window: MaintenanceWindow, *, by: str, now: float) -> MaintenanceWindow:
        """Store ``window`` (its ``id`` is replaced by the new row's) and audit it as started, or
        announced when it opens after ``now``. Returns the stored window."""
        row = _to_row(window, created_at=now)
        row.created_by = window.created_by or by
        with self._session() as session:
            session.add(row)
            session.flush()
            stored = _to_window(row)
            announced = window.start is not None and window.start > now
            _audit(
                session, row, by, now, MaintenanceAction.ANNOUNCE if announced else MaintenanceAction.START
            )
        return stored

    def end_window(self, window_id: int, *, by: str, now: float) -> MaintenanceWindow:
        """End window ``window_id`` at ``now`` (an announced one is cancelled). Raises
        UnknownWindow, WindowClosed."""
        with self._session() as session:
            row = _open_row(session, window_id, now)
            _end(session, row, by, now)
            return _to_window(row)

    def end_host(self, host: str, *, by: str, now: float) -> list[MaintenanceWindow]:
        """End maintenance of ``host`` now: a fixed window naming only this host ends; one naming
        others too only loses this host (action ``narrow``). Windows announced for later and
        recurring windows stay (end those by id). Returns the changed windows (empty when
        ``host`` was in no open window)."""
        changed = []
        with self._session() as session:
            for row in _open_rows(session):
                window = _to_window(row)
                if host not in row.hosts or window.recurrence is not None:
                    continue
                if window.start is not None and window.start > now:
                    continue
                if row.hosts == [host]:
                    _end(session, row, by, now)
                else:
                    row.hosts = [h for h in row.hosts if h != host]
                    _audit(session, row, by, now, MaintenanceAction.NARROW)
                changed.append(_to_window(row))
        return changed

    def extend(self, window_id: int, *, end: float, by: str, now: float) -> MaintenanceWindow:
        """Move a fixed window's end to ``end`` (later or earlier, but after its start and ``now``).
        Raises UnknownWindow, WindowClosed, ValueError."""
        with self._session() as session:
            row = _open_row(session, window_id, now)
            if row.cron is not None:
                raise ValueError(f"maintenance window {window_id}: a recurring window has no end to move")
            if row.starts_at is not None and end <= max(row.starts_at, now):
                raise ValueError(
                    f"maintenance window {window_id}: the new end must be after its start and now"
                )
            row.ends_at = end
            session.add(row)
            _audit(session, row, by, now, MaintenanceAction.EXTEND)
            return _to_window(row)

    def expire(self, now: float, *, by: str = "alerter") -> list[MaintenanceWindow]:
        """Close the windows that are over at ``now`` (end or expiry passed), one ``expire`` audit
        row each. Housekeeping: activity never depends on it."""
        expired = []
        with self._session() as session:
            for row in _open_rows(session):
                stop = _to_window(row).stops_at
                if stop is not None and stop <= now:
                    row.closed_at = stop
                    session.add(row)
                    _audit(session, row, by, now, MaintenanceAction.EXPIRE)
                    expired.append(_to_window(row))
        return expired

    def get(self, window_id: int) -> MaintenanceWindow:
        """Raises UnknownWindow."""
        with self._session() as session:
            return _to_window(_row(session, window_id))

    def windows(self, *, now: float | None = None) -> list[MaintenanceWindow]:
        """Every stored window by id; with ``now``, only those not over by then (active or
        announced): what a :class:`~alerter.route.maintenance.MaintenanceBook` needs."""
        with self._session() as session:
            rows = session.exec(select(MaintenanceWindowRow).order_by(col(MaintenanceWindowRow.id))).all()
            windows = [_to_window(r) for r in rows]
        if now is None:
            return windows
        return [w for w in windows if w.stops_at is None or w.stops_at > now]

    def audit(self, window_id: int | None = None) -> list[AuditEntry]:
        """The audit log in order, of one window or of all."""
        query = select(MaintenanceAudit).order_by(col(MaintenanceAudit.id))
        if window_id is not None:
            query = query.where(MaintenanceAudit.window_id == window_id)
        with self._session() as session:
            return [
                AuditEntry(
                    a.id or 0, a.window_id, a.at, a.actor, MaintenanceAction(a.action), dict(a.snapshot)
                )
                for a in session.exec(query).all()
            ]

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> MaintenanceStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _row(session: Session, window_id: int) -> MaintenanceWindowRow:
    row = session.get(MaintenanceWindowRow, window_id)
    if row is None:
        raise UnknownWindow(f"maintenance window {window_id}: no such window")
    return row


def _open_row(session: Session, window_id: int, now: float) -> MaintenanceWindowRow:
    row = _row(session, window_id)
    stop = _to_window(row).stops_at
    if row.closed_at is not None or (stop is not None and stop <= now):
        raise WindowClosed(f"maintenance window {window_id}: already over")
    return row


def _open_rows(session: Session) -> list[MaintenanceWindowRow]:
    query = select(MaintenanceWindowRow).where(col(MaintenanceWindowRow.closed_at).is_(None))
    return list(session.exec(query.order_by(col(MaintenanceWindowRow.id))).all())


def _end(session: Session, row: MaintenanceWindowRow, by: str, now: float) -> None:
    row.ended_at, row.ended_by, row.closed_at = now, by, now
    session.add(row)
    _audit(session, row, by, now, MaintenanceAction.END)


def _audit(
    session: Session, row: MaintenanceWindowRow, by: str, now: float, action: MaintenanceAction
) -> None:
    assert row.id is not None  # flushed before any audit
    snapshot = {**_to_window(row).to_dict(), "ended_by": row.ended_by}
    session.add(MaintenanceAudit(window_id=row.id, at=now, actor=by, action=action.value, snapshot=snapshot))


def _to_row(window: MaintenanceWindow, *, created_at: float) -> MaintenanceWindowRow:
    rec = window.recurrence
    return MaintenanceWindowRow(
        hosts=list(window.hosts),
        matchers=[str(m) for m in window.matchers],
        starts_at=window.start,
        ends_at=window.end,
        cron=rec.cron if rec else None,
        duration=rec.duration if rec else None,
        timezone=rec.timezone if rec else None,
        owner=window.owner,
        reason=window.reason,
        created_by=window.created_by,
        created_at=created_at,
        expires_at=window.expires_at,
        ended_at=window.ended_at,
    )


def _to_window(row: MaintenanceWindowRow) -> MaintenanceWindow:
    rec = None
    if row.cron is not None and row.duration is not None and row.timezone is not None:
        rec = Recurrence(row.cron, row.duration, row.timezone)
    return MaintenanceWindow(
        id=str(row.id),
        hosts=tuple(row.hosts),
        matchers=tuple(Matcher.parse(m) for m in row.matchers),
        start=row.starts_at,
        end=row.ends_at,
        recurrence=rec,
        owner=row.owner,
        reason=row.reason,
        created_by=row.created_by,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
    )


__all__ = [
    "AuditEntry",
    "MaintenanceAction",
    "MaintenanceAudit",
    "MaintenanceStore",
    "MaintenanceWindowRow",
    "UnknownWindow",
    "WindowClosed",
]
