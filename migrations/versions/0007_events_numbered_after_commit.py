"""Events are numbered right after their commit, in batches, not by a trigger inside every commit

The deferred trigger of 0001 numbered each event at COMMIT under the counter row's lock, which every
writing transaction then held through its WAL flush: writers committed one at a time. Now events are
written unnumbered and the writing process numbers them in a separate short pass
(app/services/events.py: number), which also sends the NOTIFY that wakes the other processes.
The indexes on events.crew_id and events.region_code go: no query used them, and each was written twice
per event.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_FUNCTION = """
CREATE FUNCTION events_assign_seq() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE next_seq bigint;
BEGIN
    UPDATE event_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO next_seq;
    UPDATE events SET seq = next_seq WHERE id = NEW.id;
    PERFORM pg_notify('tanggap_events', '');
    RETURN NULL;
END $$
"""
OLD_TRIGGER = """
CREATE CONSTRAINT TRIGGER events_assign_seq AFTER INSERT ON events
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION events_assign_seq()
"""


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_assign_seq ON events")
        op.execute("DROP FUNCTION IF EXISTS events_assign_seq()")
    op.drop_index("ix_events_crew_id", table_name="events")
    op.drop_index("ix_events_region_code", table_name="events")
    op.create_index(
        "ix_events_unnumbered",
        "events",
        ["id"],
        unique=False,
        postgresql_where=sa.text("seq IS NULL"),
        sqlite_where=sa.text("seq IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_unnumbered", table_name="events")
    op.create_index("ix_events_region_code", "events", ["region_code"], unique=False)
    op.create_index("ix_events_crew_id", "events", ["crew_id"], unique=False)
    if op.get_context().dialect.name == "postgresql":
        # Events written since and not numbered yet are numbered first, in the order they were written.
        op.execute(
            "UPDATE events SET seq = c.value + t.n FROM event_counter c, "
            "(SELECT id, row_number() OVER (ORDER BY id) AS n FROM events WHERE seq IS NULL) t "
            "WHERE c.id = 1 AND events.id = t.id"
        )
        op.execute("UPDATE event_counter SET value = (SELECT COALESCE(MAX(seq), 0) FROM events) WHERE id = 1")
        op.execute(OLD_FUNCTION)
        op.execute(OLD_TRIGGER)
