"""Personal data (UU PDP): corrections with their values before and after; retention's review date and the
anonymisation stamp on persons

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "person_corrections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("corrected_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("corrected_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["corrected_by_id"], ["users.id"], name=op.f("fk_person_corrections_corrected_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_corrections_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_corrections")),
    )
    op.create_index(
        op.f("ix_person_corrections_person_id"), "person_corrections", ["person_id"], unique=False
    )
    with op.batch_alter_table("persons") as batch:
        batch.add_column(
            sa.Column("retention_review_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("anonymised_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index(batch.f("ix_persons_retention_review_at"), ["retention_review_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.drop_index(batch.f("ix_persons_retention_review_at"))
        batch.drop_column("anonymised_at")
        batch.drop_column("retention_review_at")
    op.drop_index(op.f("ix_person_corrections_person_id"), table_name="person_corrections")
    op.drop_table("person_corrections")
