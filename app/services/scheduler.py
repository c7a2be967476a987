"""The deadline loop every worker runs: shift handovers, expired offers, 4CT breaches (and, every ten
minutes, housekeeping). The state
is in the database, so a restart loses nothing, and SKIP LOCKED keeps workers from doing one thing twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.models import InboundMessage
from app.models.base import utcnow
from app.services import dispatch, idempotency, timers

HOUSEKEEPING_SECONDS = 600
# How often a worker reloads the teams' 4CT targets (the worker that changes them reloads at once).
TARGETS_SECONDS = 60
INBOUND_MEMORY = timedelta(days=1)

log = logging.getLogger("tanggap.scheduler")


async def tick(maker: async_sessionmaker[AsyncSession]) -> int:
    async with unit_of_work(maker) as session:
        now = utcnow()
        done = await dispatch.hand_over(session, now)
        done += await dispatch.expire_due(session, now)
        return done + await timers.record_breaches(session, now)


async def housekeeping(maker: async_sessionmaker[AsyncSession], *, idempotency_ttl_hours: int) -> int:
    """Forgets what is no longer needed: idempotency keys past their time to live, and inbound message ids
    older than a day (a signature older than five minutes is refused anyway, so no replay can match them)."""
    async with unit_of_work(maker) as session:
        done = await idempotency.purge_expired(session, ttl_hours=idempotency_ttl_hours)
        result = await session.execute(
            delete(InboundMessage).where(InboundMessage.received_at < utcnow() - INBOUND_MEMORY)
        )
        return done + int(getattr(result, "rowcount", 0) or 0)


async def run(
    maker: async_sessionmaker[AsyncSession],
    stop: asyncio.Event,
    *,
    every: float = 1.0,
    idempotency_ttl_hours: int = 24,
) -> None:
    last_housekeeping = time.monotonic()  # the first ten minutes after a start are left alone
    last_targets = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() - last_targets > TARGETS_SECONDS:
                last_targets = time.monotonic()
                async with maker() as session:
                    await timers.load_targets(session)
            await tick(maker)
            if time.monotonic() - last_housekeeping > HOUSEKEEPING_SECONDS:
                last_housekeeping = time.monotonic()
                await housekeeping(maker, idempotency_ttl_hours=idempotency_ttl_hours)
        except Exception:  # the next tick tries again; nothing is lost, the deadlines are rows
            log.exception("scheduler tick failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
