"""Maintenance windows and their audit log: maintenance_window, maintenance_audit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The tables are declared in alerter.incidents.maintenance_store; importing it puts them on the
# shared metadata that env.py and the models-match-migrations test compare against, whichever
# modules a process imported before migrating.
import alerter.incidents.maintenance_store  # noqa: F401

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "maintenance_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hosts", sa.JSON(), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.Float(), nullable=True),
        sa.Column("ends_at", sa.Float(), nullable=True),
        sa.Column("cron", sa.String(length=128), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("ended_by", sa.String(), nullable=True),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_maintenance_window_closed_at", "maintenance_window", ["closed_at"], unique=False)
    op.create_table(
        "maintenance_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["window_id"], ["maintenance_window.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_maintenance_audit_window_id", "maintenance_audit", ["window_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_maintenance_audit_window_id", table_name="maintenance_audit")
    op.drop_table("maintenance_audit")
    op.drop_index("ix_maintenance_window_closed_at", table_name="maintenance_window")
    op.drop_table("maintenance_window")
