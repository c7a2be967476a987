"""Match proposals made when a report arrives, and their reader's place in the event log; retention of a
closed case's reports (review date, anonymisation stamp)

Revision ID: 0021
Revises: 0019
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "match_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("strength", sa.String(length=8), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("proposed_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_match_proposals_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_match_proposals_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_match_proposals_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_proposals")),
        sa.UniqueConstraint("report_id", "person_id", name="uq_match_proposals_pair"),
    )
    op.create_index(op.f("ix_match_proposals_incident_id"), "match_proposals", ["incident_id"], unique=False)
    op.create_index(op.f("ix_match_proposals_person_id"), "match_proposals", ["person_id"], unique=False)
    op.create_index(op.f("ix_match_proposals_report_id"), "match_proposals", ["report_id"], unique=False)
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(
            sa.Column("retention_review_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("anonymised_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index(
            "ix_incidents_retention",
            ["updated_at"],
            unique=False,
            postgresql_where=sa.text("anonymised_at IS NULL"),
            sqlite_where=sa.text("anonymised_at IS NULL"),
        )
    # The proposals' reader starts at the log's head: reports already in are not proposed again.
    op.execute("INSERT INTO outbox_cursor (id, seq) SELECT 2, COALESCE(MAX(seq), 0) FROM events")


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_index("ix_incidents_retention")
        batch.drop_column("anonymised_at")
        batch.drop_column("retention_review_at")
    op.execute("DELETE FROM outbox_cursor WHERE id = 2")
    op.drop_index(op.f("ix_match_proposals_report_id"), table_name="match_proposals")
    op.drop_index(op.f("ix_match_proposals_person_id"), table_name="match_proposals")
    op.drop_index(op.f("ix_match_proposals_incident_id"), table_name="match_proposals")
    op.drop_table("match_proposals")
