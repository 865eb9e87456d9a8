"""Escalation state per paging incident: table ``escalation`` (see alerter.incidents.escalation_tables).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import alerter.incidents.escalation_tables  # noqa: F401  (registers the table on the metadata)

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "escalation",
        sa.Column("incident_key", sa.String(length=255), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("incident_key"),
    )
    op.create_index("ix_escalation_next_at", "escalation", ["next_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_escalation_next_at", table_name="escalation")
    op.drop_table("escalation")
