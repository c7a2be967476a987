"""End-to-end dispatch benchmark: from `POST /incidents/{id}/verify` to the offer stored (it is stored in the
verify's own transaction), on PostgreSQL with 2 uvicorn workers, 100 crews on duty in Kota Batam.

    python -m bench.dispatch [--incidents 200] [--concurrency 1 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import make_sessionmaker, unit_of_work
from app.models import Role
from app.schemas.crews import CrewCreate, PersonnelCreate, VehicleCreate
from app.services import crews, users
from app.services.access import Principal
from bench.intake import REPORT, Server, db_url, prepare_database


async def add_crews(n: int) -> None:
    engine = create_async_engine(db_url())
    now = datetime.now(UTC)
    async with unit_of_work(make_sessionmaker(engine)) as session:
        admin = await users.create_user(
            session, username="bench.admin", role=Role.admin, region_code="", password=None
        )
        boss = Principal(admin.id, admin.username, Role.admin, "")
        team = await crews.create_team(session, boss, "TRC Bench", "21.71")
        for i in range(n):
            van = await crews.add_vehicle(
                session,
                boss,
                team.id,
                VehicleCreate(name=f"URC {i}", seats=6, capabilities=["secure_transport", "stretcher"]),
            )
            person = await crews.add_personnel(
                session, boss, team.id, PersonnelCreate(name=f"Petugas {i}", skills=["driver", "medic"])
            )
            crew = await crews.form_crew(
                session,
                boss,
                team.id,
                CrewCreate(
                    name=f"Regu {i}",
                    shift_starts_at=now - timedelta(hours=1),
                    shift_ends_at=now + timedelta(hours=7),
                    member_ids=[person.id],
                    vehicle_id=van.id,
                ),
            )
            crew.last_lat, crew.last_lon = 1.10 + (i % 10) * 0.01, 103.95 + (i // 10) * 0.01
    await engine.dispose()


async def run(n_incidents: int, concurrencies: list[int]) -> None:
    for concurrency in concurrencies:
        await run_one(n_incidents, concurrency)


async def run_one(n_incidents: int, concurrency: int) -> None:
    """A fresh database with 100 crews on duty, so that every verification can get an offer."""
    token = await prepare_database()
    await add_crews(100)
    auth = {"Authorization": f"Bearer {token}"}
    server = Server("app.main:create_app", 2, ws_deflate=False)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as http:
            ids = []
            for _ in range(n_incidents):
                r = await http.post("/api/v1/reports", json=REPORT, headers=auth)
                ids.append(r.json()["incident_id"])
            latencies: list[float] = []
            gate = asyncio.Semaphore(concurrency)

            async def verify(
                iid: str, gate: asyncio.Semaphore = gate, latencies: list[float] = latencies
            ) -> None:
                async with gate:
                    t = time.perf_counter()
                    r = await http.post(f"/api/v1/incidents/{iid}/verify", json={}, headers=auth)
                    latencies.append(time.perf_counter() - t)
                    assert r.status_code == 200, r.text

            t0 = time.perf_counter()
            await asyncio.gather(*[verify(i) for i in ids])
            took = time.perf_counter() - t0
            ms = sorted(x * 1000 for x in latencies)
            offered = 0
            for iid in ids[:20]:
                detail = (await http.get(f"/api/v1/incidents/{iid}", headers=auth)).json()
                offered += any(e["type"] == "offer.made" for e in detail["timeline"])
            print(
                f"verify -> offer stored, concurrency {concurrency}: p50 {statistics.median(ms):.1f} ms  "
                f"p99 {ms[int(len(ms) * 0.99) - 1]:.1f} ms  max {ms[-1]:.1f} ms  "
                f"({n_incidents / took:.0f} verifications/s; {offered}/20 sampled got an offer)"
            )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    asyncio.run(run(args.incidents, args.concurrency))


if __name__ == "__main__":
    main()
