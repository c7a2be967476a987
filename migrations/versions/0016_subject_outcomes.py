"""Outcomes per subject: how each person's path ended (the incident is tuntas when every subject has one)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident_subjects") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("outcome_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("outcome_at", app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("outcome_by_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_incident_subjects_outcome_by_id_users"), "users", ["outcome_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("incident_subjects") as batch:
        batch.drop_constraint(batch.f("fk_incident_subjects_outcome_by_id_users"), type_="foreignkey")
        batch.drop_column("outcome_by_id")
        batch.drop_column("outcome_at")
        batch.drop_column("outcome_note")
        batch.drop_column("outcome")
