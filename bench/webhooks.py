"""Webhook benchmark: PostgreSQL, `tanggap` under uvicorn with 2 workers, a receiver on 127.0.0.1.

1. Latency: incidents verified one after the other; from the start of `POST /incidents/{id}/verify` to the
   arrival of its signed `referral.created` at the receiver (p50/p99/max).
2. Throughput: a backlog of deliveries (incidents verified while the endpoints are disabled, each event
   fanned out to every endpoint), then the endpoints enabled: deliveries per second until all arrived.
Baseline in the same run: the same receiver fed by a plain httpx client, signing the same bodies, one
request at a time per endpoint (as ordered delivery allows), as many endpoints at once.

    python -m bench.webhooks [--incidents 100] [--backlog 200] [--endpoints 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import httpx
import uvicorn
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import sealing
from app.db import make_sessionmaker, unit_of_work
from app.models import Role
from app.schemas.agencies import AgencyIn, EndpointIn, RuleIn
from app.services import agencies, users
from app.services.access import Principal
from app.services.webhooks import endpoints
from app.settings import Settings
from bench.intake import ADMIN_DSN, DB, REPORT, SECRET, Server, db_url, free_port, prepare_database

OT_REPORT = {
    **REPORT,
    "category": "OT",
    "subject": {"count": 1, "approx_age": 50, "sex": "male", "flags": []},
}


@dataclass
class Receiver:
    port: int
    secrets: list[str] = field(default_factory=list)
    arrivals: dict[str, float] = field(default_factory=dict)  # "<endpoint>:<webhook-id>" -> time
    bad: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        index = int(request.path_params["i"])
        try:
            Webhook(self.secrets[index]).verify(raw, dict(request.headers))
        except Exception:
            self.bad += 1
            return Response(status_code=401)
        self.arrivals[f"{index}:{request.headers['webhook-id']}"] = time.monotonic()
        self.changed.set()
        return Response(status_code=204)

    async def until(self, n: int, within: float) -> None:
        deadline = time.monotonic() + within
        while len(self.arrivals) < n:
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(self.arrivals)} of {n} deliveries arrived")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)


async def setup(n_endpoints: int, port: int) -> list[str]:
    """The agency (police of Kota Batam), its endpoints and a rule sending OT to it; returns the secrets."""
    engine = create_async_engine(db_url())
    settings = Settings(database_url=db_url(), secret_key=SECRET, webhook_allow_private=["127.0.0.1"])
    sealing.configure(settings)  # the signing secrets are sealed with the server's keys
    secrets = []
    async with unit_of_work(make_sessionmaker(engine)) as session:
        admin = await users.create_user(
            session, username="bench.admin", role=Role.admin, region_code="", password=None
        )
        boss = Principal(admin.id, admin.username, Role.admin, "")
        agency = await agencies.create(
            session, boss, AgencyIn(name="Polresta Barelang", kind="police", region_code="21.71")
        )
        await agencies.create_rule(
            session,
            boss,
            RuleIn(name="OT ke polisi", region_code="21.71", category="OT", agency_kind="police"),
        )
        for i in range(n_endpoints):
            body = EndpointIn.model_validate({"url": f"http://127.0.0.1:{port}/hook/{i}"})
            _, secret = await endpoints.create(session, boss, settings, agency.id, body)
            secrets.append(secret)
    await engine.dispose()
    return secrets


async def verify_one(http: httpx.AsyncClient, auth: dict[str, str]) -> tuple[str, float]:
    r = await http.post("/api/v1/reports", json=OT_REPORT, headers=auth)
    incident = r.json()["incident_id"]
    started = time.monotonic()
    r = await http.post(f"/api/v1/incidents/{incident}/verify", json={}, headers=auth)
    assert r.status_code == 200, r.text
    return incident, started


async def baseline(receiver: Receiver, bodies: list[str], n_endpoints: int) -> float:
    """Plain httpx, one request at a time per endpoint, all endpoints at once: deliveries per second."""
    receiver.arrivals.clear()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{receiver.port}", timeout=10) as http:

        async def lane(i: int) -> None:
            hook = Webhook(receiver.secrets[i])
            for n, body in enumerate(bodies):
                now = datetime.now(UTC)
                headers = {
                    "webhook-id": f"base_{n}",
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": hook.sign(f"base_{n}", now, body),
                    "content-type": "application/json",
                }
                await http.post(f"/hook/{i}", content=body, headers=headers)

        started = time.monotonic()
        await asyncio.gather(*(lane(i) for i in range(n_endpoints)))
        return len(bodies) * n_endpoints / (time.monotonic() - started)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(n_incidents: int, backlog: int, n_endpoints: int) -> None:
    token = await prepare_database()
    receiver = Receiver(free_port())
    app = Starlette(routes=[Route("/hook/{i}", receiver.handle, methods=["POST"])])
    server_rx = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=receiver.port, log_level="warning"))
    rx_task = asyncio.create_task(server_rx.serve())
    receiver.secrets = await setup(n_endpoints, receiver.port)
    auth = {"Authorization": f"Bearer {token}"}
    server = Server("app.main:create_app", 2, env={"TANGGAP_WEBHOOK_ALLOW_PRIVATE": '["127.0.0.1"]'})
    pg = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + f"/{DB}")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as http:
            # 1. Latency, one verification at a time, to the first endpoint.
            latencies = []
            for _ in range(5 + n_incidents):
                before = len(receiver.arrivals)
                _, started = await verify_one(http, auth)
                await receiver.until(before + n_endpoints, 30)
                first = min(t for k, t in receiver.arrivals.items() if k.startswith("0:") and t >= started)
                latencies.append(first - started)
            latencies = latencies[5:]
            # 2. Throughput: a backlog while disabled, then enabled.
            await pg.execute("UPDATE webhook_endpoints SET enabled = false")
            for _ in range(backlog):
                await verify_one(http, auth)
            deadline = time.monotonic() + 60
            expected = backlog * n_endpoints
            while (
                await pg.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")
                < expected
            ):
                assert time.monotonic() < deadline, "fan-out did not finish"
                await asyncio.sleep(0.2)
            bodies = [
                r["payload"]
                for r in await pg.fetch("SELECT payload FROM webhook_deliveries LIMIT $1", backlog)
            ]
            receiver.arrivals.clear()
            started = time.monotonic()
            await pg.execute("UPDATE webhook_endpoints SET enabled = true")
            await pg.execute("UPDATE webhook_deliveries SET due_at = now() WHERE status = 'pending'")
            await pg.execute("NOTIFY tanggap_events")
            await receiver.until(expected, 300)
            drained = max(receiver.arrivals.values()) - started
            rate = expected / drained
            rss = server.rss_mib()
        base_rate = await baseline(receiver, bodies, n_endpoints)
    finally:
        await pg.close()
        server.stop()
        server_rx.should_exit = True
        await rx_task
    result = {
        "latency_ms": {
            "p50": round(statistics.median(latencies) * 1000, 1),
            "p99": round(pct(latencies, 0.99) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
            "n": len(latencies),
        },
        "throughput": {
            "deliveries": expected,
            "endpoints": n_endpoints,
            "deliveries_per_s": round(rate, 1),
            "baseline_httpx_per_s": round(base_rate, 1),
            "ratio": round(rate / base_rate, 2),
        },
        "server_rss_mib": round(rss, 1),
        "bad_signatures": receiver.bad,
    }
    print(json.dumps(result, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--backlog", type=int, default=200)
    parser.add_argument("--endpoints", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.incidents, args.backlog, args.endpoints))


if __name__ == "__main__":
    main()
