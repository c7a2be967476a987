"""offers: incidents offered to crews; assignment, attempts and escalation on incidents

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401 - autogenerate renders JSONB(astext_type=sa.Text())
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("crew_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("offered_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column(
            "decision",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["crew_id"], ["crews.id"], name=op.f("fk_offers_crew_id_crews")),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_offers_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index("ix_offers_crew_status", ["crew_id", "status"], unique=False)
        batch_op.create_index("ix_offers_incident", ["incident_id"], unique=False)
        batch_op.create_index("ix_offers_pending_expiry", ["status", "expires_at"], unique=False)

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_crew_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("dispatch_attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("escalated_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_incidents_assigned_crew_id"), ["assigned_crew_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_incidents_assigned_crew_id_crews"), "crews", ["assigned_crew_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_incidents_assigned_crew_id_crews"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_incidents_assigned_crew_id"))
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("dispatch_attempts")
        batch_op.drop_column("assigned_crew_id")

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index("ix_offers_pending_expiry")
        batch_op.drop_index("ix_offers_incident")
        batch_op.drop_index("ix_offers_crew_status")

    op.drop_table("offers")
