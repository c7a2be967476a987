"""The events a request records carry its request id, on both databases (PostgreSQL writes them in one
statement from a JSON array, SQLite row by row); what the scheduler records on its own carries none."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.models import Event
from app.services import timers
from tests import factories
from tests.conftest import Actor


async def test_events_carry_the_request_id(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    received = (datetime.now(UTC) - timedelta(minutes=50)).isoformat()
    r = await client.post(
        "/api/v1/reports",
        json=factories.report(received_at=received),
        headers={**actors["operator"].headers, "X-Request-ID": "req-7f3a"},
    )
    assert r.status_code == 201 and r.headers["x-request-id"] == "req-7f3a"
    incident_id = uuid.UUID(r.json()["incident_id"])
    # The app's own scheduler may hold the incident (SKIP LOCKED) and record the breaches first: wait.
    deadline = time.monotonic() + 10
    while True:
        async with unit_of_work(db) as session:
            await timers.record_breaches(session, datetime.now(UTC))
        async with db() as session:
            rows = (
                await session.execute(
                    select(Event.type, Event.request_id)
                    .where(Event.incident_id == incident_id)
                    .order_by(Event.id)
                )
            ).all()
        by_type: dict[str, str | None] = {t: rid for t, rid in rows}  # noqa: C416
        if "incident.4ct_breached" in by_type or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert by_type["incident.created"] == "req-7f3a" and by_type["report.received"] == "req-7f3a"
    assert by_type["incident.4ct_breached"] is None  # the scheduler's, or this test's, not a request's
