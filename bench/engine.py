"""Assignment-engine benchmark (no database): one decision among 200 crews while 1,000 incidents wait, a
surge of 500 incidents assigned at once, and diversions of 1,000 waiting incidents over 200 crews all on their
way to other cases.

    python -m bench.engine

Positions are real: kelurahan centroids of Kota Batam from ../shared/data/wilayah-centroids.csv when present.
"""

from __future__ import annotations

import csv
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.dispatch.engine import (
    BODY_HANDLING,
    COUNSELLOR,
    FEMALE_OFFICER,
    MEDIC,
    SECURE_TRANSPORT,
    STRETCHER,
    CrewState,
    Job,
    Point,
    WaitingIncident,
    best_crew,
    decide,
    diversions,
)

CENTROIDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "wilayah-centroids.csv"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def places(rng: random.Random) -> list[tuple[str, Point]]:
    if CENTROIDS.exists():
        with CENTROIDS.open() as f:
            rows = [
                r for r in csv.DictReader(f) if r["code"].startswith("21.71.") and r["code"].count(".") == 3
            ]
        return [(r["code"], Point(float(r["lat"]), float(r["lon"]))) for r in rows]
    return [
        (f"21.71.01.{1000 + i}", Point(1.0 + rng.random() * 0.2, 103.9 + rng.random() * 0.2))
        for i in range(64)
    ]


def world(n_crews: int, n_incidents: int, seed: int = 1) -> tuple[list[CrewState], list[WaitingIncident]]:
    rng = random.Random(seed)
    spots = places(rng)
    skills = ["driver", MEDIC, COUNSELLOR, FEMALE_OFFICER, BODY_HANDLING]
    crews = [
        CrewState(
            id=f"crew{i}",
            status="available" if rng.random() < 0.8 else "on_scene",
            coverage=("21.71",),
            position=rng.choice(spots)[1],
            shift_ends_at=NOW + timedelta(minutes=rng.randint(5, 720)),
            skills=frozenset(rng.sample(skills, rng.randint(1, 3))),
            vehicle=frozenset(rng.sample([SECURE_TRANSPORT, STRETCHER], rng.randint(0, 2))),
            seats=rng.choice([3, 5, 7]),
        )
        for i in range(n_crews)
    ]
    flags = ["agitated", "injured", "child", "elderly", "deceased"]
    incidents = []
    for i in range(n_incidents):
        code, pos = rng.choice(spots)
        incidents.append(
            WaitingIncident(
                id=f"inc{i}",
                priority=rng.choice([1, 2, 2, 3, 3, 4]),
                category=rng.choice(["ODGJ", "GEL", "AJ", "LUT"]),
                waiting_since=NOW - timedelta(minutes=rng.randint(0, 60)),
                region_code=code,
                location=pos,
                flags=frozenset(rng.sample(flags, rng.choice([0, 0, 1, 1, 2]))),
                subject_sex=rng.choice(["male", "female", "unknown"]),
            )
        )
    return crews, incidents


def main() -> None:
    crews, incidents = world(200, 1000)
    single = []
    for inc in incidents:
        t = time.perf_counter()
        best_crew(inc, crews, NOW)
        single.append((time.perf_counter() - t) * 1000)
    single.sort()
    print(
        f"single decision, 200 crews: p50 {statistics.median(single):.2f} ms  "
        f"p99 {single[int(len(single) * 0.99)]:.2f} ms  max {single[-1]:.2f} ms  ({len(single)} incidents)"
    )
    for n in (500, 1000):
        t = time.perf_counter()
        decisions = decide(incidents[:n], crews, NOW)
        took = time.perf_counter() - t
        assigned = sum(1 for d in decisions if d.crew_id)
        print(
            f"surge of {n} incidents x 200 crews: {took * 1000:.0f} ms in all, {assigned} assigned "
            f"({sum(1 for c in crews if c.available)} crews available)"
        )

    # Every crew on its way to a case (some already lost), every incident waiting for capacity.
    rng = random.Random(3)
    busy = [replace(c, status="en_route", busy_with=f"job{n}") for n, c in enumerate(crews)]
    jobs = {
        c.id: Job(
            c.id,
            f"job{n}",
            rng.choice([1, 2, 3, 4]),
            "en_route",
            NOW + timedelta(minutes=rng.randint(-30, 120)),
            rng.choice(incidents).location,
        )
        for n, c in enumerate(busy)
    }
    waiting = [replace(i, arrive_by=NOW + timedelta(minutes=rng.randint(5, 90))) for i in incidents]
    t = time.perf_counter()
    plan = diversions(waiting, busy, jobs, NOW)
    took = time.perf_counter() - t
    print(f"diversions, 1000 waiting x 200 busy crews: {took * 1000:.0f} ms, {len(plan)} diverted")


if __name__ == "__main__":
    main()
