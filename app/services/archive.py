"""The events archive: moves the events of incidents that ended long ago out of the hot `events` table into
`events_archive` (same columns, same ids and seqs), a batch of incidents per transaction.

What moves: the numbered events of an incident that is resolved, closed, rejected or cancelled (not open)
and whose last change (`updated_at`, which is at or after the moment it ended) is before the cut-off, once
every reader of the log (each row of `outbox_cursor`: the webhook fan-out, the match proposals) has passed
them. What stays: every event of
an incident still open, events not numbered yet, events after a cursor, events without an incident (crew
status and the like: no incident to close), and every event of an incident that still has a webhook delivery
pending (the incident waits for a later run). An archived incident that is reopened gets its new events in the
hot table; its timeline is read from both (app/services/events.py: timeline).

Safe to run twice and in several processes at once: on PostgreSQL a batch locks its incidents (FOR NO KEY
UPDATE SKIP LOCKED: another run takes others; a transition of the incident waits for the batch) and moves
the events with one `DELETE ... RETURNING` feeding the `INSERT`, so an event is moved once even if two runs
reach the same incident. On SQLite (one writer at a time) the same batch is an INSERT then a DELETE with the
same condition in one write transaction. A run stopped half-way leaves whole batches moved; run it again.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, func, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.dispatch.lifecycle import OPEN_STATUSES, Status
from app.models import Event, EventArchive, Incident, OutboxCursor, WebhookDelivery
from app.models.incident import ENDED as ENDED_SQL
from app.services import events

# Every status but the open ones (as the case retention counts them): a resolved incident may still be
# reopened, and its new events then join its archived ones on the timeline.
ENDED = tuple(s for s in Status if s not in OPEN_STATUSES)
BATCH = 500
# The youngest cut-off allowed: a live-stream client or a report may still look at a month's events.
MIN_AGE = timedelta(days=30)
_HOT = cast(Table, Event.__table__)
_ARCHIVE = cast(Table, EventArchive.__table__)
COLUMNS = tuple(c.name for c in _ARCHIVE.columns)


@dataclass
class Summary:
    before: datetime
    dry_run: bool
    batches: int = 0
    incidents: int = 0
    events: int = 0
    # Incidents left for a later run because a webhook delivery of theirs is still pending.
    waiting: int = 0
    seq_min: int | None = None
    seq_max: int | None = None
    occurred_min: datetime | None = None
    occurred_max: datetime | None = None
    by: str = field(default="")

    def add(self, n: int, seq_min: Any, seq_max: Any, occ_min: Any, occ_max: Any) -> None:
        if not n:
            return
        self.events += n
        self.seq_min = seq_min if self.seq_min is None else min(self.seq_min, seq_min)
        self.seq_max = seq_max if self.seq_max is None else max(self.seq_max, seq_max)
        self.occurred_min = occ_min if self.occurred_min is None else min(self.occurred_min, occ_min)
        self.occurred_max = occ_max if self.occurred_max is None else max(self.occurred_max, occ_max)

    def as_data(self) -> dict[str, Any]:
        return {
            "before": self.before.isoformat(),
            "incidents": self.incidents,
            "events": self.events,
            "waiting_for_webhooks": self.waiting,
            "batches": self.batches,
            "seq_min": self.seq_min,
            "seq_max": self.seq_max,
            "occurred_min": self.occurred_min.isoformat() if self.occurred_min else None,
            "occurred_max": self.occurred_max.isoformat() if self.occurred_max else None,
            "by": self.by,
        }


def cut_off(value: str, now: datetime) -> datetime:
    """`2026-05-01` (midnight UTC) or a number of months back (`6`, `6m`) from `now`."""
    raw = value.strip().lower()
    months = raw[:-1] if raw.endswith("m") else raw
    if months.isdigit():
        n = int(months)
        year, month = divmod(now.year * 12 + now.month - 1 - n, 12)
        day = min(now.day, 28)
        return now.replace(year=year, month=month + 1, day=day)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"--before {value!r}: tanggal (2026-05-01) atau jumlah bulan (6m) (a date or a number of months)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=now.tzinfo)


def operator() -> str:
    """Who ran it: the operating-system account (the command has no Tanggap login)."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


async def _upto(session: AsyncSession) -> int | None:
    """The highest seq every reader of the log has passed (None: no reader)."""
    return cast(int | None, await session.scalar(select(func.min(OutboxCursor.seq))))


