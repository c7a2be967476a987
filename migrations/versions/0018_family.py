"""Family tracing and return: contacts tried, handovers with their receipt number (unique), repatriations
(one under way per subject: a partial unique index), and the incident's episode number (reopenings)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 02:00:36.936505
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "repatriations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("destination_region_code", sa.String(length=13), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("answer_note", sa.String(length=500), nullable=True),
        sa.Column("requested_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("answered_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_repatriations_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_repatriations_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_repatriations_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_repatriations_referral_id_referrals")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_repatriations_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["incident_subjects.id"],
            name=op.f("fk_repatriations_subject_id_incident_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repatriations")),
    )
    with op.batch_alter_table("repatriations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repatriations_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index("ix_repatriations_referral", ["referral_id"], unique=False)
        batch_op.create_index(
            "uq_repatriations_subject_open",
            ["subject_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('requested', 'accepted')"),
            sqlite_where=sa.text("status IN ('requested', 'accepted')"),
        )

    op.create_table(
        "tracing_contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("contact_region_code", sa.String(length=13), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("contacted_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_tracing_contacts_by_id_users")),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_tracing_contacts_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_tracing_contacts_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["incident_subjects.id"],
            name=op.f("fk_tracing_contacts_subject_id_incident_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracing_contacts")),
    )
    with op.batch_alter_table("tracing_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracing_contacts_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index("ix_tracing_contacts_person", ["person_id", "contacted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracing_contacts_region_code"), ["region_code"], unique=False)

    op.create_table(
        "handovers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("repatriation_id", sa.Uuid(), nullable=True),
        sa.Column("receipt_number", sa.String(length=40), nullable=False),
        sa.Column("receiver_name", sa.String(length=120), nullable=False),
        sa.Column("receiver_relation", sa.String(length=16), nullable=False),
        sa.Column("receiver_nik", sa.String(length=16), nullable=True),
        sa.Column("receiver_phone", sa.String(length=20), nullable=True),
        sa.Column("receiver_address", sa.String(length=500), nullable=False),
        sa.Column("receiver_region_code", sa.String(length=13), nullable=True),
        sa.Column("handed_over_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("officer_id", sa.Uuid(), nullable=True),
        sa.Column("officer_name", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_handovers_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(["officer_id"], ["users.id"], name=op.f("fk_handovers_officer_id_users")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_handovers_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["repatriation_id"], ["repatriations.id"], name=op.f("fk_handovers_repatriation_id_repatriations")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["incident_subjects.id"], name=op.f("fk_handovers_subject_id_incident_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
    )
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handovers_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handovers_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handovers_subject_id"), ["subject_id"], unique=False)
        batch_op.create_index("uq_handovers_receipt", ["receipt_number"], unique=True)

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("episode", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("episode")

    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.drop_index("uq_handovers_receipt")
        batch_op.drop_index(batch_op.f("ix_handovers_subject_id"))
        batch_op.drop_index(batch_op.f("ix_handovers_person_id"))
        batch_op.drop_index(batch_op.f("ix_handovers_incident_id"))

    op.drop_table("handovers")
    with op.batch_alter_table("tracing_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracing_contacts_region_code"))
        batch_op.drop_index("ix_tracing_contacts_person")
        batch_op.drop_index(batch_op.f("ix_tracing_contacts_incident_id"))

    op.drop_table("tracing_contacts")
    with op.batch_alter_table("repatriations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_repatriations_subject_open",
            postgresql_where=sa.text("status IN ('requested', 'accepted')"),
            sqlite_where=sa.text("status IN ('requested', 'accepted')"),
        )
        batch_op.drop_index("ix_repatriations_referral")
        batch_op.drop_index(batch_op.f("ix_repatriations_incident_id"))

    op.drop_table("repatriations")
