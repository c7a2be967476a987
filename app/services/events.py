"""The event log: the one place a change becomes visible to the timeline, the live stream and webhooks.

`record()` queues an event on the unit of work; `app.db.commit()` writes it in the same transaction as the
change (no commit, no event). On PostgreSQL, `number()` then gives committed events their `seq`, the order
in which the live streams and webhooks read them (see app/models/event.py for why it is done apart).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import logs
from app.db import PENDING_EVENTS
from app.models import Event, EventArchive
from app.models.base import utcnow
from app.services.access import Principal


def record(
    session: AsyncSession,
    type_: str,
    *,
    actor: Principal | str | None,
    incident_id: uuid.UUID | None = None,
    crew_id: uuid.UUID | None = None,
    region_code: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.info.setdefault(PENDING_EVENTS, []).append(
        {
            "type": type_,
            "occurred_at": utcnow(),
            "incident_id": incident_id,
            "crew_id": crew_id,
            "region_code": region_code,
            "actor_id": actor.user_id if isinstance(actor, Principal) else None,
            "actor": actor.username if isinstance(actor, Principal) else actor or "public",
            "data": data or {},
            "request_id": logs.request_id(),
        }
    )


# The actor of what Tanggap itself does (dispatch rounds, the scheduler); None is someone without an account.
SYSTEM = "tanggap"


def change(before: Any, after: Any) -> dict[str, Any]:
    return {"before": before, "after": after}


async def timeline(session: AsyncSession, incident_id: uuid.UUID) -> Sequence[Event]:
    """An incident's events in log order; one committed a moment ago may not be numbered yet (seq None):
    it comes last, in the order it was written.

    Reads through to the archive (`tanggap archive events`, app/services/archive.py): archived events come
    back as `Event` objects outside the session (read only), with their ids and seqs, in the same order."""
    hot = (
        await session.scalars(
            select(Event)
            .where(Event.incident_id == incident_id)
            .order_by(Event.seq.asc().nulls_last(), Event.id)
        )
    ).all()
    archived = (
        await session.scalars(
            select(EventArchive).where(EventArchive.incident_id == incident_id).order_by(EventArchive.seq)
        )
    ).all()
    if not archived:
        return hot
    merged = [Event(**{c: getattr(a, c) for c in ARCHIVED_COLUMNS}) for a in archived] + list(hot)
    merged.sort(key=lambda e: (e.seq is None, e.seq or 0, e.id))
    return merged


ARCHIVED_COLUMNS = tuple(c.name for c in cast(Table, EventArchive.__table__).columns)


# A pass first takes the counter row's lock (only when there is something to number), then the oldest
# unnumbered committed events get the next numbers, in the order they were written. Taking the counter first
# serialises whole passes: two passes never split one transaction's events between them (which could number
# its second event before its first). The lock is held to the end of the pass's commit, so a pass's numbers
# become visible only after every lower number. A pass that waited for another one re-reads the counter and
# re-checks each event it locks (READ COMMITTED), so it skips what the other one numbered.
NUMBER_SQL = """
WITH counter AS MATERIALIZED (
    SELECT value FROM event_counter
    WHERE id = 1 AND EXISTS (SELECT 1 FROM events WHERE seq IS NULL)
    FOR UPDATE
), todo AS MATERIALIZED (
    SELECT id FROM events
    WHERE seq IS NULL AND (SELECT value FROM counter) IS NOT NULL
    ORDER BY id LIMIT :batch FOR UPDATE
), counted AS (
    SELECT count(*) AS n FROM todo
), base AS (
    UPDATE event_counter SET value = event_counter.value + counted.n FROM counted
    WHERE event_counter.id = 1 AND counted.n > 0
    RETURNING event_counter.value - counted.n AS start
), ranked AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM todo
)
UPDATE events SET seq = base.start + ranked.n FROM base, ranked WHERE events.id = ranked.id
"""
_NUMBER = text(NUMBER_SQL)
# What a reader of the log sees of an event (the live streams' envelope).
LOG_COLUMNS = (
    "seq",
    "type",
    "occurred_at",
    "incident_id",
    "crew_id",
    "region_code",
    "actor_id",
    "actor",
    "data",
)
_NUMBER_RETURNING = text(NUMBER_SQL + " RETURNING " + ", ".join(f"events.{c}" for c in LOG_COLUMNS)).columns(
    *(cast(Table, Event.__table__).c[c] for c in LOG_COLUMNS)
)


async def number(
    engine: AsyncEngine, *, batch: int = 5000, returning: bool = False
) -> tuple[int, list[dict[str, Any]]]:
    """PostgreSQL: numbers the committed events that have no `seq` yet; returns how many it numbered and,
    with `returning`, those events in `seq` order (the live hub hands them to its clients without reading
    them back).

    Each batch is one statement in autocommit mode (its own short transaction). Any process may run it at
    any time: passes of several processes queue on the counter row."""
    total = 0
    rows: list[dict[str, Any]] = []
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        while True:
            if returning:
                got = [dict(r._mapping) for r in await conn.execute(_NUMBER_RETURNING, {"batch": batch})]
                numbered = len(got)
                rows += got
            else:
                numbered = (await conn.execute(_NUMBER, {"batch": batch})).rowcount
            total += numbered
            if numbered < batch:
                rows.sort(key=lambda r: int(r["seq"]))
                return total, rows


# What a dispatch decision in an event weighs: the other crews, their costs, why they were refused. Console
# staff (TRIAGE roles) see it, to know why this crew; a crew's phone, an agency or a reporter does not.
STAFF_ONLY = ("candidates", "refusals")


def narrowed(data: dict[str, Any]) -> dict[str, Any]:
    """The event's data without what only console staff see (the same dict when there is nothing to drop)."""
    if not any(key in data for key in STAFF_ONLY):
        return data
    return {k: v for k, v in data.items() if k not in STAFF_ONLY}
