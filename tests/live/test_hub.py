"""The hub hands what its own numbering pass numbered straight to its clients, but only when it follows what
they already have: after another process's pass it reads the gap from the log first. Either way a client gets
every event once, in order."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import make_sessionmaker, unit_of_work
from app.live.hub import Client, Hub
from app.live.topics import Subscription
from app.schemas.reports import ReportCreate
from app.services import events, intake
from app.services.access import Principal
from tests import factories
from tests.conftest import Actor, truncate


async def _report(engine: AsyncEngine, principal: Principal) -> None:
    body = ReportCreate.model_validate(factories.report())
    async with unit_of_work(make_sessionmaker(engine)) as session:
        await intake.submit(session, principal, body)


async def _received(client: Client, want: int) -> list[int]:
    got: list[int] = []
    async with asyncio.timeout(10):
        while len(got) < want:
            await client.wait()
            got += [d.seq for d in client.take()]
    return got


async def test_hand_over_and_gap(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite numbers events in the commit")
    await truncate(engine)
    op = actors["operator"]
    principal = Principal(op.id, op.username, op.role, op.region)
    hub = Hub(engine, poll_seconds=30)  # no poll: only the hub's own passes and wakes move it
    await hub.start()
    try:
        client = Client(Subscription(op.id, ("21",), frozenset(), False), 100)
        assert await hub.attach(client) == 0
        await asyncio.sleep(0.5)  # the wake-up that follows LISTEN has come and gone
        read_after: list[int] = []
        reads = hub._read

        async def counting_read(after: int, upto: int | None = None) -> list[dict[str, object]]:
            rows = await reads(after, upto)
            if rows:
                read_after.append(after)
            return rows

        hub._read = counting_read  # type: ignore[method-assign]
        # This process commits: its pass numbers the two events and hands them over without a read.
        await _report(engine, principal)
        hub.committed()
        assert await _received(client, 2) == [1, 2]
        assert read_after == []
        # Another process numbers the next report's events; this hub hears nothing of it (no NOTIFY here).
        await _report(engine, principal)
        assert (await events.number(engine))[0] == 2
        # This process's next pass numbers 5-6, which do not follow 2: the hub reads 3-6 from the log.
        await _report(engine, principal)
        hub.committed()
        assert await _received(client, 4) == [3, 4, 5, 6]
        assert read_after == [2]
    finally:
        await hub.stop()
