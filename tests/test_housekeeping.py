"""Housekeeping forgets expired idempotency keys, old inbound message ids, crews' old positions and old
finished webhook deliveries (with their attempts), and nothing newer, nor a delivery still pending."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.models import (
    Agency,
    Crew,
    CrewPosition,
    Event,
    IdempotencyKey,
    InboundMessage,
    InboundSource,
    Team,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.models.base import utcnow
from app.services import scheduler
from tests.conftest import Actor, count, truncate


async def test_housekeeping(
    app: FastAPI, db: async_sessionmaker[AsyncSession], actors: dict[str, Actor]
) -> None:
    now = utcnow()
    async with unit_of_work(db) as session:
        source = InboundSource(name="src", kind="reports", region_code="21.71", user_id=actors["operator"].id)
        session.add(source)
        await session.flush()
        for age, key in ((timedelta(hours=25), "old"), (timedelta(hours=1), "new")):
            session.add(
                IdempotencyKey(
                    scope="s",
                    key=key,
                    request_hash="h",
                    status_code=201,
                    response_body={},
                    created_at=now - age,
                )
            )
            session.add(
                InboundMessage(source_id=source.id, message_id=key, status_code=201, received_at=now - age)
            )
    assert await scheduler.housekeeping(db, scheduler.Retention(idempotency_hours=24)) == 2
    assert await count(db, "idempotency_keys") == 1 and await count(db, "inbound_messages") == 1


async def test_retention_of_positions_and_deliveries(
    engine: AsyncEngine, db: async_sessionmaker[AsyncSession]
) -> None:
    # No app here: empty the tables first, or rows an earlier test left would be counted.
    await truncate(engine)
    now = utcnow()
    async with unit_of_work(db) as session:
        team = Team(name="TRC", region_code="21.71")
        agency = Agency(name="Polsek", kind="police", region_code="21.71.06")
        session.add_all([team, agency])
        await session.flush()
        crew = Crew(team_id=team.id, name="A", shift_starts_at=now, shift_ends_at=now + timedelta(hours=24))
        endpoint = WebhookEndpoint(
            agency_id=agency.id, url="https://polsek.example/hook", region_code="21.71"
        )
        event = Event(type="referral.created", region_code="21.71")
        session.add_all([crew, endpoint, event])
        await session.flush()
        for days in (31, 29):
            session.add(CrewPosition(crew_id=crew.id, at=now - timedelta(days=days), lat=1.14, lon=104.01))
        # (age in days, status): only the old finished ones go.
        for days, status in ((31, "delivered"), (31, "failed"), (31, "pending"), (29, "delivered")):
            delivery = WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id=event.id,
                event_seq=1,
                event_type=event.type,
                message_id=f"msg_{days}_{status}",
                payload="{}",
                status=status,
                created_at=now - timedelta(days=days),
                # Its next try is tomorrow: the app's delivery worker, running beside this test, leaves it.
                due_at=now + timedelta(days=1),
            )
            session.add(delivery)
            await session.flush()
            session.add(
                WebhookAttempt(delivery_id=delivery.id, endpoint_id=endpoint.id, latency_ms=5, worker="w")
            )
    retention = scheduler.Retention(position_days=30, delivery_days=30)
    # 1 position + 2 deliveries + their 2 attempts.
    assert await scheduler.housekeeping(db, retention) == 5
    assert await count(db, "crew_positions") == 1
    async with db() as session:
        left = {(d.status, d.message_id) for d in await session.scalars(select(WebhookDelivery))}
    assert left == {("pending", "msg_31_pending"), ("delivered", "msg_29_delivered")}
    assert await count(db, "webhook_attempts") == 2
    assert await scheduler.housekeeping(db, retention) == 0
