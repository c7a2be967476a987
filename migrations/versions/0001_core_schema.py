"""core schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Events are numbered at COMMIT, in commit order: the deferred trigger runs when the transaction commits and
# takes the counter row's lock, which it holds only while the commit record is written. It also notifies
# the workers' live-stream hubs (app/live/hub.py) that there is something new to read.
EVENTS_SEQ_FUNCTION = """
CREATE FUNCTION events_assign_seq() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE next_seq bigint;
BEGIN
    UPDATE event_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO next_seq;
    UPDATE events SET seq = next_seq WHERE id = NEW.id;
    -- A wake-up for the live streams of every worker (identical notices of one transaction are merged).
    PERFORM pg_notify('tanggap_events', '');
    RETURN NULL;
END $$
"""
EVENTS_SEQ_TRIGGER = """
CREATE CONSTRAINT TRIGGER events_assign_seq AFTER INSERT ON events
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION events_assign_seq()
"""


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("purpose", sa.String(length=120), nullable=False),
        sa.Column("client_ip", sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "event_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_counter")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column(
            "response_body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False)

    op.create_table(
        "rate_limit_windows",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("window_start", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit_windows")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_region_code"), ["region_code"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "incidents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("priority_source", sa.String(length=8), nullable=False),
        sa.Column(
            "priority_reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("landmark", sa.String(length=200), nullable=True),
        sa.Column("subject_count", sa.Integer(), nullable=False),
        sa.Column(
            "subject_flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("subject_age", sa.Integer(), nullable=True),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("first_received_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("found_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("responded_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("priority BETWEEN 1 AND 4", name=op.f("ck_incidents_priority_range")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_incidents_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["incidents.id"], name=op.f("fk_incidents_merged_into_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_category"), ["category"], unique=False)
        batch_op.create_index("ix_incidents_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_incidents_lat_lon", ["lat", "lon"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_region_code"), ["region_code"], unique=False)
        batch_op.create_index(
            "ix_incidents_status_priority_created", ["status", "priority", "created_at"], unique=False
        )

    op.create_table(
        "events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("seq", sa.BigInteger(), nullable=True),
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
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_events_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_events_seq")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_incident_seq", ["incident_id", "seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_crew_id"), ["crew_id"], unique=False)

    op.create_table(
        "incident_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_incident_notes_author_id_users")),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_notes_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_notes")),
    )
    with op.batch_alter_table("incident_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_notes_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("received_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by_id", sa.Uuid(), nullable=True),
        sa.Column("reporter_name", sa.String(length=120), nullable=True),
        sa.Column("reporter_phone", sa.String(length=20), nullable=True),
        sa.Column("reporter_anonymous", sa.Boolean(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("landmark", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("subject_count", sa.Integer(), nullable=False),
        sa.Column("subject_age", sa.Integer(), nullable=True),
        sa.Column("subject_sex", sa.String(length=8), nullable=False),
        sa.Column(
            "subject_flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("subject_name", sa.String(length=120), nullable=True),
        sa.Column("subject_nik", sa.String(length=16), nullable=True),
        sa.Column("external_ref", sa.String(length=500), nullable=True),
        sa.Column("tracking_code", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_reports_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_reports_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_reports_tracking_code")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_submitted_by_id"), ["submitted_by_id"], unique=False)

    # The single row whose lock orders event writers (see app/models/event.py).
    op.bulk_insert(
        sa.table("event_counter", sa.column("id", sa.Integer), sa.column("value", sa.BigInteger)),
        [{"id": 1, "value": 0}],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(EVENTS_SEQ_FUNCTION)
        op.execute(EVENTS_SEQ_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_assign_seq ON events")
        op.execute("DROP FUNCTION IF EXISTS events_assign_seq()")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_submitted_by_id"))
        batch_op.drop_index(batch_op.f("ix_reports_incident_id"))

    op.drop_table("reports")
    with op.batch_alter_table("incident_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_notes_incident_id"))

    op.drop_table("incident_notes")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_region_code"))
        batch_op.drop_index("ix_events_incident_seq")
        batch_op.drop_index(batch_op.f("ix_events_crew_id"))

    op.drop_table("events")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_status_priority_created")
        batch_op.drop_index(batch_op.f("ix_incidents_region_code"))
        batch_op.drop_index("ix_incidents_lat_lon")
        batch_op.drop_index("ix_incidents_created_at_id")
        batch_op.drop_index(batch_op.f("ix_incidents_category"))

    op.drop_table("incidents")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_user_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_region_code"))

    op.drop_table("users")
    op.drop_table("rate_limit_windows")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
    op.drop_table("event_counter")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_entity_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_id"))

    op.drop_table("audit_log")