async def _figures(session: AsyncSession, where: list[ColumnElement[bool]]) -> tuple[Any, ...]:
    """What a batch moves (or would): how many events, their seq and time range, their incidents."""
    hot = _HOT.c
    figures = (
        func.count(),
        func.min(hot.seq),
        func.max(hot.seq),
        func.min(hot.occurred_at),
        func.max(hot.occurred_at),
    )
    n, smin, smax, omin, omax = (await session.execute(select(*figures).where(*where))).one()
    moved = set(await session.scalars(select(hot.incident_id).where(*where).distinct())) if n else set()
    return n, smin, smax, omin, omax, moved


async def _batch(
    session: AsyncSession,
    before: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    size: int,
    summary: Summary,
) -> tuple[datetime, uuid.UUID] | None:
    """One batch; returns where the walk goes on from (None: done)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    q = (
        select(Incident.id, Incident.updated_at)
        # The partial index's own predicate, as text: a bound IN list would not match it in a generic plan.
        .where(ENDED_SQL, Incident.updated_at < before)
        .order_by(Incident.updated_at, Incident.id)
        .limit(size)
    )
    if after is not None:
        q = q.where(tuple_(Incident.updated_at, Incident.id) > tuple_(*after))
    if postgres and not summary.dry_run:
        q = q.with_for_update(skip_locked=True, key_share=True, of=Incident)
    page = (await session.execute(q)).all()
    if not page:
        return None
    summary.batches += 1
    ids = [r.id for r in page]
    waiting = set(
        await session.scalars(
            select(WebhookDelivery.incident_id)
            .where(WebhookDelivery.incident_id.in_(ids), WebhookDelivery.status == "pending")
            .distinct()
        )
    )
    summary.waiting += len(waiting)
    ids = [i for i in ids if i not in waiting]
    upto = await _upto(session)
    hot = _HOT.c
    where: list[ColumnElement[bool]] = [hot.incident_id.in_(ids), hot.seq.is_not(None)]
    if upto is not None:
        where.append(hot.seq <= upto)
    if summary.dry_run or not ids:
        n, smin, smax, omin, omax, moved = await _figures(session, where)
    elif postgres:
        gone = delete(_HOT).where(*where).returning(*(hot[c] for c in COLUMNS)).cte("gone")
        put = (
            insert(_ARCHIVE)
            .from_select(list(COLUMNS), select(*(gone.c[c] for c in COLUMNS)))
            .returning(_ARCHIVE.c.incident_id, _ARCHIVE.c.seq, _ARCHIVE.c.occurred_at)
            .cte("put")
        )
        rows = (await session.execute(select(put.c.incident_id, put.c.seq, put.c.occurred_at))).all()
        n = len(rows)
        moved = {r.incident_id for r in rows}
        smin, smax = (min(r.seq for r in rows), max(r.seq for r in rows)) if rows else (None, None)
        omin, omax = (
            (min(r.occurred_at for r in rows), max(r.occurred_at for r in rows)) if rows else (None, None)
        )
    else:
        # SQLite: the INSERT takes the one write lock, so the DELETE after it sees the same rows.
        await session.execute(
            insert(_ARCHIVE).from_select(list(COLUMNS), select(*(hot[c] for c in COLUMNS)).where(*where))
        )
        n, smin, smax, omin, omax, moved = await _figures(session, where)
        await session.execute(delete(_HOT).where(*where))
    summary.incidents += len(moved)
    summary.add(int(n), smin, smax, omin, omax)
    last = page[-1]
    return (last.updated_at, last.id) if len(page) == size else None


async def run(
    maker: async_sessionmaker[AsyncSession],
    before: datetime,
    now: datetime,
    *,
    batch: int = BATCH,
    dry_run: bool = False,
    by: str | None = None,
    progress: Callable[[Summary], None] | None = None,
) -> Summary:
    """Archives (or, dry, counts) the events of incidents ended before `before`, a transaction per batch of
    `batch` incidents; records an `events.archived` event with the figures when it moved any (also when it
    stops on an error half-way: the batches done are done)."""
    latest = (now - MIN_AGE).date().isoformat()
    if before > now - MIN_AGE:
        raise ValueError(
            f"batas {before.date().isoformat()} terlalu baru: paling akhir {latest} ({MIN_AGE.days} hari "
            f"lalu) (the cut-off must be at least {MIN_AGE.days} days ago)"
        )
    summary = Summary(before=before, dry_run=dry_run, by=by or operator())
    after: tuple[datetime, uuid.UUID] | None = None
    try:
        while True:
            async with unit_of_work(maker) as session:
                after = await _batch(session, before, after, batch, summary)
            if progress is not None:
                progress(summary)
            if after is None:
                break
    finally:
        if summary.events and not dry_run:
            async with unit_of_work(maker) as session:
                events.record(session, "events.archived", actor=summary.by, data=summary.as_data())
    return summary
