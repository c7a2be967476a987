"""Dispatch benchmark, on PostgreSQL with 2 uvicorn workers, through the API and the live stream.

1. Latency: from `POST /incidents/{id}/verify` to its `offer.made` arriving on a supervisor's live stream
   (the round runs after the verify's commit, in a dispatcher, batched over 250 ms), with 100 crews on duty,
   one verification at a time and 8 at once.
2. Surges: K incidents verified in the same second with K crews free at random places in Batam: the total
   travel of the offers made, against the optimal assignment (scipy) of the same incidents to the same crews.
   The dispatch of session 5 offered them one by one in lock order: 1.07-1.11x the optimum.

    python -m bench.dispatch [--incidents 100] [--surges 10] [--surge-size 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import websockets
from scipy.optimize import linear_sum_assignment
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app import security
from app.db import make_sessionmaker, unit_of_work
from app.dispatch import engine
from app.models import Role
from app.schemas.crews import CrewCreate, PersonnelCreate, VehicleCreate
from app.services import crews, users
from app.services.access import Principal
from app.settings import Settings
from bench.engine import places
from bench.intake import REPORT, SECRET, Server, db_url, prepare_database


def _mainland(rng: random.Random) -> list[engine.Point]:
    """Kelurahan of Batam's main islands: the far southern islands are over the engine's 150-minute travel
    limit by road, so a crew placed there is (rightly) never offered a case in the city."""
    return [p for _, p in places(rng) if p.lat > 0.95]


async def add_crews(positions: list[engine.Point]) -> str:
    """Crews on duty in Kota Batam at these places; returns a supervisor's token for the live stream."""
    db = create_async_engine(db_url())
    now = datetime.now(UTC)
    async with unit_of_work(make_sessionmaker(db)) as session:
        admin = await users.create_user(
            session, username="bench.admin", role=Role.admin, region_code="", password=None
        )
        sup = await users.create_user(
            session, username="bench.supervisor", role=Role.supervisor, region_code="21.71", password=None
        )
        boss = Principal(admin.id, admin.username, Role.admin, "")
        team = await crews.create_team(session, boss, "TRC Bench", "21.71")
        for i, at in enumerate(positions):
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
            crew.last_lat, crew.last_lon, crew.on_duty_at = at.lat, at.lon, now
    await db.dispose()
    settings = Settings(database_url=db_url(), secret_key=SECRET)
    token, _ = security.create_access_token(
        settings, security.TokenClaims(sup.id, sup.username, Role.supervisor, "21.71")
    )
    return token


async def _crew_places() -> dict[str, engine.Point]:
    db = create_async_engine(db_url())
    async with db.connect() as conn:
        rows = (await conn.execute(text("SELECT id, last_lat, last_lon FROM crews"))).all()
    await db.dispose()
    return {str(r.id): engine.Point(r.last_lat, r.last_lon) for r in rows}


class Stream:
    """The supervisor's live stream: when each incident's first offer arrived."""

    def __init__(self, port: int, token: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/api/v1/ws?topic=region:21.71&batch=true"
        self.token = token
        # incident -> (when its first offer arrived, the offer's data, the crew offered)
        self.offers: dict[str, tuple[float, dict[str, Any], str]] = {}
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self.arrived = asyncio.Event()

    async def run(self) -> None:
        async with websockets.connect(
            self.url, additional_headers={"Authorization": f"Bearer {self.token}"}
        ) as ws:
            self.ready.set()
            async for frame in ws:
                at = time.perf_counter()
                for line in str(frame).splitlines():
                    message = json.loads(line)
                    if message.get("type") == "offer.made" and message["incident_id"] not in self.offers:
                        self.offers[message["incident_id"]] = (at, message["data"], message["crew_id"])
                        self.arrived.set()

    async def __aenter__(self) -> Stream:
        self.task = asyncio.create_task(self.run())
        await asyncio.wait_for(self.ready.wait(), 10)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def wait_for(self, ids: list[str], within: float = 30.0) -> None:
        async def all_there() -> None:
            while not all(i in self.offers for i in ids):
                self.arrived.clear()
                await self.arrived.wait()

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_there(), within)


