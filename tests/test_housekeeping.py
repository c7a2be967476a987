"""Housekeeping forgets expired idempotency keys and old inbound message ids, and nothing newer."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.models import IdempotencyKey, InboundMessage, InboundSource
from app.models.base import utcnow
from app.services import scheduler
from tests.conftest import Actor, count


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
    assert await scheduler.housekeeping(db, idempotency_ttl_hours=24) == 2
    assert await count(db, "idempotency_keys") == 1 and await count(db, "inbound_messages") == 1
