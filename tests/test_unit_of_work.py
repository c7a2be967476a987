"""app/db.py: rows queued with append() are written with their column defaults, and a write that breaks a
constraint fails as SQLAlchemy's IntegrityError, on both databases (on PostgreSQL a unit of work that read
nothing runs on the driver's connection, past SQLAlchemy's execution)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import db
from app.models import AuditEntry


def _audit(**values: object) -> AuditEntry:
    entity = uuid.uuid4()
    return db.new_row(
        AuditEntry,
        actor="test",
        actor_role="admin",
        action="read",
        entity_type="report",
        entity_id=entity,
        region_code="21.71",
        purpose="unit-of-work test",
        **values,
    )


async def test_appended_rows_take_their_python_defaults(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    row = _audit()
    before = datetime.now(UTC)
    async with sessionmaker() as session:
        db.append(session, row)
        await db.commit(session)
    async with sessionmaker() as session:
        stored = (
            await session.execute(
                select(AuditEntry.at, AuditEntry.fields, AuditEntry.id).where(
                    AuditEntry.entity_id == row.entity_id
                )
            )
        ).one()
    at = stored.at if stored.at.tzinfo else stored.at.replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= at <= datetime.now(UTC) + timedelta(seconds=1)
    assert stored.fields == []
    assert stored.id > 0  # the server's own default


async def test_a_broken_constraint_is_an_integrity_error_and_the_pool_stays_usable(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        db.append(session, _audit())
        await db.commit(session)
        taken = (
            (await session.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc()))).scalars().first()
        )
        await db.commit(session)
    for _ in range(3):  # more times than a broken connection could hide behind the pool
        async with sessionmaker() as session:
            db.append(session, _audit(id=taken))
            with pytest.raises(IntegrityError):
                await db.commit(session)
            await db.rollback(session)
    row = _audit()
    async with sessionmaker() as session:
        db.append(session, row)
        await db.commit(session)
    async with sessionmaker() as session:
        found = await session.scalar(select(AuditEntry.id).where(AuditEntry.entity_id == row.entity_id))
    assert found is not None