async def _report(http: httpx.AsyncClient, auth: dict[str, str], at: engine.Point | None = None) -> str:
    body: dict[str, Any] = {
        **REPORT,
        "category": "GEL",
        "description": "gelandangan tidur di emperan toko",
        "subject": {"flags": []},
    }
    if at is not None:
        body["location"] = {**body["location"], "lat": round(at.lat, 6), "lon": round(at.lon, 6)}
    r = await http.post("/api/v1/reports", json=body, headers=auth)
    assert r.status_code == 201, r.text
    return str(r.json()["incident_id"])


async def _verify(
    http: httpx.AsyncClient,
    auth: dict[str, str],
    stream: Stream,
    iid: str,
    gate: asyncio.Semaphore,
    sent: dict[str, float],
    one_by_one: bool,
) -> None:
    async with gate:
        sent[iid] = time.perf_counter()
        r = await http.post(f"/api/v1/incidents/{iid}/verify", json={}, headers=auth)
        assert r.status_code == 200, r.text
        # One at a time: the next verification waits for this one's offer.
        if one_by_one:
            await stream.wait_for([iid])


async def latency(n: int, concurrencies: list[int]) -> None:
    rng = random.Random(3)
    spots = _mainland(rng)
    for concurrency in concurrencies:
        token = await prepare_database()
        sup = await add_crews([rng.choice(spots) for _ in range(100)])
        auth = {"Authorization": f"Bearer {token}"}
        server = Server("app.main:create_app", 2, ws_deflate=False)
        try:
            async with (
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as http,
                Stream(server.port, sup) as stream,
            ):
                ids = [await _report(http, auth) for _ in range(n)]
                sent: dict[str, float] = {}
                gate = asyncio.Semaphore(concurrency)
                await asyncio.gather(
                    *[_verify(http, auth, stream, iid, gate, sent, concurrency == 1) for iid in ids]
                )
                await stream.wait_for(ids)
                ms = sorted((stream.offers[i][0] - sent[i]) * 1000 for i in ids if i in stream.offers)
                print(
                    f"verify -> offer.made on the live stream, concurrency {concurrency}: "
                    f"p50 {statistics.median(ms):.0f} ms  p99 {ms[max(int(len(ms) * 0.99) - 1, 0)]:.0f} ms  "
                    f"max {ms[-1]:.0f} ms  ({len(ms)}/{n} offered)"
                )
        finally:
            server.stop()


async def surges(rounds: int, size: int) -> None:
    rng = random.Random(11)
    spots = _mainland(rng)
    ratios = []
    for k in range(rounds):
        token = await prepare_database()
        crews_at = [rng.choice(spots) for _ in range(size)]
        sup = await add_crews(crews_at)
        auth = {"Authorization": f"Bearer {token}"}
        server = Server("app.main:create_app", 2, ws_deflate=False)
        try:
            async with (
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as http,
                Stream(server.port, sup) as stream,
            ):
                incidents_at = [rng.choice(spots) for _ in range(size)]
                ids = [await _report(http, auth, at) for at in incidents_at]
                await asyncio.gather(
                    *[http.post(f"/api/v1/incidents/{i}/verify", json={}, headers=auth) for i in ids]
                )
                await stream.wait_for(ids)
                # The crews were formed in the order of their places (add_crews), and named so.
                where = await _crew_places()
                made = 0.0
                for iid, at in zip(ids, incidents_at, strict=True):
                    if iid in stream.offers:
                        made += engine.haversine_km(at, where[stream.offers[iid][2]]) * 1.4 / 30 * 60
                travel = np.array(
                    [[engine.haversine_km(i, c) * 1.4 / 30 * 60 for c in crews_at] for i in incidents_at]
                )
                rows, cols = linear_sum_assignment(travel)
                best = float(travel[rows, cols].sum())
                ratios.append(made / best if best else 1.0)
                print(
                    f"surge {k + 1}: {size} incidents, offered {made:.1f} min of travel, optimum {best:.1f}"
                )
        finally:
            server.stop()
    print(
        f"surges of {size} verified at once, {rounds} runs: total travel / optimum "
        f"mean x{statistics.fmean(ratios):.3f}  max x{max(ratios):.3f}  (session 5: x1.07-1.11)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--surges", type=int, default=10)
    parser.add_argument("--surge-size", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(latency(args.incidents, args.concurrency))
    asyncio.run(surges(args.surges, args.surge_size))


if __name__ == "__main__":
    main()
