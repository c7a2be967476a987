"""The events archive on a national-volume database: how long `tanggap archive events` takes, and an
incident's timeline before and after it, on the same incidents, in the same run.

    TANGGAP_BENCH_DB=tanggap_volume_a5 python -m bench.volume --build --years 1 --only timeline   # build
    TANGGAP_BENCH_DB=tanggap_volume_a5 python -m bench.archive [--months 6] [--samples 300]

It changes the database (it archives): TANGGAP_BENCH_DB must name it, and not the shared `tanggap_volume`
(pass --force for that). A seeded database's log readers never ran, so their cursors are first moved to the
newest event (as on a live install, where they follow the log within seconds).

The timeline is `app.services.events.timeline` (what GET /incidents/{id} calls), on random incidents of the
last year (about half of them end up archived), against a baseline of `SELECT count(*)` of the incident's
events in both tables, measured in the same run. Writes bench/results/archive-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from app.db import make_engine, make_sessionmaker
from app.services import archive, events
from app.settings import Settings
from bench.volume import ROOT, SECRET, figures, pct, url

BASELINE = (
    "SELECT (SELECT count(*) FROM events WHERE incident_id = $1)"
    " + (SELECT count(*) FROM events_archive WHERE incident_id = $1)"
)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def timelines(db: str, ids: list[uuid.UUID]) -> dict[str, Any]:
    engine = make_engine(Settings(database_url=url(db), secret_key=SECRET))
    maker = make_sessionmaker(engine)
    raw = await asyncpg.connect(url(db, "postgresql"))
    ours: list[float] = []
    base: list[float] = []
    lengths: list[int] = []
    warm = max(3, len(ids) // 10)
    try:
        async with maker() as session:
            for i, incident_id in enumerate(ids[:warm] + ids):  # the first tenth warms plans and caches
                t = time.perf_counter()
                got = await events.timeline(session, incident_id)
                a = (time.perf_counter() - t) * 1000
                t = time.perf_counter()
                await raw.fetchval(BASELINE, incident_id)
                b = (time.perf_counter() - t) * 1000
                if i >= warm:
                    ours.append(a)
                    base.append(b)
                    lengths.append(len(got))
                session.expunge_all()
            await session.rollback()
    finally:
        await raw.close()
        await engine.dispose()
    return {
        "tanggap": figures(ours),
        "count_baseline": figures(base),
        "p99_ratio": round(pct(ours, 0.99) / max(pct(base, 0.99), 1e-6), 2),
        "events_read": sum(lengths),
        "load": load(),
    }


async def sizes(raw: asyncpg.Connection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for table in ("events", "events_archive"):
        out[table] = {
            "rows": int(await raw.fetchval(f"SELECT count(*) FROM {table}")),  # noqa: S608 - fixed names
            "mb": round(int(await raw.fetchval("SELECT pg_total_relation_size($1)", table)) / 2**20, 1),
        }
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--months", type=int, default=6, help="archive incidents ended this many months ago")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--batch", type=int, default=archive.BATCH)
    parser.add_argument("--force", action="store_true", help="allow the shared tanggap_volume database")
    args = parser.parse_args()
    db = os.environ.get("TANGGAP_BENCH_DB", "")
    if not db or (db == "tanggap_volume" and not args.force):
        sys.exit("set TANGGAP_BENCH_DB to a database of your own (this archives its events)")
    now = datetime.now(UTC)
    raw = await asyncpg.connect(url(db, "postgresql"))
    try:
        rng = random.Random(15)
        ids = [
            r["id"]
            for r in await raw.fetch(
                "SELECT id FROM incidents WHERE first_received_at > $1 ORDER BY id",
                now - timedelta(days=365),
            )
        ]
        sample = rng.sample(ids, min(args.samples, len(ids)))
        await raw.execute("UPDATE outbox_cursor SET seq = greatest(seq, (SELECT max(seq) FROM events))")
        result: dict[str, Any] = {"database": db, "before_sizes": await sizes(raw)}
        print(f"before: {result['before_sizes']}  load {load()}", flush=True)
        result["timeline_before"] = await timelines(db, sample)
        cut = archive.cut_off(f"{args.months}m", now)
        engine = make_engine(Settings(database_url=url(db), secret_key=SECRET))
        load_before = load()
        t = time.perf_counter()
        try:
            done = await archive.run(
                make_sessionmaker(engine), cut, now, batch=args.batch, by="bench.archive"
            )
        finally:
            await engine.dispose()
        took = time.perf_counter() - t
        result["archive"] = {
            **done.as_data(),
            "seconds": round(took, 1),
            "events_per_s": round(done.events / took, 0) if took else None,
            "load_before": load_before,
            "load_after": load(),
        }
        await raw.execute("VACUUM ANALYZE events")
        await raw.execute("ANALYZE events_archive")
        result["after_sizes"] = await sizes(raw)
        archived = {
            r["incident_id"]
            for r in await raw.fetch(
                "SELECT DISTINCT incident_id FROM events_archive WHERE incident_id = ANY($1)", sample
            )
        }
        result["sample"] = {"incidents": len(sample), "archived": len(archived)}
        result["timeline_after"] = await timelines(db, sample)
        result["timeline_after_archived_only"] = await timelines(db, [i for i in sample if i in archived])
    finally:
        await raw.close()
    a = result["archive"]
    print(
        f"archive: {a['events']:,} events of {a['incidents']:,} incidents in {a['seconds']} s "
        f"({a['events_per_s']}/s), {a['batches']} batches of {args.batch}; load {a['load_before']} -> "
        f"{a['load_after']}"
    )
    print(f"after: {result['after_sizes']}")
    for name in ("timeline_before", "timeline_after", "timeline_after_archived_only"):
        f = result[name]
        ours, base = f["tanggap"], f["count_baseline"]
        print(
            f"{name:30} p50 {ours['p50_ms']:7.2f} ms  p99 {ours['p99_ms']:7.2f} ms   count(*) p50 "
            f"{base['p50_ms']:6.2f} ms  p99 {base['p99_ms']:6.2f} ms   p99 x{f['p99_ratio']}  "
            f"load {f['load']}"
        )
    out = ROOT / "bench" / "results" / f"archive-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), **result}, indent=2, default=str))


if __name__ == "__main__":
    asyncio.run(main())
