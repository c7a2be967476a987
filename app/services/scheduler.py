"""The deadline loop every worker runs: shift handovers, expired offers, 4CT breaches. The state
is in the database, so a restart loses nothing, and SKIP LOCKED keeps workers from doing one thing twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.models.base import utcnow
from app.services import dispatch, timers

log = logging.getLogger("tanggap.scheduler")


async def tick(maker: async_sessionmaker[AsyncSession]) -> int:
    async with unit_of_work(maker) as session:
        now = utcnow()
        done = await dispatch.hand_over(session, now)
        done += await dispatch.expire_due(session, now)
        return done + await timers.record_breaches(session, now)


async def run(maker: async_sessionmaker[AsyncSession], stop: asyncio.Event, *, every: float = 1.0) -> None:
    while not stop.is_set():
        try:
            await tick(maker)
        except Exception:  # the next tick tries again; nothing is lost, the deadlines are rows
            log.exception("scheduler tick failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
