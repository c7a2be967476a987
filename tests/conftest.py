"""Test harness: every API test runs against SQLite and against a real PostgreSQL.

The schema comes from the Alembic migrations (never create_all). Between tests the data tables are emptied;
the accounts made once per backend stay. TANGGAP_REQUIRE_POSTGRES=1 (as in .ci/run) turns a missing
PostgreSQL into a failure instead of a skip.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import migrate, security
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.main import create_app
from app.models import Agency, Role
from app.services import users
from app.settings import Settings

PG_ADMIN_DSN = os.environ.get("TANGGAP_TEST_PG_DSN", "postgresql://root@127.0.0.1:5432/postgres")
KEEP = {"alembic_version", "users", "api_keys", "agencies"}


def pg_url(dbname: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{dbname}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_pg_database() -> str | None:
    """A fresh database for this test run, or None when PostgreSQL is unreachable."""
    name = f"tanggap_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        if os.environ.get("TANGGAP_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required (TANGGAP_REQUIRE_POSTGRES=1) but unreachable: {exc}")
        return None
    return name


def drop_pg_database(name: str) -> None:
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    name = create_pg_database()
    if name is None:
        pytest.skip("PostgreSQL unreachable")
    yield name
    drop_pg_database(name)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'tanggap.db'}"
    else:
        url = pg_url(request.getfixturevalue("pg_database"))
    migrate.upgrade(url)
    return url


# Webhooks in tests: the receiver the test starts on 127.0.0.1 is allow-listed, and the retry schedule is
# the specification's shape on a sub-second scale.
TEST_WEBHOOKS: dict[str, Any] = {
    "webhook_allow_private": ["127.0.0.1"],
    "webhook_retry_delays": [0.2, 0.4, 0.6, 0.8],
    "webhook_timeout_seconds": 1.5,
    "webhook_poll_seconds": 0.25,
}


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "env": "test",
        "secret_key": "t" * 40,
        "public_rate_limit": 1000,
        "open_data_rate_limit": 1000,
        # Tests drive the open-data refresh themselves (tests/api/test_open_data.py).
        "open_data_refresh_seconds": 0,
        **TEST_WEBHOOKS,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(make_settings(database_url))
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@dataclass
class Actor:
    id: uuid.UUID
    username: str
    role: Role
    region: str
    headers: dict[str, str]


# name -> (role, region)
ACTORS = {
    "admin": (Role.admin, ""),
    "admin_batam": (Role.admin, "21.71"),
    "supervisor": (Role.supervisor, "21.71"),
    "operator": (Role.operator, "21.71"),
    "crew": (Role.crew, "21.71"),
    "agency": (Role.agency, "21.71"),
    "reporter": (Role.reporter, "21.71"),
    "operator_jember": (Role.operator, "35.09"),
    "reporter2": (Role.reporter, "21.71"),
}
PASSWORD = "correct horse battery"
# Agencies survive a truncation only when an actor's account acts for one.
_FOREIGN_AGENCIES = (
    "DELETE FROM agencies WHERE id NOT IN (SELECT agency_id FROM users WHERE agency_id IS NOT NULL)"
)


@pytest.fixture(scope="session")
async def actors(database_url: str, sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Actor]:
    settings = make_settings(database_url)
    out: dict[str, Actor] = {}
    async with unit_of_work(sessionmaker) as session:
        # The agency actor answers for the city police (Polresta Barelang).
        police = Agency(name="Polresta Barelang", kind="police", region_code="21.71")
        session.add(police)
        await session.flush()
        for name, (role, region) in ACTORS.items():
            user = await users.create_user(
                session,
                username=f"t.{name}",
                role=role,
                region_code=region,
                password=PASSWORD,
                agency_id=police.id if role == Role.agency else None,
            )
            token, _ = security.create_access_token(
                settings, security.TokenClaims(user.id, user.username, role, region)
            )
            out[name] = Actor(user.id, user.username, role, region, {"Authorization": f"Bearer {token}"})
    return out


async def truncate(engine: AsyncEngine) -> None:
    # On a loaded machine the previous test's last background write may still hold SQLite's lock for longer
    # than its busy timeout: wait for it rather than fail the next test's setup.
    for attempt in range(5):
        try:
            await _truncate(engine)
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(2)


async def _truncate(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = (
                (await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
                .scalars()
                .all()
            )
            wipe = [n for n in names if n not in KEEP and n != "event_counter"]
            await conn.execute(text(f"TRUNCATE {', '.join(wipe)} RESTART IDENTITY CASCADE"))
            await conn.execute(text(_FOREIGN_AGENCIES))
        else:
            names = (
                (
                    await conn.execute(
                        text(
                            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                        )
                    )
                )
                .scalars()
                .all()
            )
            for table in (
                "push_messages",
                "push_subscriptions",
                "dispatch_regions",
                "webhook_attempts",
                "webhook_deliveries",
                "webhook_endpoints",
                "inbound_messages",
                "inbound_sources",
                "social_posts",
                "tracing_contacts",
                "handovers",
                "repatriations",
                "assessments",
                "placements",
                "facility_units",
                "facilities",
                "referrals",
                "routing_rules",
                "outbox_cursor",
                "events",
                "events_archive",
                "audit_log",
                "incident_notes",
                "person_links",
                "match_rejections",
                "match_proposals",
                "person_merges",
                "incident_subjects",
                "person_keys",
                "person_corrections",
                "persons",
                "offers",
                "reports",
                "incidents",
                "idempotency_keys",
                "rate_limit_windows",
                "open_data_figures",
                "login_failures",
                "used_tickets",
                "crew_positions",
                "crew_members",
                "crews",
                "personnel",
                "vehicles",
                "teams",
            ):
                assert table in names
                await conn.execute(text(f"DELETE FROM {table}"))
            await conn.execute(text(_FOREIGN_AGENCIES))
        await conn.execute(text("UPDATE event_counter SET value = 0"))
        await conn.execute(text("INSERT INTO outbox_cursor (id, seq) VALUES (1, 0), (2, 0)"))


@pytest.fixture
async def app(database_url: str, engine: AsyncEngine, actors: dict[str, Actor]) -> AsyncIterator[FastAPI]:
    await truncate(engine)
    application = create_app(make_settings(database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
def db(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    """Direct database access for assertions, through the app's own engine."""
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


async def count(maker: async_sessionmaker[AsyncSession], table: str) -> int:
    async with maker() as session:
        return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


ROOT = Path(__file__).resolve().parent.parent
