"""The ``escalation`` table: where each paging incident's escalation is (route.escalation state).

Place in the flow: persistence for :mod:`alerter.notify.dispatch`, in the incident store's
database and written in the same transaction as the incident change and the outbox rows, so a
restarted engine resumes every escalation exactly where it was (the Sub is still paged at
``started_at + escalate_after``, not ``restart + escalate_after``). Declared here because
``incidents`` is the one place SQLModel tables live; the schema comes from revision ``0004``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Escalation(SQLModel, table=True):
    """One incident's escalation state, as :meth:`EscalationState.to_dict` writes it."""

    __tablename__ = "escalation"

    incident_key: str = Field(primary_key=True, max_length=255)
    state: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    next_at: float | None = Field(default=None, index=True)  # None: nothing planned (stopped/done)
    updated_at: float
