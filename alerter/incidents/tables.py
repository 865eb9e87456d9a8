"""Every SQLModel table of alerter. Place in the flow: the persistence of ``incidents`` (and later
``notify``'s outbox, ``route``'s maintenance windows and audit log: add their tables HERE, plus an
Alembic revision in ``alerter/migrations/versions``).

Conventions, the same on SQLite and PostgreSQL:

* times are POSIX seconds as ``float`` (``REAL`` / ``double precision``), like :mod:`alerter.clock`:
  exact round trips, no timezone conversions by either driver;
* enums are stored as their string values (``IncidentStatus``, ``Severity``, ``SuppressionReason``);
* uniqueness that protects restarts is enforced by the database with **partial unique indexes**
  (both databases support ``CREATE UNIQUE INDEX ... WHERE``): at most one *open* incident per
  ``group_key``, at most one *current* alert row per ``fingerprint``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

# Partial-index predicates, spelled once so the model and the migration agree.
OPEN_INCIDENT = text("status <> 'resolved'")
CURRENT_ALERT = text("is_current")


class SuppressionReason(StrEnum):
    """Why an alert or incident was kept from paging (``route`` decides; stored here)."""

    MAINTENANCE = "maintenance"
    DEPENDENCY = "dependency"
    FLAPPING = "flapping"
    STORM = "storm"
    POLICY = "policy"


class Incident(SQLModel, table=True):
    """One correlated occurrence. ``key`` is the stable dedup key (PagerDuty ``dedup_key``)."""

    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint("status IN ('triggered', 'acknowledged', 'resolved')", name="ck_incident_status"),
        Index(
            "uq_incident_open_group",
            "group_key",
            unique=True,
            sqlite_where=OPEN_INCIDENT,
            postgresql_where=OPEN_INCIDENT,
        ),
        Index("ix_incident_group_resolved", "group_key", "resolved_at"),
        Index("ix_incident_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    title: str
    severity: str = Field(max_length=16)
    status: str = Field(max_length=16)
    group_key: str
    root_cause: str | None = None
    opened_at: float
    acked_at: float | None = None
    acked_by: str | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    reopened_count: int = 0
    alert_count: int = 0
    active_count: int = 0
    occurrences: int = 0
    last_change_at: float
    flapping: bool = False
    suppressed: str | None = Field(default=None, max_length=16)


class Alert(SQLModel, table=True):
    """A series' membership in exactly one incident, with its latest state.

    A fingerprint that fires again after its incident's reopen window gets a new row in the new
    incident; the old row keeps the history and stops being ``is_current``.
    """

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("incident_id", "fingerprint", name="uq_alert_incident_fingerprint"),
        Index(
            "uq_alert_current_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=CURRENT_ALERT,
            postgresql_where=CURRENT_ALERT,
        ),
        Index("ix_alert_fingerprint", "fingerprint"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64)
    rule: str
    host: str | None = None
    service: str | None = None
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(max_length=16)
    value: float | None = None
    first_seen: float
    last_seen: float
    last_state_change: float
    incident_id: int = Field(foreign_key="incident.id", index=True)
    is_current: bool = True
    suppressed: str | None = Field(default=None, max_length=16)


class AlertStateChange(SQLModel, table=True):
    """History: one row per state change of an alert."""

    __tablename__ = "alert_state_change"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    at: float
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str = Field(max_length=16)
    value: float | None = None


class Suppression(SQLModel, table=True):
    """A record that an alert or incident was kept from paging, and why."""

    __tablename__ = "suppression"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int | None = Field(default=None, foreign_key="alert.id", index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    reason: str = Field(max_length=16)
    detail: str = ""
    at: float


class IncidentEvent(SQLModel, table=True):
    """The incident timeline: transitions, acks, notes, suppressions (``kind`` is a Transition value
    or another stage's word)."""

    __tablename__ = "incident_event"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    at: float
    kind: str = Field(max_length=32)
    detail: str = ""
    actor: str | None = None


class SeriesState(SQLModel, table=True):
    """Per-series evaluation state (``evaluate.RuleState`` entries) saved so a restart resumes."""

    __tablename__ = "series_state"

    rule: str = Field(primary_key=True)
    fingerprint: str = Field(primary_key=True, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: float


metadata = SQLModel.metadata
