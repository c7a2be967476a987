"""One lock order for everything that changes crews, offers and waiting incidents.

Every such change first takes the dispatch lock of each kab/kota it touches (a row of `dispatch_regions`),
in code order, and only then reads and locks crews (by id), incidents (by id) and offers. Two changes
therefore never wait for each other in opposite orders: no deadlock, whatever mix of declines, status
changes, verifications, expiries, handovers and rounds runs at once. A round that borrows crews of another
kab/kota (mutual aid) takes that one's lock with SKIP LOCKED: it never waits while holding its own.

The same row says when the kab/kota's next dispatch round is due (`round_due`): the dispatcher of any
worker runs it (app/services/dispatch/rounds.py). On SQLite, BEGIN IMMEDIATE already serialises writers;
the rows are still kept, for the due times.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import DISPATCH_LOCKS, ROUND_DUE
from app.dispatch import policy
from app.errors import Conflict
from app.models import DispatchRegion
from app.models.base import utcnow

# What the unit of work holds, and whether it made a round due: after its commit, the worker's dispatcher
# wakes (app/db.py).
HELD = DISPATCH_LOCKS


def regency_of(region_code: str) -> str:
    return ".".join(region_code.split(".")[:2])


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _ensure_rows(session: AsyncSession, codes: list[str]) -> None:
    insert = pg_insert if _is_postgres(session) else sqlite_insert
    await session.execute(
        insert(DispatchRegion)
        .values([{"region_code": c} for c in codes])
        .on_conflict_do_nothing(index_elements=["region_code"])
    )


async def hold(session: AsyncSession, *regions: str) -> None:
    """Takes the dispatch locks of the kab/kota of these region codes, in code order. Call it before
    reading or locking any crew, offer or waiting incident of theirs. A lock asked for later that comes
    before one already held is only tried (SKIP LOCKED): waiting for it could deadlock; when it is taken,
    the request answers 409 and the client retries."""
    held: set[str] = session.info.setdefault(HELD, set())
    codes = sorted({regency_of(r) for r in regions} - held)
    if not codes:
        return
    late = [c for c in codes if held and c < max(held)]
    if late:
        got = await try_hold(session, late)
        if len(got) < len(late):
            raise Conflict(
                "kab/kota ini sedang diproses oleh permintaan lain; coba lagi sebentar",
                retry_after=1,
            )
        codes = [c for c in codes if c not in late]
        if not codes:
            return
    if _is_postgres(session):
        q = select(DispatchRegion.region_code).where(DispatchRegion.region_code.in_(codes))
        found = set((await session.scalars(q.order_by(DispatchRegion.region_code).with_for_update())).all())
        missing = [c for c in codes if c not in found]
        if missing:
            await _ensure_rows(session, missing)
            # Locks the new rows (and waits for a concurrent creator's commit).
            await session.execute(
                select(DispatchRegion.region_code)
                .where(DispatchRegion.region_code.in_(missing))
                .order_by(DispatchRegion.region_code)
                .with_for_update()
            )
    else:
        await _ensure_rows(session, codes)
    held.update(codes)


async def try_hold(session: AsyncSession, regions: Iterable[str]) -> list[str]:
    """Takes whichever of these kab/kota locks are free right now (SKIP LOCKED) and returns them: for a round
    that borrows the crews of its neighbours, which must never wait while holding its own lock."""
    held: set[str] = session.info.setdefault(HELD, set())
    codes = sorted({regency_of(r) for r in regions} - held)
    if not codes:
        return []
    if not _is_postgres(session):
        await _ensure_rows(session, codes)
        held.update(codes)
        return codes
    await _ensure_rows(session, codes)
    got = list(
        (
            await session.scalars(
                select(DispatchRegion.region_code)
                .where(DispatchRegion.region_code.in_(codes))
                .order_by(DispatchRegion.region_code)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )
    held.update(got)
    return got


def holds(session: AsyncSession, region: str) -> bool:
    return regency_of(region) in session.info.get(HELD, set())


async def round_due(session: AsyncSession, region: str, *, at: datetime | None = None) -> None:
    """The kab/kota needs a dispatch round at `at` (default: after the batching window, so that
    verifications arriving together are planned together). Its lock must be held."""
    code = regency_of(region)
    if not holds(session, code):
        raise RuntimeError(f"round_due({code}) without its dispatch lock")
    when = at or utcnow() + policy.ROUND_DELAY
    await session.execute(
        update(DispatchRegion)
        .where(
            DispatchRegion.region_code == code,
            (DispatchRegion.due_at.is_(None)) | (DispatchRegion.due_at > when),
        )
        .values(due_at=when)
    )
    session.info[ROUND_DUE] = True
