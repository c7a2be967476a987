"""Open data of a month, computed whole (every kab/kota and kecamatan, suppression included) on
PostgreSQL: `.venv/bin/python -m bench.opendata [--incidents N] [--regencies K]`. A fresh database
`tanggap_bench_opendata` gets N incidents of one month spread over K kab/kota (random kecamatan and
category, mostly real cases); the
figure is the time of `services.opendata.compute` (uncached: what the first request of a month pays; later
ones within open_data_cache_seconds are served from the worker's cache) against a plain `SELECT count(*)`
over the same rows, p50 of 5 runs each."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics as stats
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import func, select

from app import migrate
from app.db import make_engine, make_sessionmaker
from app.models import Incident
from app.reference import regions
from app.services import opendata, timers
from app.settings import Settings

DB = "tanggap_bench_opendata"
ADMIN = "postgresql://root@127.0.0.1:5432/postgres"
URL = f"postgresql+asyncpg://root@127.0.0.1:5432/{DB}"
CATEGORIES = ["ODGJ", "GEL", "PENG", "LUT", "AJ", "AT", "KTK", "OT", "PASUNG", "ABT"]
STATUSES = ["closed"] * 6 + ["resolved", "handling", "verified", "received", "rejected", "cancelled"]


async def main(n: int, k: int) -> None:
    conn = await asyncpg.connect(ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    await asyncio.to_thread(migrate.upgrade, URL)
    regencies = (regions.children("35") + regions.children("52") + regions.children("64"))[:k]
    kecamatan = {r.code: [c.code for c in regions.children(r.code)] for r in regencies}
    rng = random.Random(7)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    rows = []
    for _ in range(n):
        kab = rng.choice(regencies).code
        at = start + timedelta(seconds=rng.randrange(30 * 86400))
        rows.append(
            (uuid.uuid4(), rng.choice(STATUSES), rng.choice(CATEGORIES), rng.randint(1, 4),
             rng.choice(kecamatan[kab] or [kab]), at, at, at, "rules", "[]", 1, "[]", 1)
        )  # fmt: skip
    conn = await asyncpg.connect(ADMIN.rsplit("/", 1)[0] + f"/{DB}")
    await conn.copy_records_to_table(
        "incidents",
        records=rows,
        columns=["id", "status", "category", "priority", "region_code", "first_received_at", "created_at",
                 "updated_at", "priority_source", "priority_reasons", "subject_count", "subject_flags",
                 "report_count"],
    )  # fmt: skip
    await conn.execute("ANALYZE incidents")
    await conn.close()
    engine = make_engine(Settings(database_url=URL))
    maker = make_sessionmaker(engine)
    async with maker() as session:
        await timers.load_targets(session)
    compute, plain = [], []
    for _ in range(5):
        async with maker() as session:
            t = time.perf_counter()
            figures = await opendata.compute(session, "2026-10")
            compute.append(time.perf_counter() - t)
            t = time.perf_counter()
            since, until = datetime(2026, 9, 30, 15, tzinfo=UTC), datetime(2026, 10, 31, 17, tzinfo=UTC)
            q = select(func.count()).where(
                Incident.first_received_at >= since, Incident.first_received_at < until
            )
            (await session.execute(q)).scalar_one()
            plain.append(time.perf_counter() - t)
    await engine.dispose()
    hidden = sum(v is None for row in figures.national.cells for v in row)
    print(
        f"incidents={n} kab/kota={len(regencies)} national rows={len(figures.national.row_keys)} "
        f"hidden national cells={hidden}\n"
        f"open data month compute p50={stats.median(compute) * 1000:.0f} ms "
        f"max={max(compute) * 1000:.0f} ms; plain count(*) p50={stats.median(plain) * 1000:.1f} ms; "
        f"ratio={stats.median(compute) / stats.median(plain):.0f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=20000)
    parser.add_argument("--regencies", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(main(args.incidents, args.regencies))
