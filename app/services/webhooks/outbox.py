"""The fan-out: the event log is the outbox; this turns each new event into one delivery per endpoint that
wants it, in the same transaction that moves the cursor, so each event is fanned out exactly once.

The cursor row is locked while a worker fans out (SKIP LOCKED: another worker that finds it taken simply
goes on to deliver). Events are numbered in commit order (app/models/event.py), so reading `seq > cursor`
never skips one that commits late."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ARRAY, String, Table, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import selectinload

from app.models import Agency, Event, Incident, OutboxCursor, Referral, WebhookDelivery, WebhookEndpoint
from app.reference import regions
from app.services import audit
from app.services.webhooks import catalog, payloads

BATCH = 500
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
# A referral in one of these no longer entitles the agency to news of the incident.
_ENDED = ("cancelled", "declined")


# PostgreSQL, one statement: lock the cursor (SKIP LOCKED: another worker is at it), look at the next batch
# of events by number and type only, and when none of them is for an agency, move the cursor past them.
# The common case under load (intake and internal traffic) costs one round trip; a batch with something
# for an agency goes through `fan_out`. (The cursor is a scalar subquery, not a join: as a join the
# planner walks the seq index from the first event ever written.)
_SKIM = text("""
WITH c AS (SELECT seq FROM outbox_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED),
b AS (
    SELECT e.seq, (e.type = ANY(:types) AND e.incident_id IS NOT NULL) AS wanted
    FROM events e WHERE e.seq > (SELECT seq FROM c) ORDER BY e.seq LIMIT :batch
),
s AS (SELECT count(*) AS n, max(b.seq) AS last, coalesce(bool_or(b.wanted), false) AS wanted FROM b),
u AS (
    UPDATE outbox_cursor SET seq = s.last FROM s
    WHERE outbox_cursor.id = 1 AND s.n > 0 AND NOT s.wanted AND EXISTS (SELECT 1 FROM c)
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM c) AS locked, s.n AS read, s.wanted, (SELECT count(*) FROM u) AS moved FROM s
""").bindparams(
    bindparam("types", sorted(catalog.AGENCY_EVENTS), type_=ARRAY(String())),
    bindparam("batch", BATCH),
)


async def skim(engine: AsyncEngine) -> tuple[bool, int, bool]:
    """PostgreSQL: (whether this worker held the cursor, how many events it looked at, whether one of them
    is for an agency). When none is, the cursor has moved past them; otherwise nothing changed."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        row = (await conn.execute(_SKIM)).one()
    return bool(row.locked), int(row.read), bool(row.wanted)


def message_id(seq: int) -> str:
    return f"msg_tanggap_{seq}"


async def fan_out(session: AsyncSession) -> tuple[int, int]:
    """Fans out one batch of new events; returns how many events it read (BATCH: call again) and how many
    deliveries it queued."""
    q = select(OutboxCursor).where(OutboxCursor.id == 1).with_for_update(skip_locked=True)
    cursor = await session.scalar(q)
    if cursor is None:  # another worker is at it
        return 0, 0
    # The batch's extent first, then only the events an agency may receive (most of the log, intake and
    # internal traffic, is never read beyond its number).
    batch = (
        select(_EVENTS.c.seq)
        .where(_EVENTS.c.seq > cursor.seq)
        .order_by(_EVENTS.c.seq)
        .limit(BATCH)
        .subquery()
    )
    read, last = (await session.execute(select(func.count(), func.max(batch.c.seq)))).one()
    if not read:
        return 0, 0
    rows = [
        dict(r._mapping)
        for r in await session.execute(
            select(_EVENTS)
            .where(
                _EVENTS.c.seq > cursor.seq,
                _EVENTS.c.seq <= last,
                _EVENTS.c.type.in_(sorted(catalog.AGENCY_EVENTS)),
                _EVENTS.c.incident_id.is_not(None),
            )
            .order_by(_EVENTS.c.seq)
        )
    ]
    cursor.seq = last
    queued = await _deliveries_for(session, rows) if rows else 0
    return int(read), queued


async def _deliveries_for(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    # Disabled endpoints too: their messages wait, in order, and go out when the endpoint is enabled again.
    endpoints = (await session.scalars(select(WebhookEndpoint))).all()
    if not endpoints:
        return 0
    queued = 0
    incident_ids = {r["incident_id"] for r in rows}
    incidents = {
        i.id: i
        for i in await session.scalars(
            select(Incident).where(Incident.id.in_(incident_ids)).options(selectinload(Incident.reports))
        )
    }
    referrals: dict[tuple[uuid.UUID, uuid.UUID], Referral] = {
        (r.incident_id, r.agency_id): r
        for r in await session.scalars(select(Referral).where(Referral.incident_id.in_(incident_ids)))
    }
    agencies = {
        a.id: a
        for a in await session.scalars(select(Agency).where(Agency.id.in_({e.agency_id for e in endpoints})))
    }
    # Where a referral starts in this batch: the incident's earlier events (its verification, in the same
    # transaction) are not news for the agency.
    opened: dict[tuple[uuid.UUID, str], int] = {}
    for row in rows:
        if row["type"] == "referral.created":
            opened.setdefault((row["incident_id"], row["data"].get("agency_id", "")), row["seq"])
    for row in rows:
        incident = incidents.get(row["incident_id"])
        if incident is None:
            continue
        for endpoint in endpoints:
            agency = agencies[endpoint.agency_id]
            referral = referrals.get((incident.id, agency.id))
            if not _wants(endpoint, row, incident, referral):
                continue
            assert referral is not None
            if not row["type"].startswith("referral.") and (
                row["seq"] < opened.get((incident.id, str(agency.id)), 0)
                or row["occurred_at"] < referral.created_at
            ):
                continue
            personal, sources = payloads.personal_part(endpoint.personal_data, incident.reports)
            for report in sources:
                audit.record(
                    session,
                    None,
                    action="disclose",
                    entity_type="report",
                    entity_id=report.id,
                    fields=sorted(f for f in personal if getattr(report, f) == personal[f]),
                    region_code=report.region_code,
                    purpose=f"webhook to {agency.name}"[:120],
                    actor_name=f"webhook:{endpoint.id}"[:64],
                )
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=row["id"],
                    event_seq=row["seq"],
                    event_type=row["type"],
                    incident_id=incident.id,
                    message_id=message_id(row["seq"]),
                    payload=payloads.build(row, endpoint, agency, incident, referral, personal),
                    due_at=row["occurred_at"],
                )
            )
            queued += 1
    return queued


def _wants(
    endpoint: WebhookEndpoint, row: dict[str, Any], incident: Incident, referral: Referral | None
) -> bool:
    """An endpoint receives the events it filters for, in its area, about incidents referred to its agency
    (a referral event only when the referral is to its agency)."""
    if not catalog.wanted(endpoint.event_types, row["type"]):
        return False
    if not regions.within(incident.region_code, endpoint.region_code):
        return False
    if referral is None:
        return False
    if row["type"].startswith("referral."):
        return bool(row["data"].get("agency_id") == str(endpoint.agency_id))
    return referral.status not in _ENDED
