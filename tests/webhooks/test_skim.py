"""The fan-out's one-statement look ahead (PostgreSQL): it moves the cursor past events no agency may
receive, stops before a batch that holds one, and leaves the cursor alone while another worker holds it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import make_sessionmaker, unit_of_work
from app.schemas.reports import ReportCreate
from app.services import events, intake
from app.services.access import Principal
from app.services.webhooks import outbox
from tests import factories
from tests.conftest import Actor, truncate


async def _cursor(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT seq FROM outbox_cursor WHERE id = 1"))).scalar_one())


async def _record(engine: AsyncEngine, *types: str) -> None:
    async with unit_of_work(make_sessionmaker(engine)) as session:
        for type_ in types:
            events.record(session, type_, actor=None, region_code="21.71")
    await events.number(engine)


async def test_skim(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (SQLite has one process and takes the full path)")
    await truncate(engine)
    assert await outbox.skim(engine) == (True, 0, False)
    await _record(engine, "offer.created", "crew.status_changed")
    assert await outbox.skim(engine) == (True, 2, False)
    assert await _cursor(engine) == 2
    # An agency event needs its incident: without one it is internal traffic too.
    await _record(engine, "incident.status_changed")
    assert await outbox.skim(engine) == (True, 1, False)
    assert await _cursor(engine) == 3
    # Another worker holds the cursor: nothing is read and nothing moves.
    await _record(engine, "offer.expired")
    async with engine.connect() as other:
        await other.execute(text("SELECT seq FROM outbox_cursor WHERE id = 1 FOR UPDATE"))
        assert await outbox.skim(engine) == (False, 0, False)
        await other.rollback()
    assert await outbox.skim(engine) == (True, 1, False)
    assert await _cursor(engine) == 4


async def test_skim_stops_before_agency_events(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    await truncate(engine)
    op = actors["operator"]
    principal = Principal(op.id, op.username, op.role, op.region)
    maker = make_sessionmaker(engine)
    async with unit_of_work(maker) as session:
        _, incident = await intake.submit_to_incident(
            session, principal, ReportCreate.model_validate(factories.report())
        )
        events.record(session, "incident.status_changed", actor=principal, incident_id=incident.id)
    await events.number(engine)
    # Three events, the last for agencies: the look-ahead leaves the whole batch to the full fan-out.
    assert await outbox.skim(engine) == (True, 3, True)
    assert await _cursor(engine) == 0
    async with unit_of_work(maker) as session:
        assert await outbox.fan_out(session) == (3, 0)  # no endpoint: nothing queued
    assert await _cursor(engine) == 3
    assert await outbox.skim(engine) == (True, 0, False)
