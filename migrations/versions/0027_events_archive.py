"""The events archive: `events_archive`, the walk's index on ended incidents, deliveries no longer pin events

Revision ID: 0027
Revises: 0025
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0027"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENDED = sa.text("status IN ('resolved', 'closed', 'rejected', 'cancelled')")


def upgrade() -> None:
    op.create_table(
        "events_archive",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("occurred_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("crew_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(length=13), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_archive")),
        sa.UniqueConstraint("seq", name=op.f("uq_events_archive_seq")),
    )
    with op.batch_alter_table("events_archive") as batch:
        batch.create_index("ix_events_archive_incident_seq", ["incident_id", "seq"], unique=False)
    with op.batch_alter_table("incidents") as batch:
        batch.create_index(
            "ix_incidents_ended_updated",
            ["updated_at", "id"],
            unique=False,
            postgresql_where=ENDED,
            sqlite_where=ENDED,
        )
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_constraint("fk_webhook_deliveries_event_id_events", type_="foreignkey")


def downgrade() -> None:
    # Archived events go back to the hot table first, or the restored foreign key could not hold.
    op.execute(
        "INSERT INTO events (id, seq, type, occurred_at, incident_id, crew_id, region_code, actor_id, actor, "
        "data, request_id) SELECT id, seq, type, occurred_at, incident_id, crew_id, region_code, actor_id, "
        "actor, data, request_id FROM events_archive"
    )
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.create_foreign_key(
            batch.f("fk_webhook_deliveries_event_id_events"), "events", ["event_id"], ["id"]
        )
    with op.batch_alter_table("incidents") as batch:
        batch.drop_index("ix_incidents_ended_updated", postgresql_where=ENDED, sqlite_where=ENDED)
    with op.batch_alter_table("events_archive") as batch:
        batch.drop_index("ix_events_archive_incident_seq")
    op.drop_table("events_archive")
