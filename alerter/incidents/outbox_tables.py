"""The ``outbox`` table: pages waiting to leave, written in the incident change's own transaction.

Place in the flow: persistence of ``notify``'s durable outbox (:mod:`alerter.notify.outbox`), in
the incident store's database, so an incident change and the pages it causes commit together or
not at all. Declared here because ``incidents`` is the one place SQLModel tables live; the schema
comes from the Alembic revision ``0003_outbox``.

One row is one page for one transition of one incident on one channel (to one target):

* ``uq_outbox_transition`` (``incident_key, transition, channel, target``) lets the database
  refuse a second row for the same transition, so a re-run batch or a restarted engine cannot
  enqueue a page twice. ``target`` is ``""`` for "no particular person": SQL treats NULLs as
  distinct in a unique constraint, so a NULL target would let duplicates in;
* ``status`` moves ``pending -> sending -> delivered``; a recoverable failure puts the row back to
  ``pending`` with a later ``next_attempt_at``; a permanent one makes it ``failed``; too many
  attempts make it ``dead``. ``last_error`` keeps the latest reason in every case;
* times are POSIX seconds (``float``), like the other tables.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class OutboxStatus(StrEnum):
    """Where a queued page is."""

    PENDING = "pending"  # waiting for its next attempt (``next_attempt_at``)
    SENDING = "sending"  # claimed by a sender; its lease ends at ``next_attempt_at``
    DELIVERED = "delivered"  # the receiver accepted it
    FAILED = "failed"  # the receiver rejected it (permanent): never retried
    DEAD = "dead"  # recoverable failures until the attempts ran out


ACTIVE_STATUSES = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
"""Rows a sender still has to deliver; only these keep later rows of their stream waiting."""

NO_TARGET = ""
"""``target`` of a page addressed to no particular person (the channel's own recipients)."""

_STATUSES = ", ".join(f"'{s.value}'" for s in OutboxStatus)


class OutboxPage(SQLModel, table=True):
    """One page (trigger, acknowledge or resolve) queued for one channel; see the module doc."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("incident_key", "transition", "channel", "target", name="uq_outbox_transition"),
        CheckConstraint(f"status IN ({_STATUSES})", name="ck_outbox_status"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_stream", "incident_key", "channel", "target", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: float
    incident_key: str = Field(max_length=255)
    transition: str = Field(max_length=64)
    channel: str = Field(max_length=32)
    target: str = Field(default=NO_TARGET, max_length=128)
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=16)
    attempts: int = 0
    next_attempt_at: float
    last_attempt_at: float | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    delivered_at: float | None = None
