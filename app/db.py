"""Engine, sessions and the unit of work.

One owner per unit of work: the request's session dependency (app/api/deps.py) or a background task's own
session calls `commit()`. Services add rows and events to the session and never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, insert, inspect, update
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.models import AuditEntry, Base, Event, EventCounter
from app.settings import Settings

READ_ONLY_OPTION = "tanggap_read_only"
PENDING_EVENTS = "pending_events"
PENDING_AUDIT = "pending_audit"
PENDING_ROWS = "pending_rows"
# Called after a commit that wrote events (the live hubs of this process wake up at once).
on_events_committed: list[Callable[[], None]] = []
_AUDIT_TABLE = cast(Table, AuditEntry.__table__)
_EVENT_TABLE = cast(Table, Event.__table__)


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
            # Take the write lock at BEGIN so that read-then-write units of work never deadlock; pure readers
            # (READ_ONLY engines) take no lock at all in WAL mode.
            read_only = conn.get_execution_options().get(READ_ONLY_OPTION)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_async_engine(
        settings.database_url,
        echo=settings.sql_echo,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No pre-ping: it costs a round trip per request; a dropped connection fails one request and is
        # replaced (the client retries with its Idempotency-Key).
    )


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, for connections that only read (on SQLite they take no write lock)."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def append(session: AsyncSession, *objects: Base) -> None:
    """Queue new append-only rows (a new report, its incident) to be written at commit, past the ORM's unit
    of work. The objects stay transient; attributes never set take their column defaults."""
    rows: list[tuple[Table, dict[str, Any]]] = session.info.setdefault(PENDING_ROWS, [])
    for obj in objects:
        mapper = inspect(type(obj))
        values = {}
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            value = obj.__dict__.get(prop.key)
            # Unset, or None where the column has a default (reading an unset attribute stores None).
            if prop.key in obj.__dict__ and not (value is None and (column.default or column.server_default)):
                values[column.key] = value
        rows.append((cast(Table, mapper.local_table), values))


async def commit(session: AsyncSession) -> None:
    """Write the unit of work's queued rows, audit entries and events, then commit.

    On PostgreSQL the queued rows and audit entries go in one statement (data-modifying CTEs), the events in
    a second, and a deferred trigger numbers the events at COMMIT (see app/models/event.py). On SQLite, where
    BEGIN IMMEDIATE already serialises writers, the rows go one table at a time and the counter row is bumped
    here.
    """
    rows: list[tuple[Table, dict[str, Any]]] = session.info.pop(PENDING_ROWS, [])
    events: list[dict[str, Any]] = session.info.pop(PENDING_EVENTS, [])
    audit: list[dict[str, Any]] = session.info.pop(PENDING_AUDIT, [])
    if rows or events or audit:
        await session.flush()
        postgres = session.get_bind().dialect.name == "postgresql"
        if events and not postgres:
            top = (
                await session.execute(
                    update(EventCounter)
                    .where(EventCounter.id == 1)
                    .values(value=EventCounter.value + len(events))
                    .returning(EventCounter.value)
                )
            ).scalar_one()
            events = [{**e, "seq": top - len(events) + 1 + i} for i, e in enumerate(events)]
        # Core statements on the session's connection: the ORM's execution path adds nothing for them.
        conn = await session.connection()
        rows = [*rows, *((_AUDIT_TABLE, a) for a in audit)]
        if postgres and rows:
            shape = tuple((table.name, tuple(values)) for table, values in rows)
            params = {f"p{i}_{k}": v for i, (_, values) in enumerate(rows) for k, v in values.items()}
            await conn.execute(_combined_insert(shape), params)
        else:
            for table, values in rows:
                await conn.execute(insert(table), values)
        if events:
            # Its own statement, row by row in order: the rows of a CTE chain go in no set order, and the
            # events of one transaction must be numbered in the order they were recorded.
            await conn.execute(insert(_EVENT_TABLE), events)
    await session.commit()
    if events:
        for callback in on_events_committed:
            callback()


@lru_cache(maxsize=256)
def _combined_insert(shape: tuple[tuple[str, tuple[str, ...]], ...]) -> Insert:
    """One INSERT statement for many rows of several tables (a data-modifying CTE per row), built once per
    shape. Single-row VALUES only: SQLAlchemy does not cache statements with multi-row VALUES."""
    tables = Base.metadata.tables
    inserts = [
        insert(tables[name]).values({k: bindparam(f"p{i}_{k}", type_=tables[name].c[k].type) for k in keys})
        for i, (name, keys) in enumerate(shape)
    ]
    *before, stmt = inserts
    for i, ins in enumerate(before):
        stmt = stmt.add_cte(ins.cte(f"w{i}"))
    return stmt


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
