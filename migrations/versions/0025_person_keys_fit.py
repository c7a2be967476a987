"""Person keys carry the person's sex and birth years: the candidate search ranks by them from the index

Revision ID: 0025
Revises: 0023
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sex", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("birth_year_min", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("birth_year_max", sa.Integer(), nullable=True))
    # Portable (SQLite and PostgreSQL): one correlated read of persons per column.
    for column in ("sex", "birth_year_min", "birth_year_max"):
        op.execute(
            f"UPDATE person_keys SET {column} = "
            f"(SELECT persons.{column} FROM persons WHERE persons.id = person_keys.person_id)"
        )
    with op.batch_alter_table("person_keys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_keys_match",
            ["key", "region_code"],
            unique=False,
            postgresql_include=["person_id", "sex", "birth_year_min", "birth_year_max"],
        )


def downgrade() -> None:
    with op.batch_alter_table("person_keys", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_person_keys_match",
            postgresql_include=["person_id", "sex", "birth_year_min", "birth_year_max"],
        )
        batch_op.drop_column("birth_year_max")
        batch_op.drop_column("birth_year_min")
        batch_op.drop_column("sex")
