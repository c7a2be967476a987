"""Match-proposal benchmark: 100,000 persons in PostgreSQL (five demo kab/kota, 20,000 each), and for 1,000
reports about them (spelled otherwise, a nickname or a first name only, some with the NIK, some about nobody
known) the proposals an operator of Kota Batam gets: candidates through the indexes (NIK, name keys, the
kelurahan last seen), scored in Python; and the same report as it arrives (what the event log's reader runs
after intake's commit, `proposals.propose_for`, its rows not written). Beside it, in the same run and the
same session, a plain indexed lookup of a person by NIK.

    python -m bench.persons [--persons 100000] [--reports 1000]

Needs PostgreSQL at 127.0.0.1:5432 (TANGGAP_BENCH_PG_DSN to change). Writes bench/results/persons-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import select

from app import migrate
from app.db import PENDING_EVENTS, make_engine, make_sessionmaker
from app.models import Incident, Person, Report, Role
from app.persons import match, names
from app.reference import regions
from app.services.access import Principal
from app.services.persons import links, proposals
from app.settings import Settings
from tests.persons.data.make_records import FAMILY, FEMALE, MALE, nik_for, respell

ADMIN_DSN = os.environ.get("TANGGAP_BENCH_PG_DSN", "postgresql://root@127.0.0.1:5432/postgres")
DB = "tanggap_bench_persons"
ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 29)
# Name parts put together, so that 100,000 people do not share a few dozen names.
HEADS = [
    "Su",
    "Har",
    "Wi",
    "Bud",
    "Dar",
    "Yu",
    "Nur",
    "Ra",
    "Sa",
    "Pur",
    "Kus",
    "Jo",
    "Her",
    "Mar",
    "Sut",
    "Tri",
]
TAILS = [
    "yanto",
    "yadi",
    "wati",
    "ningsih",
    "tono",
    "man",
    "mini",
    "jono",
    "di",
    "yati",
    "tini",
    "wan",
    "rto",
]


def db_dsn() -> str:
    return ADMIN_DSN.rsplit("/", 1)[0] + f"/{DB}"


def db_url() -> str:
    return db_dsn().replace("postgresql://", "postgresql+asyncpg://")


def person_rows(n: int, rng: random.Random) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
    cities = list(regions.DEMO_REGENCIES)
    villages = {c: [v.code for k in regions.children(c) for v in regions.children(k.code)] for c in cities}
    made = []
    info = []
    for i in range(n):
        city = cities[i % len(cities)]
        sex = rng.choice(["male", "female"])
        if rng.random() < 0.5:
            pool = MALE if sex == "male" else FEMALE
            first, nicks = pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1)]
        else:
            first, nicks = rng.choice(HEADS) + rng.choice(TAILS), []
        family = (
            rng.choice(FAMILY + [h + t for h in HEADS[:8] for t in TAILS[:6]]) if rng.random() < 0.7 else None
        )
        name = f"{first} {family}" if family else first
        aliases = nicks[:1] if nicks and rng.random() < 0.3 else []
        age = rng.randint(5, 85)
        born = date(TODAY.year - age, rng.randint(1, 12), rng.randint(1, 28))
        home = rng.choice(villages[city])
        nik = nik_for(home, born, sex, rng) if rng.random() < 0.5 else None
        seen = rng.choice(villages[city]) if rng.random() < 0.7 else None
        pid = uuid.uuid4()
        now = datetime.now(UTC)
        made.append(
            (
                pid,
                city,
                name,
                json.dumps(aliases),
                born if nik else None,
                "day" if nik else None,
                born.year - (0 if nik else 3),
                born.year + (0 if nik else 3),
                sex,
                nik,
                home,
                seen,
                now if seen else None,
                now,
                now,
                "[]",
                "[]",
            )
        )
        info.append(
            {
                "id": pid,
                "city": city,
                "name": name,
                "aliases": aliases,
                "nik": nik,
                "sex": sex,
                "age": age,
                "seen": seen or home,
            }
        )
    return made, info


COLUMNS = [
    "id",
    "region_code",
    "name",
    "aliases",
    "birth_date",
    "birth_precision",
    "birth_year_min",
    "birth_year_max",
    "sex",
    "nik",
    "home_region_code",
    "last_seen_region_code",
    "last_seen_at",
    "created_at",
    "updated_at",
    "family_contacts",
    "vulnerabilities",
]


async def fill(n: int, rng: random.Random) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(ADMIN_DSN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    await asyncio.to_thread(migrate.upgrade, db_url())
    rows, info = person_rows(n, rng)
    fit = {row[0]: (row[8], row[6], row[7]) for row in rows}  # sex, birth years: copied beside each key
    keys = [
        (k, r["city"], r["id"], *fit[r["id"]])
        for r in info
        for k in sorted(names.keys([r["name"], *r["aliases"]]))
    ]
    conn = await asyncpg.connect(db_dsn())
    started = time.perf_counter()
    await conn.copy_records_to_table("persons", records=rows, columns=COLUMNS)
    await conn.copy_records_to_table(
        "person_keys",
        records=keys,
        columns=["key", "region_code", "person_id", "sex", "birth_year_min", "birth_year_max"],
    )
    print(f"{n:,} persons and {len(keys):,} name keys copied in {time.perf_counter() - started:.1f} s")
    # As autovacuum leaves a table in production: statistics, and a visibility map (index-only scans).
    await conn.execute("VACUUM ANALYZE persons")
    await conn.execute("VACUUM ANALYZE person_keys")
    # A register in use is in memory: read both tables and their indexes once before measuring.
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for rel in (
            "persons",
            "person_keys",
            "pk_person_keys",
            "ix_person_keys_match",
            "ix_persons_nik",
            "ix_persons_last_seen",
        ):
            await conn.execute("SELECT pg_prewarm($1)", rel)
    except asyncpg.PostgresError:
        await conn.execute("SELECT count(*) FROM persons")
    await conn.close()
    return info


def reports(
    info: list[dict[str, Any]], k: int, rng: random.Random
) -> list[tuple[match.Seen, uuid.UUID | None]]:
    """Reports seen by Batam's operator: about a known person of Batam (spelled otherwise, by nickname or
    first name, sometimes with the NIK), or about someone new."""
    batam = [p for p in info if p["city"] == "21.71"]
    out = []
    for _ in range(k):
        p = rng.choice(batam)
        style = rng.random()
        name = p["name"] if style < 0.3 else respell(p["name"], rng) if style < 0.6 else p["name"].split()[0]
        truth = p["id"]
        if style > 0.9:
            truth = None
            name = rng.choice(HEADS) + rng.choice(TAILS) + " " + rng.choice(FAMILY)  # someone new
        lo, hi = match.birth_years(p["age"] + rng.randint(-3, 3), TODAY)
        seen = match.Seen(
            names=(name,),
            nik=p["nik"] if rng.random() < 0.3 else None,
            sex=p["sex"],
            birth_year_min=lo,
            birth_year_max=hi,
            region_code=p["seen"],
            description="kaos merah, rambut gimbal",
        )
        out.append((match.with_nik(seen, TODAY), truth))
    return out


def _arrival(seen: match.Seen) -> tuple[Report, Incident]:
    """A report saying what `seen` says, and its new incident (neither written)."""
    lo, hi = seen.birth_year_min, seen.birth_year_max
    age = TODAY.year - (lo + hi) // 2 if lo is not None and hi is not None else None
    incident = Incident(id=uuid.uuid4(), region_code=seen.region_code)
    report = Report(
        id=uuid.uuid4(),
        incident_id=incident.id,
        received_at=datetime.now(UTC),
        region_code=seen.region_code,
        subject_name=seen.names[0] if seen.names else None,
        subject_nik=seen.nik,
        subject_sex=seen.sex,
        subject_age=age,
        subject_count=1,
        description=seen.description or "",
    )
    return report, incident


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


async def measure(info: list[dict[str, Any]], k: int, rng: random.Random) -> dict[str, Any]:
    engine = make_engine(Settings(database_url=db_url(), secret_key="b" * 40))
    maker = make_sessionmaker(engine)
    principal = Principal(uuid.uuid4(), "bench.operator", Role.operator, "21.71")
    queries = reports(info, k, rng)
    niks = [p["nik"] for p in info if p["nik"] and p["city"] == "21.71"]
    propose_ms: list[float] = []
    nik_ms: list[float] = []
    arrival_ms: list[float] = []
    checked: list[int] = []
    proposed: list[int] = []
    found_known = known = 0
    async with maker() as session:
        for seen, _ in queries[:50]:  # warm-up: plans, caches, the first connection
            await links.candidates(session, principal.region_code, seen)
        for seen, truth in queries:
            t = time.perf_counter()
            found = await links.candidates(session, principal.region_code, seen)
            best = links.rank(seen, found, skip=set())
            propose_ms.append((time.perf_counter() - t) * 1000)
            if truth is not None:
                known += 1
                found_known += any(c.id == truth for c, _ in best)
            checked.append(len(found))
            proposed.append(len(best))
            # The same report as it arrives (app/services/persons/proposals.py: what the log's reader
            # runs after intake's commit): candidates, scoring, the incident's links, the rows to write.
            report, incident = _arrival(seen)
            t = time.perf_counter()
            made = await proposals.propose_for(session, report, incident)
            arrival_ms.append((time.perf_counter() - t) * 1000)
            for row in made:  # measured, not written
                session.expunge(row)
            session.info.pop(PENDING_EVENTS, None)
            nik = rng.choice(niks)
            t = time.perf_counter()
            (
                await session.scalars(select(Person).where(Person.nik == nik, Person.region_code == "21.71"))
            ).all()
            nik_ms.append((time.perf_counter() - t) * 1000)
        await session.rollback()
    await engine.dispose()

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "p50_ms": round(statistics.median(values), 2),
            "p99_ms": round(pct(values, 0.99), 2),
            "max_ms": round(max(values), 2),
        }

    return {
        "proposals": stats(propose_ms),
        "on_arrival": stats(arrival_ms),
        "nik_lookup": stats(nik_ms),
        "candidates_mean": round(statistics.mean(checked), 1),
        "candidates_max": max(checked),
        "proposed_mean": round(statistics.mean(proposed), 2),
        # Reports about a known person whose record was among the proposals (namesakes are many here).
        "known_person_proposed": round(found_known / max(known, 1), 3),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(14)
    info = await fill(args.persons, rng)
    result = await measure(info, args.reports, rng)
    p, n = result["proposals"], result["nik_lookup"]
    print(f"match proposals per report ({args.reports} reports, {args.persons:,} persons):")
    print(f"  proposals   p50 {p['p50_ms']:7.2f} ms   p99 {p['p99_ms']:7.2f} ms   max {p['max_ms']:7.2f} ms")
    a = result["on_arrival"]
    print(f"  on arrival  p50 {a['p50_ms']:7.2f} ms   p99 {a['p99_ms']:7.2f} ms   max {a['max_ms']:7.2f} ms")
    print(f"  NIK lookup  p50 {n['p50_ms']:7.2f} ms   p99 {n['p99_ms']:7.2f} ms   max {n['max_ms']:7.2f} ms")
    print(
        f"  candidates scored per report: mean {result['candidates_mean']}, max {result['candidates_max']};"
        f" proposals shown: mean {result['proposed_mean']};"
        f" the person reported was among them: {100 * result['known_person_proposed']:.1f} %"
    )
    out = ROOT / "bench" / "results" / f"persons-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"persons": args.persons, "reports": args.reports, **result}, indent=2))
    conn = await asyncpg.connect(ADMIN_DSN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
