"""A crew member's `mine` stream through a real server: it carries his crew's offers and cases and nothing of
other crews', and it follows swaps: a stand-in whose stream is open starts receiving the crew's events, the
member who left stops."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from tests import factories
from tests.live.test_streams import open_ws, token
from tests.servers import Server, tanggap_server


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workers = 2 if request.param == "postgresql" else 1
    with tanggap_server(request.param, tmp_path_factory.mktemp("crewlive"), workers=workers) as s:
        yield s


async def drain(ws: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    """Every event that arrives within `seconds`."""
    got: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + seconds
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        try:
            frame = await asyncio.wait_for(ws.recv(), left)
        except TimeoutError:
            break
        for line in str(frame).splitlines():
            message = json.loads(line)
            if message["op"] == "event":
                got.append(message)
    return got


async def test_the_crew_stream_follows_a_swap_and_carries_only_its_crew(server: Server) -> None:
    admin_t, sup_t, op_t = [await token(server, u) for u in ("admin", "supervisor.batam", "operator.batam")]
    async with httpx.AsyncClient(base_url=server.base + "/api/v1", timeout=20) as c:

        def h(t: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {t}"}

        accounts = {}
        for who in ("leaving", "standin"):
            name = f"{who}.{uuid.uuid4().hex[:6]}"
            r = await c.post(
                "/users",
                json={"username": name, "role": "crew", "region_code": "21.71", "password": "swap-1234567"},
                headers=h(admin_t),
            )
            assert r.status_code == 201, r.text
            r2 = await c.post("/auth/token", data={"username": name, "password": "swap-1234567"})
            accounts[who] = (r.json()["id"], r2.json()["access_token"])
        [team] = [t for t in (await c.get("/teams", headers=h(sup_t))).json() if t["region_code"] == "21.71"]
        people = {}
        for who, (user_id, _) in accounts.items():
            r = await c.post(
                f"/teams/{team['id']}/personnel",
                json={"name": f"Uji {who}", "skills": ["driver"], "user_id": user_id},
                headers=h(sup_t),
            )
            assert r.status_code == 201, r.text
            people[who] = r.json()["id"]
        now = datetime.now(UTC)
        r = await c.post(
            f"/teams/{team['id']}/crews",
            json={
                "name": "Regu Uji",
                "shift_starts_at": (now - timedelta(minutes=5)).isoformat(),
                "shift_ends_at": (now + timedelta(hours=6)).isoformat(),
                "member_ids": [people["leaving"]],
            },
            headers=h(sup_t),
        )
        assert r.status_code == 201, r.text
        crew = r.json()["id"]
        leaving = await open_ws(server, accounts["leaving"][1], "mine", batch="true")
        standin = await open_ws(server, accounts["standin"][1], "mine", batch="true")
        for ws in (leaving, standin):
            assert json.loads(await ws.recv())["op"] == "hello"
        r = await c.post(
            f"/crews/{crew}/swap",
            json={"out_id": people["leaving"], "in_id": people["standin"], "reason": "sakit"},
            headers=h(sup_t),
        )
        assert r.status_code == 200, r.text
        # Another crew's offer (a verified incident the engine gives to a demo crew), and this crew's case.
        other = (await c.post("/reports", json=factories.report(), headers=h(op_t))).json()["incident_id"]
        assert (await c.post(f"/incidents/{other}/verify", json={}, headers=h(op_t))).status_code == 200
        mine = (
            await c.post(
                "/reports", json=factories.report(category="GEL", subject={"flags": []}), headers=h(op_t)
            )
        ).json()["incident_id"]
        r = await c.post(
            f"/incidents/{mine}/dispatch",
            json={"crew_id": crew, "reason": "regu uji terdekat"},
            headers=h(sup_t),
        )
        assert r.status_code == 200, r.text
        got = await drain(standin, 4.0)
        left = await drain(leaving, 1.0)
    types = [(e["type"], e["incident_id"]) for e in got]
    assert ("crew.swap", None) in types
    assert ("incident.dispatched_manually", mine) in types
    assert ("incident.status_changed", mine) in types
    # Nothing of another crew: every event is this crew's, or the stand-in's own.
    assert all(e["crew_id"] == crew for e in got), [e for e in got if e["crew_id"] != crew]
    assert other not in {e["incident_id"] for e in got}
    # The member who left hears what happened to his crew before he left (its shift starting, his own swap)
    # and nothing after it: not the case the crew was given.
    assert {e["type"] for e in left} <= {"crew.on_duty", "crew.swap"}, left
    assert mine not in {e["incident_id"] for e in left}
