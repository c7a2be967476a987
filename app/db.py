"""Engine, sessions and the unit of work.

One owner per unit of work: the request's session dependency (app/api/deps.py) or a background task's own
session calls `commit()`. Services add rows and events to the session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import Insert, Integer, Table, bindparam, column, func, insert, inspect, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import configure_mappers

from app.models import AuditEntry, Base, Event, EventCounter
from app.settings import Settings

B = TypeVar("B", bound=Base)
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
        pool_timeout=settings.db_pool_timeout,
        # No pre-ping: it costs a round trip per request; a dropped connection fails one request and is
        # replaced (the client retries with its Idempotency-Key).
    )


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, for connections that only read (on SQLite they take no write lock)."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def new_row(cls: type[B], **values: Any) -> B:
    """A new object for `append()`: its attributes set at once, without the change tracking that a mapped
    class's constructor runs for each of them (the object is never flushed by the ORM)."""
    mapper = cls.__mapper__
    if not mapper.configured:
        configure_mappers()
    obj: B = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    return obj


def append(session: AsyncSession, *objects: Base) -> None:
    """Queue new append-only rows (a new report, its incident) to be written at commit, past the ORM's unit
    of work. The objects stay transient; attributes never set take their column defaults."""
    rows: list[tuple[Table, dict[str, Any]]] = session.info.setdefault(PENDING_ROWS, [])
    for obj in objects:
        table, columns = _columns_of(type(obj))
        state = obj.__dict__
        values = {}
        for key, column_key, has_default in columns:
            if key in state:
                value = state[key]
                # None where the column has a default: reading an unset attribute stores None.
                if value is not None or not has_default:
                    values[column_key] = value
        rows.append((table, values))


@cache
def _columns_of(cls: type[Base]) -> tuple[Table, tuple[tuple[str, str, bool], ...]]:
    mapper = inspect(cls)
    columns = tuple(
        (prop.key, prop.columns[0].key, bool(prop.columns[0].default or prop.columns[0].server_default))
        for prop in mapper.column_attrs
    )
    return cast(Table, mapper.local_table), columns


async def commit(session: AsyncSession) -> None:
    """Write the unit of work's queued rows, audit entries and events, then commit.

    On PostgreSQL everything queued goes in one statement (data-modifying CTEs), and a deferred trigger
    numbers the events at COMMIT (see app/models/event.py). A unit of work that read nothing and changed no
    loaded object (a new report opening a new incident) is that one statement in autocommit mode: atomic on
    its own, without BEGIN and COMMIT round trips. On SQLite, where BEGIN IMMEDIATE already serialises
    writers, the rows go one table at a time and the counter row is bumped here.
    """
    rows: list[tuple[Table, dict[str, Any]]] = session.info.pop(PENDING_ROWS, [])
    events: list[dict[str, Any]] = session.info.pop(PENDING_EVENTS, [])
    audit: list[dict[str, Any]] = session.info.pop(PENDING_AUDIT, [])
    rows += [(_AUDIT_TABLE, a) for a in audit]
    if not (rows or events):
        # Nothing begun and nothing added: no commit to send.
        if session.in_transaction() or session.new or session.dirty or session.deleted:
            await session.commit()
        return
    engine = session.bind
    assert isinstance(engine, AsyncEngine), "sessions are bound to one engine"
    if engine.dialect.name == "postgresql":
        statement, params = _one_statement(rows, events)
        if not (session.in_transaction() or session.new or session.dirty or session.deleted):
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(statement, params)
        else:
            await session.flush()
            await (await session.connection()).execute(statement, params)
            await session.commit()
    else:
        await session.flush()
        conn = await session.connection()
        if events:
            top = (
                await conn.execute(
                    update(EventCounter)
                    .where(EventCounter.id == 1)
                    .values(value=EventCounter.value + len(events))
                    .returning(EventCounter.value)
                )
            ).scalar_one()
            events = [{**e, "seq": top - len(events) + 1 + i} for i, e in enumerate(events)]
            rows.append((_EVENT_TABLE, events))  # type: ignore[arg-type]
        for table, values in rows:
            await conn.execute(insert(table), values)
        await session.commit()
    if events:
        for callback in on_events_committed:
            callback()


def _one_statement(
    rows: list[tuple[Table, dict[str, Any]]], events: list[dict[str, Any]]
) -> tuple[Insert, dict[str, Any]]:
    shape = tuple((table.name, tuple(values)) for table, values in rows)
    params = {f"p{i}_{k}": v for i, (_, values) in enumerate(rows) for k, v in values.items()}
    if events:
        params["events"] = [{**{k: _plain(v) for k, v in e.items()}, "ord": i} for i, e in enumerate(events)]
    return _combined_insert(shape, bool(events)), params


def _plain(value: Any) -> Any:
    """JSON-ready: timestamps and ids as text (PostgreSQL reads them back into the columns' types)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


_EVENT_FIELDS = ("type", "occurred_at", "incident_id", "crew_id", "region_code", "actor_id", "actor", "data")


@lru_cache(maxsize=256)
def _combined_insert(shape: tuple[tuple[str, tuple[str, ...]], ...], with_events: bool) -> Insert:
    """One INSERT statement for many rows of several tables (a data-modifying CTE per row), built once per
    shape. Single-row VALUES only: SQLAlchemy does not cache statements with multi-row VALUES.

    The events go in one INSERT ... SELECT from a JSON array ordered by position: the rows of a CTE chain go
    in no set order, and the events of one transaction must be numbered in the order they were recorded
    (the trigger numbers them in the order they were inserted)."""
    tables = Base.metadata.tables
    inserts = [
        insert(tables[name]).values({k: bindparam(f"p{i}_{k}", type_=tables[name].c[k].type) for k in keys})
        for i, (name, keys) in enumerate(shape)
    ]
    if with_events:
        cols = _EVENT_TABLE.c
        source = (
            func.jsonb_to_recordset(bindparam("events", type_=JSONB()))
            .table_valued(*(column(n, cols[n].type) for n in _EVENT_FIELDS), column("ord", Integer()))
            .render_derived(name="e", with_types=True)
        )
        inserts.append(
            insert(_EVENT_TABLE).from_select(
                list(_EVENT_FIELDS),
                select(*(source.c[n] for n in _EVENT_FIELDS)).order_by(source.c.ord),
            )
        )
    *before, stmt = inserts
    for i, ins in enumerate(before):
        stmt = stmt.add_cte(ins.cte(f"w{i}"))
    return stmt


async def rollback(session: AsyncSession) -> None:
    """Undo the unit of work: roll back what reached the database and forget what was queued."""
    for key in (PENDING_ROWS, PENDING_EVENTS, PENDING_AUDIT):
        session.info.pop(key, None)
    await session.rollback()


@asynccontextmanager
async def unit_of_work(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for background work and the CLI: commits on success, rolls back on error."""
    async with sessionmaker() as session:
        try:
            yield session
            await commit(session)
        except BaseException:
            await rollback(session)
            raise
