"""National data volume: the queue, a timeline, a year of statistics and a national month, on years of data
for every kab/kota; and intake on that database against an empty one.

    python -m bench.volume --build [--years 5] [--per-month 80]   # (re)builds tanggap_volume, then measures
    python -m bench.volume [--samples 200]                          # measures the database built before

The database is made by `app.seed_volume` (what `tanggap seed volume` runs): migrations, then COPY. Each
figure is measured in-process through Tanggap's own services, as the API calls them (an AsyncSession on a
pool, the ORM, the region scoping; no HTTP), each against the same baseline in the same run: a plain indexed
`SELECT count(*)` over the same rows (what the database cannot do much faster than). A random kab/kota per
sample (weighted like the data: the busy ones come up more often), so that the caches hold what a real
day's mix would hold, not one region.

- queue: a supervisor's open incidents of one kab/kota by priority (the console's queue, 50 rows);
- timeline: one incident's events (random incidents of the last year);
- statistics: a year of one kab/kota's 4CT compliance by kecamatan and month;
- national month: a month of national open data as the public API serves it (app/services/opendata.py
  `published`, what the route calls: the stored figures, refreshed in the background), and, timed once, the
  background recomputation of that month (live query, suppression, storing every answer);
- intake: reports submitted one after the other (the unit of work's one-statement commit), on this database
  and on an empty migrated one: reports per second, p50/p99.

Needs PostgreSQL at 127.0.0.1:5432 (TANGGAP_BENCH_PG_DSN to change; TANGGAP_BENCH_DB names the database,
tanggap_volume by default). `--only national_month` (names separated by commas) measures only those.
Writes bench/results/volume-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from app import migrate
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.dispatch.lifecycle import OPEN_STATUSES
from app.models import Role
from app.schemas.reports import LocationIn, ReportCreate
from app.seed_volume import load
from app.services import events, incidents, intake, opendata
from app.services import statistics as stats_service
from app.services.access import Principal
from app.settings import Settings

ADMIN_DSN = os.environ.get("TANGGAP_BENCH_PG_DSN", "postgresql://root@127.0.0.1:5432/postgres")
DB = os.environ.get("TANGGAP_BENCH_DB", "tanggap_volume")
EMPTY_DB = "tanggap_volume_empty"
MEASURES = ("queue", "timeline", "statistics_year", "national_month", "intake")
ROOT = Path(__file__).resolve().parent.parent
SECRET = "v" * 40
# The baseline's region test: the kab/kota's code or a code below it, as an index range (what in_region says).
IN_KABKOTA = "(region_code = $1 OR (region_code ~>=~ ($1 || '.') AND region_code ~<~ ($1 || '/')))"


def url(db: str, driver: str = "postgresql+asyncpg") -> str:
    return ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql", driver, 1) + "/" + db


async def recreate(db: str) -> None:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{db}"')
    finally:
        await admin.close()
    await asyncio.to_thread(migrate.upgrade, url(db))


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def figures(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 2),
        "p99_ms": round(pct(values, 0.99), 2),
        "max_ms": round(max(values), 2),
    }


async def measure(samples: int, rng: random.Random, only: set[str]) -> dict[str, Any]:
    engine = make_engine(Settings(database_url=url(DB), secret_key=SECRET))
    maker = make_sessionmaker(engine)
    raw = await asyncpg.connect(url(DB, "postgresql"))
    now = datetime.now(UTC)
    try:
        sizes = {
            t: int(await raw.fetchval(f"SELECT count(*) FROM {t}"))  # noqa: S608 - fixed table names
            for t in ("incidents", "events", "reports", "offers")
        }
        weighted = [r["kab"] for r in await raw.fetch("SELECT left(region_code, 5) AS kab FROM teams")]
        by_load = await raw.fetch(
            "SELECT left(region_code, 5) AS kab, count(*) AS n FROM incidents "
            "WHERE first_received_at > $1 GROUP BY 1",
            now - timedelta(days=30),
        )
        kabs = [r["kab"] for r in by_load] or weighted
        loads = [r["n"] for r in by_load] or [1] * len(kabs)
        recent = [
            r["id"]
            for r in await raw.fetch(
                "SELECT id FROM incidents WHERE first_received_at > $1 ORDER BY random() LIMIT $2",
                now - timedelta(days=365),
                samples * 4,
            )
        ]
        open_statuses = [s.value for s in OPEN_STATUSES]
        out: dict[str, Any] = {"rows": sizes}

        async def pair(
            name: str,
            n: int,
            work: Callable[[Any, Any], Awaitable[Any]],
            base_sql: str,
            base_args: Callable[[Any], list[Any]],
            pick: Callable[[], Any] | None = None,
        ) -> None:
            if name not in only:
                return
            ours: list[float] = []
            base: list[float] = []
            async with maker() as session:
                for i in range(n + max(3, n // 10)):  # the first tenth warms plans and caches
                    key = pick() if pick else rng.choices(kabs, loads)[0]
                    t = time.perf_counter()
                    await work(session, key)
                    a = (time.perf_counter() - t) * 1000
                    t = time.perf_counter()
                    await raw.fetchval(base_sql, *base_args(key))
                    b = (time.perf_counter() - t) * 1000
                    if i >= max(3, n // 10):
                        ours.append(a)
                        base.append(b)
                await session.rollback()
            out[name] = {
                "tanggap": figures(ours),
                "count_baseline": figures(base),
                "p99_ratio": round(pct(ours, 0.99) / max(pct(base, 0.99), 1e-6), 2),
            }

        def supervisor(kab: str) -> Principal:
            return Principal(uuid.uuid4(), "bench.supervisor", Role.supervisor, kab)

        async def queue(session: Any, kab: str) -> Any:
            filters = incidents.IncidentFilters(status=tuple(OPEN_STATUSES))
            return await incidents.list_incidents(
                session, supervisor(kab), filters, order="priority", cursor=None, limit=50
            )

        await pair(
            "queue",
            samples,
            queue,
            f"SELECT count(*) FROM incidents WHERE {IN_KABKOTA} AND status = ANY($2)",  # noqa: S608
            lambda kab: [kab, open_statuses],
        )

        async def timeline(session: Any, incident_id: uuid.UUID) -> Any:
            return await events.timeline(session, incident_id)

        await pair(
            "timeline",
            samples,
            timeline,
            "SELECT count(*) FROM events WHERE incident_id = $1",
            lambda incident_id: [incident_id],
            pick=lambda: rng.choice(recent),
        )

        year_start, year_end = now - timedelta(days=365), now

        async def year(session: Any, kab: str) -> Any:
            where = stats_service.scope(
                supervisor(kab), region=kab, month=None, since=year_start, until=year_end
            )
            return await stats_service.four_ct_compliance(
                session, where, stats_service.Filters(), ["kecamatan"], "month"
            )

        await pair(
            "statistics_year",
            max(20, samples // 4),
            year,
            f"SELECT count(*) FROM incidents WHERE {IN_KABKOTA} "  # noqa: S608
            "AND first_received_at >= $2 AND first_received_at < $3",
            lambda kab: [kab, year_start, year_end],
        )

        last_month = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        month_start = datetime.strptime(last_month + "-01", "%Y-%m-%d").replace(tzinfo=UTC)
        if "national_month" in only:
            # One background recomputation of the month, timed (stored, as the refresh stores it).
            t = time.perf_counter()
            await opendata.refresh_month(maker, last_month, older_than=datetime.now(UTC), wait=True)
            out["national_month_recompute_ms"] = round((time.perf_counter() - t) * 1000, 1)

            async def national_month(_session: Any, _kab: str) -> Any:
                return await opendata.published(maker, last_month, opendata.INCIDENTS)

            await pair(
                "national_month",
                max(5, samples // 4),
                national_month,
                "SELECT count(*) FROM incidents WHERE first_received_at >= $1 AND first_received_at < $2",
                lambda _kab: [month_start - timedelta(hours=9), month_start + timedelta(days=31)],
            )
    finally:
        await raw.close()
        await engine.dispose()
    return out


async def intake_rate(db: str, n: int, rng: random.Random) -> dict[str, Any]:
    engine = make_engine(Settings(database_url=url(db), secret_key=SECRET))
    maker = make_sessionmaker(engine)
    raw = await asyncpg.connect(url(DB, "postgresql"))
    villages = [
        r["region_code"]
        for r in await raw.fetch(
            "SELECT DISTINCT region_code FROM (SELECT region_code FROM incidents LIMIT 20000) AS s LIMIT 500"
        )
    ]
    await raw.close()
    operator = Principal(uuid.uuid4(), f"bench.{uuid.uuid4().hex[:8]}", Role.admin, "")
    target = await asyncpg.connect(url(db, "postgresql"))
    await target.execute(
        "INSERT INTO users (id, username, full_name, role, region_code, is_active, created_at) "
        "VALUES ($1, $2, 'Bench', 'admin', '', true, now())",
        operator.user_id,
        operator.username,
    )
    await target.close()
    took: list[float] = []
    started = time.perf_counter()
    for i in range(n):
        body = ReportCreate(
            channel="call_center",
            location=LocationIn(region_code=rng.choice(villages)),
            category="ODGJ",
            description=f"ODGJ berjalan di tengah jalan, laporan uji {i}",
        )
        t = time.perf_counter()
        async with unit_of_work(maker) as session:
            await intake.submit(session, operator, body)
        took.append((time.perf_counter() - t) * 1000)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return {"reports_per_s": round(n / elapsed, 1), **figures(took)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", action="store_true", help="(re)build the database first")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--per-month", type=float, default=80)
    parser.add_argument("--regions", default="all", help="'all' or codes separated by commas")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--intake", type=int, default=300, help="reports per intake run")
    parser.add_argument("--only", default=",".join(MEASURES), help="what to measure, separated by commas")
    args = parser.parse_args()
    rng = random.Random(15)
    if args.build:
        await recreate(DB)
        scope = [] if args.regions == "all" else args.regions.split(",")
        t = time.perf_counter()
        counts = await load(url(DB), years=args.years, scope=scope, per_month=args.per_month, progress=print)
        print(f"built in {time.perf_counter() - t:.0f} s: {counts}")
    only = set(args.only.split(","))
    result = await measure(args.samples, rng, only)
    if "intake" in only:
        await recreate(EMPTY_DB)
        result["intake_empty"] = await intake_rate(EMPTY_DB, args.intake, rng)
        result["intake_volume"] = await intake_rate(DB, args.intake, rng)
        result["intake_ratio"] = round(
            result["intake_volume"]["reports_per_s"] / result["intake_empty"]["reports_per_s"], 3
        )
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    rows = result["rows"]
    print(f"rows: {', '.join(f'{n:,} {t}' for t, n in rows.items())}")
    for name in MEASURES[:-1]:
        if name not in result:
            continue
        f = result[name]
        ours, base = f["tanggap"], f["count_baseline"]
        print(
            f"{name:16} p50 {ours['p50_ms']:8.2f} ms  p99 {ours['p99_ms']:8.2f} ms   "
            f"count(*) p50 {base['p50_ms']:7.2f} ms  p99 {base['p99_ms']:7.2f} ms   p99 x{f['p99_ratio']}"
        )
    if "national_month_recompute_ms" in result:
        print(f"national month, one background recomputation: {result['national_month_recompute_ms']:.0f} ms")
    for name in ("intake_empty", "intake_volume") if "intake" in only else ():
        f = result[name]
        print(
            f"{name:16} {f['reports_per_s']:8.1f} reports/s  "
            f"p50 {f['p50_ms']:.2f} ms  p99 {f['p99_ms']:.2f} ms"
        )
    if "intake" in only:
        print(f"intake on the national database / on an empty one: x{result['intake_ratio']}")
    out = ROOT / "bench" / "results" / f"volume-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), **result}, indent=2, default=str))


if __name__ == "__main__":
    asyncio.run(main())
