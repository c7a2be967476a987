"""The README's promise, end to end: `tanggap serve --demo` under a real uvicorn, a token for the demo
operator, and a report that becomes a P1 incident. Also on PostgreSQL with two workers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.seed import DEMO_PASSWORD
from tests import factories
from tests.conftest import ROOT
from tests.servers import tanggap_server


@pytest.fixture(params=["sqlite-1-worker", "postgresql-2-workers"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    kind, workers = ("sqlite", 1) if request.param.startswith("sqlite") else ("postgresql", 2)
    with tanggap_server(kind, tmp_path, workers=workers) as running:
        yield running.base


async def test_demo_operator_records_a_p1_report(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as c:
        assert (await c.get("/openapi.json")).status_code == 200
        assert (await c.get("/docs")).status_code == 200
        r = await c.post("/api/v1/auth/token", data={"username": "operator.batam", "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        h = {"Authorization": f"Bearer {r.json()['access_token']}"}
        demo = (await c.get("/api/v1/incidents", headers=h)).json()["items"]
        assert len(demo) == 3 and all(i["region_code"].startswith("21.71") for i in demo)

        h_key = {**h, "Idempotency-Key": "two-workers-one-report"}
        # Concurrent retries land on both workers; one report results.
        responses = await asyncio.gather(
            *[c.post("/api/v1/reports", json=factories.report(), headers=h_key) for _ in range(6)]
        )
        assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        incident_id = responses[0].json()["incident_id"]
        incident = (await c.get(f"/api/v1/incidents/{incident_id}", headers=h)).json()
        assert incident["priority"] == 1 and incident["status"] == "received"
        assert len((await c.get("/api/v1/incidents", headers=h)).json()["items"]) == 4

        # Verified, it is offered within a second to a crew on duty that can carry an agitated person.
        assert (
            await c.post(f"/api/v1/incidents/{incident_id}/verify", json={}, headers=h)
        ).status_code == 200
        r = await c.post(
            "/api/v1/auth/token", data={"username": "supervisor.batam", "password": DEMO_PASSWORD}
        )
        sup = {"Authorization": f"Bearer {r.json()['access_token']}"}
        deadline = time.monotonic() + 15
        while True:
            incident = (await c.get(f"/api/v1/incidents/{incident_id}", headers=h)).json()
            decided = [e for e in incident["timeline"] if e["type"] in ("offer.made", "incident.escalated")]
            if decided or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        offers = [e for e in incident["timeline"] if e["type"] == "offer.made"]
        if offers:
            [offer] = offers
            crew = (await c.get(f"/api/v1/crews/{offer['crew_id']}", headers=h)).json()
            assert "secure_transport" in crew["vehicle"]["capabilities"]
            r = await c.post(f"/api/v1/offers/{offer['data']['offer_id']}/accept", headers=sup)
        else:
            # In the last minutes of a shift (the demo's shifts change at 07, 15 and 23 local time) no crew
            # reaches the place in time: escalated, and the supervisor dispatches one by hand.
            [escalated] = [e for e in incident["timeline"] if e["type"] == "incident.escalated"]
            ending = [c for c, why in escalated["data"]["refusals"].items() if why["code"] == "shift_ends"]
            assert ending, escalated
            r = await c.post(
                f"/api/v1/incidents/{incident_id}/dispatch",
                json={"crew_id": ending[0], "reason": "regu malam masih siaga"},
                headers=sup,
            )
        assert r.status_code == 200, r.text
        assert (await c.get(f"/api/v1/incidents/{incident_id}", headers=h)).json()["status"] == "dispatched"


def test_cli_users_create_and_migrate(tmp_path: Path) -> None:
    env = {**os.environ, "TANGGAP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    cli = str(Path(sys.executable).parent / "tanggap")

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [cli, *args],
            input=stdin,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert run("migrate").returncode == 0
    ok = run(
        "users",
        "create",
        "--username",
        "op1",
        "--role",
        "operator",
        "--region",
        "21.71",
        "--password-stdin",
        stdin="a strong password\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert "created operator op1" in ok.stdout
    dup = run("users", "create", "--username", "op1", "--role", "operator", "--region", "21.71")
    assert dup.returncode != 0 and "sudah dipakai" in dup.stderr
    bad = run("users", "create", "--username", "op2", "--role", "operator", "--region", "99.99")
    assert bad.returncode != 0 and "tidak dikenal" in bad.stderr
    first, again = run("seed", "demo"), run("seed", "demo")
    assert first.returncode == again.returncode == 0
    assert "26 accounts, 15 reports and 90 crews" in first.stdout
    assert "0 accounts, 0 reports and 0 crews" in again.stdout
