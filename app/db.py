"""Engine, sessions and the unit of work.

One owner per unit of work: the request's session dependency (app/api/deps.py) or a background task's own
session calls `commit()`. Services add rows and events to the session and never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.models import Event, EventCounter
from app.settings import Settings

PENDING_EVENTS = "pending_events"


def make_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(settings.database_url, echo=settings.sql_echo)

        @sa_event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" hook below emit BEGIN instead of the driver.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @sa_event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Take the write lock at BEGIN so that read-then-write units of work never deadlock.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(
        settings.database_url,
        echo=settings.sql_echo,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def commit(session: AsyncSession) -> None:
    """Write the unit of work's pending events, then commit.

    On PostgreSQL a deferred trigger numbers the events at COMMIT (see app/models/event.py). On SQLite,
    where BEGIN IMMEDIATE already serialises writers, the counter row is bumped here.
    """
    pending: list[dict[str, Any]] = session.info.pop(PENDING_EVENTS, [])
    if pending:
        await session.flush()
        if session.get_bind().dialect.name != "postgresql":
            top = (
                await session.execute(
                    update(EventCounter)
                    .where(EventCounter.id == 1)
                    .values(value=EventCounter.value + len(pending))
                    .returning(EventCounter.value)
                )
            ).scalar_one()
            pending = [{**e, "seq": top - len(pending) + 1 + i} for i, e in enumerate(pending)]
        await session.execute(insert(Event), pending)
    await session.commit()


@asynccontextmanager
async def unit_of_work(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for background work and the CLI: commits on success, rolls back on error."""
    async with sessionmaker() as session:
        try:
            yield session
            await commit(session)
        except BaseException:
            await session.rollback()
            raise
