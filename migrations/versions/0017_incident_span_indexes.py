"""Indexes for a span of incidents at national volume: by kab/kota and first report, and by first report

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 02:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.create_index(
            "ix_incidents_region_received",
            ["region_code", "first_received_at"],
            unique=False,
            postgresql_ops={"region_code": "varchar_pattern_ops"},
        )
        batch.create_index("ix_incidents_first_received_at", ["first_received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_index("ix_incidents_first_received_at")
        batch.drop_index("ix_incidents_region_received")
