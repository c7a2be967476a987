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
from typing import Any, TypeVar, TypeVarTuple, cast

import asyncpg
from sqlalchemy import (
    Executable,
    Insert,
    Integer,
    Row,
    Select,
    Table,
    bindparam,
    column,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import configure_mappers

from app.models import AuditEntry, Base, Event, EventCounter
from app.settings import Settings

B = TypeVar("B", bound=Base)
READ_ONLY_OPTION = "tanggap_read_only"
PENDING_EVENTS = "pending_events"
PENDING_AUDIT = "pending_audit"
PENDING_ROWS = "pending_rows"
# The kab/kota dispatch locks a unit of work holds, and whether it made a dispatch round due
# (app/services/dispatch/locks.py); both end with the transaction.
DISPATCH_LOCKS = "dispatch_locks"
ROUND_DUE = "dispatch_round_due"
# Set when a unit of work queued Web Push messages (app/services/push/queue.py).
PUSH_QUEUED = "push_queued"
PENDING_AFTER = "pending_after"
# Called after a commit that wrote events (the live hubs of this process wake up at once).
on_events_committed: list[Callable[[], None]] = []
# Called after a commit that made a dispatch round due (this process's dispatcher runs it).
on_round_due: list[Callable[[], None]] = []
# Called after a commit that queued push messages (this process's push sender sends them).
on_push_queued: list[Callable[[], None]] = []
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


_Ts = TypeVarTuple("_Ts")


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, for connections that only read (on SQLite they take no write lock)."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


async def lookup(engine: AsyncEngine, statement: Select[*_Ts]) -> Row[*_Ts] | None:
    """One row read outside any unit of work (who is calling, before the request's own begins): on
    PostgreSQL in autocommit mode, one round trip without BEGIN and ROLLBACK, and the request's unit of work
    keeps its own fast path (commit()); on SQLite on a read-only connection, which takes no write lock."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            return (await conn.execute(statement)).one_or_none()
    async with read_only(engine).connect() as conn:
        return (await conn.execute(statement)).one_or_none()


async def plan_with_values(session: AsyncSession) -> None:
    """For a heavy read whose best plan depends on its values (a year of one kab/kota among three million
    incidents): PostgreSQL plans the rest of this transaction's statements with their values, not with the
    generic plan a prepared statement falls back to after five runs (which read the whole country's year
    by time and filtered the kab/kota out: 580 ms instead of 2 ms). Planning a statement costs well under
    a millisecond; the reads this is for take tens."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


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


def after_rows(session: AsyncSession, statement: Executable) -> None:
    """A statement to run at commit after the queued rows, in the same transaction: an update of a loaded
    row that must refer to a row queued by `append` (the ORM's flush comes before them)."""
    session.info.setdefault(PENDING_AFTER, []).append(statement)


def append(session: AsyncSession, *objects: Base) -> None:
    """Queue new append-only rows (a new report, its incident) to be written at commit, past the ORM's unit
    of work. The objects stay transient; attributes never set take their column defaults (the Python-side
    ones are computed here, so that the statement carries every value)."""
    rows: list[tuple[Table, dict[str, Any]]] = session.info.setdefault(PENDING_ROWS, [])
    for obj in objects:
        table, columns = _columns_of(type(obj))
        state = obj.__dict__
        values = {}
        for key, column_key, default in columns:
            # None where the column has a default: reading an unset attribute stores None.
            value = state.get(key)
            if value is not None or (key in state and default is None):
                values[column_key] = value
            elif callable(default):
                values[column_key] = default()
            # else: a server default (or NULL) fills it
        rows.append((table, values))


@cache
def _columns_of(
    cls: type[Base],
) -> tuple[Table, tuple[tuple[str, str, Callable[[], Any] | bool | None], ...]]:
    """(attribute, column, default) per column: default is a function for a Python-side default, True for a
    server default, None for none."""
    mapper = inspect(cls)
    columns = []
    for prop in mapper.column_attrs:
        col = prop.columns[0]
        default: Callable[[], Any] | bool | None = None
        if col.default is not None:
            default = _default_function(col.default)
        elif col.server_default is not None:
            default = True
        columns.append((prop.key, col.key, default))
    return cast(Table, mapper.local_table), tuple(columns)


def _default_function(default: Any) -> Callable[[], Any]:
    if default.is_scalar:
        return lambda: default.arg
    if default.is_callable:
        return lambda: default.arg(None)  # SQLAlchemy's wrapper takes (and ignores) an execution context
    raise TypeError(f"append() cannot compute the column default {default!r}")


async def commit(session: AsyncSession) -> None:
    """Write the unit of work's queued rows, audit entries and events, then commit.

    On PostgreSQL everything queued goes in one statement (data-modifying CTEs); the events are written
    without a number, and the live hub numbers them right after the commit (app/services/events.py:
    number). A unit of work that read nothing and changed no loaded object (a new report opening a new
    incident) is that one statement in autocommit mode, run on the driver's connection: atomic on its own,
    without BEGIN and COMMIT round trips. On SQLite, where BEGIN IMMEDIATE already serialises
    writers, the rows go one table at a time and the counter row is bumped here.
    """
    rows: list[tuple[Table, dict[str, Any]]] = session.info.pop(PENDING_ROWS, [])
    later: list[Executable] = session.info.pop(PENDING_AFTER, [])
    events: list[dict[str, Any]] = session.info.pop(PENDING_EVENTS, [])
    audit: list[dict[str, Any]] = session.info.pop(PENDING_AUDIT, [])
    session.info.pop(DISPATCH_LOCKS, None)
    round_due = session.info.pop(ROUND_DUE, False)
    pushed = session.info.pop(PUSH_QUEUED, False)
    rows += [(_AUDIT_TABLE, a) for a in audit]
    if not (rows or events):
        # Nothing begun and nothing added: no commit to send.
        if session.in_transaction() or session.new or session.dirty or session.deleted:
            await session.commit()
        _after_commit(round_due=round_due, pushed=pushed, events=False)
        return
    engine = session.bind
    assert isinstance(engine, AsyncEngine), "sessions are bound to one engine"
    if engine.dialect.name == "postgresql":
        statement, params = _one_statement(rows, events)
        if not (later or session.in_transaction() or session.new or session.dirty or session.deleted):
            async with engine.connect() as conn:
                await _autocommit(conn, statement, params)
        else:
            await session.flush()
            conn = await session.connection()
            await conn.execute(statement, params)
            for step in later:
                await conn.execute(step)
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
        for step in later:
            await conn.execute(step)
        await session.commit()
    _after_commit(round_due=round_due, pushed=pushed, events=bool(events))


def _after_commit(*, round_due: bool, pushed: bool, events: bool) -> None:
    for wanted, callbacks in (
        (events, on_events_committed),
        (round_due, on_round_due),
        (pushed, on_push_queued),
    ):
        if wanted:
            for callback in callbacks:
                callback()


def _one_statement(
    rows: list[tuple[Table, dict[str, Any]]], events: list[dict[str, Any]]
) -> tuple[Insert, dict[str, Any]]:
    shape = tuple((table.name, tuple(values)) for table, values in rows)
    params = {f"p{i}_{k}": v for i, (_, values) in enumerate(rows) for k, v in values.items()}
    if events:
        params["events"] = [{**{k: _plain(v) for k, v in e.items()}, "ord": i} for i, e in enumerate(events)]
    return _combined_insert(shape, bool(events)), params


async def _autocommit(conn: AsyncConnection, statement: Insert, params: dict[str, Any]) -> None:
    """Runs the statement on the driver's connection, outside any transaction (atomic on its own).

    Past SQLAlchemy's execution machinery, which costs three times what asyncpg does for this statement
    (about 350 us of CPU against 120 per new report, measured): the SQL text, the order of its parameters
    and their converters are SQLAlchemy's own, compiled once per shape. The pool never sees a transaction
    begun on this connection, so it returns it as it came."""
    sql, names, converters = _compiled(statement)
    args = [params[n] if f is None else f(params[n]) for n, f in zip(names, converters, strict=True)]
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    try:
        await driver.execute(sql, *args)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(sql, None, exc) from exc
    except (asyncpg.InterfaceError, OSError):
        await conn.invalidate()  # the connection is broken or in an unknown state: never reuse it
        raise


@lru_cache(maxsize=256)
def _compiled(
    statement: Insert,
) -> tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]:
    dialect = _ASYNCPG_DIALECT
    compiled = statement.compile(dialect=dialect)
    if compiled.insert_prefetch or compiled.postfetch:
        raise TypeError("append() leaves no column default for SQLAlchemy to compute")
    names = tuple(compiled.positiontup or ())
    converters = tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
    return compiled.string, names, converters


_ASYNCPG_DIALECT = postgresql_asyncpg.dialect()  # type: ignore[no-untyped-call]


def _plain(value: Any) -> Any:
    """JSON-ready: timestamps and ids as text (PostgreSQL reads them back into the columns' types)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


_EVENT_FIELDS = (
    "type",
    "occurred_at",
    "incident_id",
    "crew_id",
    "region_code",
    "actor_id",
    "actor",
    "data",
    "request_id",
)


@lru_cache(maxsize=256)
def _combined_insert(shape: tuple[tuple[str, tuple[str, ...]], ...], with_events: bool) -> Insert:
    """One INSERT statement for many rows of several tables (a data-modifying CTE per row), built once per
    shape. Single-row VALUES only: SQLAlchemy does not cache statements with multi-row VALUES.

    The events go in one INSERT ... SELECT from a JSON array ordered by position: the rows of a CTE chain go
    in no set order, and the events of one transaction must be numbered in the order they were recorded
    (the numbering pass numbers them in id order, that is in the order they were inserted)."""
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
    for key in (PENDING_ROWS, PENDING_EVENTS, PENDING_AUDIT, DISPATCH_LOCKS, ROUND_DUE, PUSH_QUEUED):
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
