"""Persons (klien), the subjects of an incident, links of subjects to persons (confirmed matches, reversible),
rejected proposals, merges of two records of one person; name keys for the indexed candidate search

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 22:17:07.531742
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column(
            "aliases",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_precision", sa.String(length=8), nullable=True),
        sa.Column("birth_year_min", sa.Integer(), nullable=True),
        sa.Column("birth_year_max", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("kk", sa.String(length=16), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("home_region_code", sa.String(length=13), nullable=True),
        sa.Column(
            "family_contacts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "vulnerabilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_seen_region_code", sa.String(length=13), nullable=True),
        sa.Column("last_seen_lat", sa.Float(), nullable=True),
        sa.Column("last_seen_lon", sa.Float(), nullable=True),
        sa.Column("last_seen_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_persons_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["persons.id"], name=op.f("fk_persons_merged_into_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index("ix_persons_kk", ["kk"], unique=False)
        batch_op.create_index("ix_persons_last_seen", ["last_seen_region_code", "last_seen_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_persons_merged_into_id"), ["merged_into_id"], unique=False)
        batch_op.create_index("ix_persons_nik", ["nik"], unique=False)
        batch_op.create_index(batch_op.f("ix_persons_region_code"), ["region_code"], unique=False)
        batch_op.create_index(
            "uq_persons_region_nik",
            ["region_code", "nik"],
            unique=True,
            postgresql_where=sa.text("merged_into_id IS NULL AND nik IS NOT NULL"),
            sqlite_where=sa.text("merged_into_id IS NULL AND nik IS NOT NULL"),
        )

    op.create_table(
        "person_keys",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_keys_person_id_persons")),
        sa.PrimaryKeyConstraint("key", "region_code", "person_id", name="pk_person_keys"),
    )
    with op.batch_alter_table("person_keys", schema=None) as batch_op:
        batch_op.create_index("ix_person_keys_person_id", ["person_id"], unique=False)

    op.create_table(
        "person_merges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kept_id", sa.Uuid(), nullable=False),
        sa.Column("absorbed_id", sa.Uuid(), nullable=False),
        sa.Column(
            "moved_link_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "copied",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("merged_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merged_by_id", sa.Uuid(), nullable=True),
        sa.Column("split_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("split_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["absorbed_id"], ["persons.id"], name=op.f("fk_person_merges_absorbed_id_persons")
        ),
        sa.ForeignKeyConstraint(["kept_id"], ["persons.id"], name=op.f("fk_person_merges_kept_id_persons")),
        sa.ForeignKeyConstraint(
            ["merged_by_id"], ["users.id"], name=op.f("fk_person_merges_merged_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["split_by_id"], ["users.id"], name=op.f("fk_person_merges_split_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merges")),
    )
    with op.batch_alter_table("person_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_merges_absorbed_id"), ["absorbed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_merges_kept_id"), ["kept_id"], unique=False)

    op.create_table(
        "incident_subjects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column(
            "aliases",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("approx_age", sa.Integer(), nullable=True),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_incident_subjects_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_subjects_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_incident_subjects_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_incident_subjects_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_subjects")),
        sa.UniqueConstraint("incident_id", "ordinal", name="uq_incident_subjects_ordinal"),
    )
    with op.batch_alter_table("incident_subjects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_subjects_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_subjects_person_id"), ["person_id"], unique=False)

    op.create_table(
        "match_rejections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("rejected_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rejected_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_match_rejections_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["rejected_by_id"], ["users.id"], name=op.f("fk_match_rejections_rejected_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["incident_subjects.id"],
            name=op.f("fk_match_rejections_subject_id_incident_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_rejections")),
        sa.UniqueConstraint("subject_id", "person_id", name="uq_match_rejections_pair"),
    )
    op.create_table(
        "person_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("linked_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("linked_by_id", sa.Uuid(), nullable=True),
        sa.Column("unlinked_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unlinked_by_id", sa.Uuid(), nullable=True),
        sa.Column("unlink_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_person_links_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["users.id"], name=op.f("fk_person_links_linked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_links_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["incident_subjects.id"],
            name=op.f("fk_person_links_subject_id_incident_subjects"),
        ),
        sa.ForeignKeyConstraint(
            ["unlinked_by_id"], ["users.id"], name=op.f("fk_person_links_unlinked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_links")),
    )
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.create_index("ix_person_links_person_id", ["person_id"], unique=False)
        batch_op.create_index(
            "uq_person_links_incident_person",
            ["incident_id", "person_id"],
            unique=True,
            postgresql_where=sa.text("unlinked_at IS NULL"),
            sqlite_where=sa.text("unlinked_at IS NULL"),
        )
        batch_op.create_index(
            "uq_person_links_subject",
            ["subject_id"],
            unique=True,
            postgresql_where=sa.text("unlinked_at IS NULL"),
            sqlite_where=sa.text("unlinked_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_person_links_subject",
            postgresql_where=sa.text("unlinked_at IS NULL"),
            sqlite_where=sa.text("unlinked_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_person_links_incident_person",
            postgresql_where=sa.text("unlinked_at IS NULL"),
            sqlite_where=sa.text("unlinked_at IS NULL"),
        )
        batch_op.drop_index("ix_person_links_person_id")

    op.drop_table("person_links")
    op.drop_table("match_rejections")
    with op.batch_alter_table("incident_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_subjects_person_id"))
        batch_op.drop_index(batch_op.f("ix_incident_subjects_incident_id"))

    op.drop_table("incident_subjects")
    with op.batch_alter_table("person_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_merges_kept_id"))
        batch_op.drop_index(batch_op.f("ix_person_merges_absorbed_id"))

    op.drop_table("person_merges")
    with op.batch_alter_table("person_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_person_keys_person_id")

    op.drop_table("person_keys")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_persons_region_nik",
            postgresql_where=sa.text("merged_into_id IS NULL AND nik IS NOT NULL"),
            sqlite_where=sa.text("merged_into_id IS NULL AND nik IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_persons_region_code"))
        batch_op.drop_index("ix_persons_nik")
        batch_op.drop_index(batch_op.f("ix_persons_merged_into_id"))
        batch_op.drop_index("ix_persons_last_seen")
        batch_op.drop_index("ix_persons_kk")

    op.drop_table("persons")
