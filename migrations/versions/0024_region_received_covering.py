"""4CT compliance of a kab/kota's span read index-only: ix_incidents_region_received carries the columns it reads

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 09:10:00

PostgreSQL only (SQLite has no INCLUDE; its index stays as it is). The index is rebuilt CONCURRENTLY under a
new name, the old one dropped and the new one renamed: incidents stay writable while a national table is
indexed (a few minutes at five years).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_incidents_region_received"
INCLUDE = [
    "category",
    "priority",
    "status",
    "merged_into_id",
    "assigned_crew_id",
    "four_ct_breaches",
    "found_at",
    "responded_at",
    "acted_at",
    "completed_at",
]


def _rebuild(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        # An interrupted run leaves an invalid index behind: start again from nothing.
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}_new")
        op.create_index(
            f"{NAME}_new",
            "incidents",
            ["region_code", "first_received_at"],
            unique=False,
            postgresql_ops={"region_code": "varchar_pattern_ops"},
            postgresql_include=include,
            postgresql_concurrently=True,
        )
        op.drop_index(NAME, table_name="incidents", postgresql_concurrently=True)
        op.execute(f"ALTER INDEX {NAME}_new RENAME TO {NAME}")


def upgrade() -> None:
    _rebuild(INCLUDE)


def downgrade() -> None:
    _rebuild([])
