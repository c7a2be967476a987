"""The event log's promise: a reader that tails `seq > last` sees every event, in commit order, with no gap.

Many concurrent writers commit reports while a reader polls and (on PostgreSQL) three numbering passes run
at once, as three worker processes would; if the reader ever received a seq higher than one it only
received later, a live subscriber would have skipped that event forever.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import make_sessionmaker, unit_of_work
from app.models import Event
from app.schemas.reports import ReportCreate
from app.services import events, intake
from app.services.access import Principal
from tests import factories
from tests.conftest import Actor, truncate

WRITERS = 12
REPORTS_EACH = 15


async def test_concurrent_writers_and_tailing_reader(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    await truncate(engine)
    maker: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
    op = actors["operator"]
    principal = Principal(op.id, op.username, op.role, op.region)
    done = asyncio.Event()

    async def writer(n: int) -> None:
        for i in range(REPORTS_EACH):
            body = ReportCreate.model_validate(factories.report(description=f"writer {n} report {i}"))
            async with unit_of_work(maker) as session:
                await intake.submit(session, principal, body)
                await asyncio.sleep(0)  # let other writers interleave inside the transaction

    seen: list[int] = []

    async def reader() -> None:
        last = 0
        while True:
            finished = done.is_set()
            async with maker() as session:
                rows = (
                    await session.scalars(select(Event.seq).where(Event.seq > last).order_by(Event.seq))
                ).all()
            for seq in rows:
                assert seq == last + 1, f"gap: saw {seq} after {last}"
                last = seq
                seen.append(seq)
            if finished and not rows:
                return
            await asyncio.sleep(0.001)

    writing = asyncio.Event()

    async def numbering() -> None:
        while not writing.is_set():
            await events.number(engine)
            await asyncio.sleep(0)
        await events.number(engine)

    postgres = engine.dialect.name == "postgresql"
    passes = [asyncio.create_task(numbering()) for _ in range(3 if postgres else 0)]
    tail = asyncio.create_task(reader())
    await asyncio.gather(*[writer(n) for n in range(WRITERS)])
    writing.set()
    await asyncio.gather(*passes)
    done.set()
    await tail
    assert seen == list(range(1, WRITERS * REPORTS_EACH * 2 + 1))
    # Within each transaction, the events keep the order in which they were recorded.
    async with maker() as session:
        rows = (await session.execute(select(Event.incident_id, Event.type).order_by(Event.seq))).all()
    first: dict[object, str] = {}
    for incident_id, type_ in rows:
        first.setdefault(incident_id, type_)
    assert set(first.values()) == {"incident.created"}
