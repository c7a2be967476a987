"""crews: teams, personnel (TRC and BKO), vehicles, crews per shift, members, positions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_region_code"), ["region_code"], unique=False)

    op.create_table(
        "personnel",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("home_unit", sa.String(length=120), nullable=True),
        sa.Column("seconded_from", sa.Date(), nullable=True),
        sa.Column("seconded_until", sa.Date(), nullable=True),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('trc', 'bko')", name=op.f("ck_personnel_kind")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_personnel_team_id_teams")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_personnel_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personnel")),
        sa.UniqueConstraint("user_id", name=op.f("uq_personnel_user_id")),
    )
    with op.batch_alter_table("personnel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personnel_team_id"), ["team_id"], unique=False)

    op.create_table(
        "vehicles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column(
            "capabilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("in_service", sa.Boolean(), nullable=False),
        sa.Column("out_of_service_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_vehicles_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
    )
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicles_team_id"), ["team_id"], unique=False)

    op.create_table(
        "crews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("shift_starts_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shift_ends_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=True),
        sa.Column(
            "coverage",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=200), nullable=True),
        sa.Column("status_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_lat", sa.Float(), nullable=True),
        sa.Column("last_lon", sa.Float(), nullable=True),
        sa.Column("last_seen_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("shift_ends_at > shift_starts_at", name=op.f("ck_crews_shift_order")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_crews_team_id_teams")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_crews_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crews")),
    )
    with op.batch_alter_table("crews", schema=None) as batch_op:
        batch_op.create_index("ix_crews_shift", ["shift_starts_at", "shift_ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_crews_team_id"), ["team_id"], unique=False)

    op.create_table(
        "crew_members",
        sa.Column("crew_id", sa.Uuid(), nullable=False),
        sa.Column("personnel_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["crew_id"], ["crews.id"], name=op.f("fk_crew_members_crew_id_crews")),
        sa.ForeignKeyConstraint(
            ["personnel_id"], ["personnel.id"], name=op.f("fk_crew_members_personnel_id_personnel")
        ),
        sa.PrimaryKeyConstraint("crew_id", "personnel_id", name=op.f("pk_crew_members")),
    )
    with op.batch_alter_table("crew_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crew_members_personnel_id"), ["personnel_id"], unique=False)

    op.create_table(
        "crew_positions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("crew_id", sa.Uuid(), nullable=False),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["crew_id"], ["crews.id"], name=op.f("fk_crew_positions_crew_id_crews")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crew_positions")),
    )
    with op.batch_alter_table("crew_positions", schema=None) as batch_op:
        batch_op.create_index("ix_crew_positions_crew_at", ["crew_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crew_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_crew_positions_crew_at")

    op.drop_table("crew_positions")
    with op.batch_alter_table("crew_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crew_members_personnel_id"))

    op.drop_table("crew_members")
    with op.batch_alter_table("crews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crews_team_id"))
        batch_op.drop_index("ix_crews_shift")

    op.drop_table("crews")
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicles_team_id"))

    op.drop_table("vehicles")
    with op.batch_alter_table("personnel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personnel_team_id"))

    op.drop_table("personnel")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_region_code"))

    op.drop_table("teams")
