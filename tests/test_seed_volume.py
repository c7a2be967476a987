"""The national-volume generator (`tanggap seed volume`), on a small scope: what it loads holds together."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from app import migrate
from app.db import make_engine, make_sessionmaker
from app.models import Role
from app.seed_volume import load
from app.services import events
from app.services import statistics as stats_service
from app.services.access import Principal
from tests.conftest import create_pg_database, drop_pg_database, make_settings, pg_url

END = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


@pytest.fixture
def two_databases() -> Iterator[tuple[str, str]]:
    names = [create_pg_database(), create_pg_database()]
    if None in names:
        pytest.skip("PostgreSQL unreachable")
    first, second = (pg_url(str(n)) for n in names)
    for url in (first, second):
        migrate.upgrade(url)
    yield first, second
    for name in names:
        drop_pg_database(str(name))


async def _query(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_a_year_of_batam_loads_whole_and_the_same_for_the_same_seed(
    two_databases: tuple[str, str],
) -> None:
    first, second = two_databases
    counts = await load(first, years=1, scope=["21.71"], per_month=30, seed=3, end=END)
    assert counts["kabkota"] == 1
    assert 200 < counts["incidents"] < 700
    [row] = await _query(
        first,
        "SELECT (SELECT count(*) FROM incidents) AS i, (SELECT count(*) FROM reports) AS r, "
        "(SELECT count(*) FROM events) AS e, (SELECT count(*) FROM offers) AS o, "
        "(SELECT max(seq) FROM events) AS top, (SELECT count(DISTINCT seq) FROM events) AS seqs, "
        "(SELECT value FROM event_counter WHERE id = 1) AS counter",
    )
    assert (row["i"], row["r"], row["e"], row["o"]) == (
        counts["incidents"],
        counts["reports"],
        counts["events"],
        counts["offers"],
    )
    # The log carries on where the load stopped: no gap, no number taken twice, the counter past the last.
    assert row["seqs"] == row["e"] == row["top"] and row["counter"] >= row["top"]
    # Every incident has its report and its timeline opens with it; open cases are the last days' only.
    orphans = await _query(
        first,
        "SELECT i.id FROM incidents i WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.incident_id = i.id)",
    )
    assert orphans == []
    stale = await _query(
        first,
        "SELECT id FROM incidents WHERE status IN ('received','verified','dispatched','en_route','on_scene',"
        "'handling') AND first_received_at < $1",
        END - timedelta(days=4),
    )
    assert stale == []
    # No crew holds two jobs: the partial unique index let the load through, and the open cases say so too.
    busy = await _query(
        first,
        "SELECT assigned_crew_id FROM incidents WHERE assigned_crew_id IS NOT NULL AND status IN "
        "('dispatched','en_route','on_scene','handling') GROUP BY 1 HAVING count(*) > 1",
    )
    assert busy == []
    # What the services read of it: a timeline in order, the month's statistics equal to a plain count.
    engine = make_engine(make_settings(first))
    try:
        async with make_sessionmaker(engine)() as session:
            [some] = await _query(first, "SELECT id FROM incidents WHERE status = 'resolved' LIMIT 1")
            timeline = await events.timeline(session, some["id"])
            assert [e.type for e in timeline][:2] == ["report.received", "incident.created"]
            assert timeline[-1].type == "incident.status_changed" and timeline[-1].data == {"to": "resolved"}
            supervisor = Principal(uuid.uuid4(), "s", Role.supervisor, "21.71")
            where = stats_service.scope(supervisor, region="21.71", month="2026-10", since=None, until=None)
            figures = await stats_service.incident_counts(
                session, where, stats_service.Filters(), [], "month"
            )
            [plain] = await _query(
                first,
                "SELECT count(*) AS n FROM incidents WHERE first_received_at >= $1 "
                "AND first_received_at < $2",
                where.since,
                where.until,
            )
            assert figures.total == plain["n"] > 0
    finally:
        await engine.dispose()
    # The same seed makes the same rows, ids included.
    again = await load(second, years=1, scope=["21.71"], per_month=30, seed=3, end=END)
    assert again == counts
    digest = (
        "SELECT md5(string_agg(id::text || status || category || region_code || first_received_at::text, ',' "
        "ORDER BY id)) AS d FROM incidents"
    )
    assert (await _query(first, digest))[0]["d"] == (await _query(second, digest))[0]["d"]


def test_only_postgresql_takes_the_volume() -> None:
    with pytest.raises(ValueError, match="PostgreSQL only"):
        asyncio.run(load("sqlite+aiosqlite:///x.db", years=1, scope=["21.71"]))
