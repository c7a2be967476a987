"""Through real `tanggap serve` processes on PostgreSQL: the police's receiver gets a signed webhook within a
second of verification, acknowledges through the API and the operator sees it live; and a worker killed
mid-delivery loses nothing (another process sends the message again, same webhook-id, in order)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from app.seed import DEMO_PASSWORD
from tests import factories
from tests.conftest import create_pg_database, drop_pg_database, pg_url
from tests.live.test_streams import next_op, open_ws
from tests.receiver import receiver
from tests.servers import tanggap_server

ENV = {
    "TANGGAP_WEBHOOK_ALLOW_PRIVATE": '["127.0.0.1"]',
    "TANGGAP_WEBHOOK_TIMEOUT_SECONDS": "1",
    "TANGGAP_WEBHOOK_RETRY_DELAYS": "[0.2, 0.4, 0.8]",
    "TANGGAP_WEBHOOK_POLL_SECONDS": "0.25",
}


async def _token(c: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await c.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _setup(c: httpx.AsyncClient, url: str) -> tuple[dict[str, str], dict[str, str], str]:
    """The demo's Polsek registers its own endpoint (the agency account). Returns the operator's and the
    agency's headers and the signing secret."""
    op, agency = await _token(c, "operator.batam"), await _token(c, "agency.batam")
    me = (await c.get("/api/v1/agency/referrals", headers=agency)).json()
    assert me["items"] == []
    polsek = (await c.get("/api/v1/agency", headers=agency)).json()
    assert polsek["name"] == "Polsek Lubuk Baja" and polsek["region_code"] == "21.71.06"
    r = await c.post(f"/api/v1/agencies/{polsek['id']}/webhooks", json={"url": url}, headers=agency)
    assert r.status_code == 201, r.text
    return op, agency, str(r.json()["secret"])


async def _verified(c: httpx.AsyncClient, op: dict[str, str], **subject: Any) -> tuple[str, float]:
    body = factories.report(
        category="OT",
        description="Orang terlantar tidur di emperan ruko Nagoya",
        subject={"count": 1, "approx_age": 55, "sex": "male", "flags": [], **subject},
    )
    r = await c.post("/api/v1/reports", json=body, headers=op)
    assert r.status_code == 201, r.text
    incident = str(r.json()["incident_id"])
    started = time.monotonic()
    r = await c.post(f"/api/v1/incidents/{incident}/verify", json={}, headers=op)
    assert r.status_code == 200, r.text
    return incident, started


@pytest.fixture
def pg_url_() -> Iterator[str]:
    """A fresh PostgreSQL database (created outside the test's event loop), dropped afterwards."""
    name = create_pg_database()
    if name is None:
        pytest.skip("PostgreSQL unreachable")
    yield pg_url(name)
    drop_pg_database(name)


async def test_police_receives_acknowledges_and_the_operator_sees_it_live(
    tmp_path: Path, pg_url_: str
) -> None:
    with tanggap_server("postgresql", tmp_path, workers=2, env=ENV, database_url=pg_url_) as server:
        async with receiver() as rec, httpx.AsyncClient(base_url=server.base) as c:
            op, agency, secret = await _setup(c, rec.url)
            rec.secrets.append(secret)
            ws = await open_ws(server, op["Authorization"].split()[1], "region:21.71")
            await next_op(ws, "hello")
            # The police's own console follows its referrals live; a region stream is not theirs.
            police_ws = await open_ws(server, agency["Authorization"].split()[1], "agency")
            await next_op(police_ws, "hello")
            refused = await open_ws(server, agency["Authorization"].split()[1], "region:21.71")
            with pytest.raises(ConnectionClosed):
                await next_op(refused, "hello")
            incident, started = await _verified(c, op)
            [msg] = await rec.wait_for(1, within=10)
            took = time.monotonic() - started
            assert msg.verified and msg.body["type"] == "referral.created"
            assert msg.body["data"]["incident"]["id"] == incident
            assert took < 1.0, f"webhook arrived {took:.3f} s after verification"
            referral = msg.body["data"]["referral"]["id"]
            r = await c.post(
                f"/api/v1/agency/referrals/{referral}/answers",
                json={"status": "acknowledged", "note": "Bhabinkamtibmas menuju lokasi"},
                headers=agency,
            )
            assert r.status_code == 200, r.text
            while True:
                event = await next_op(ws)
                if event["type"] == "referral.acknowledged":
                    break
            assert event["incident_id"] == incident
            assert event["data"]["note"] == "Bhabinkamtibmas menuju lokasi"
            seen = [(await next_op(police_ws))["type"] for _ in range(2)]
            assert seen == ["referral.created", "referral.acknowledged"]
            await ws.close()
            await police_ws.close()


async def test_a_worker_killed_mid_delivery_loses_nothing(tmp_path: Path, pg_url_: str) -> None:
    url = pg_url_
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with tanggap_server("postgresql", tmp_path / "a", env=ENV, database_url=url) as first:
        async with receiver() as rec, httpx.AsyncClient(base_url=first.base) as c:
            op, _, secret = await _setup(c, rec.url)
            rec.secrets.append(secret)
            port = rec.port
            # The first message hangs in the receiver; the server dies while it waits for the answer.
            rec.script.append(("hang", 30))
            await _verified(c, op)
            deadline = time.monotonic() + 10
            while rec.hung_id is None:
                assert time.monotonic() < deadline, "the message never reached the receiver"
                await asyncio.sleep(0.05)
            first.kill()
            with pytest.raises(httpx.HTTPError):
                await c.get("/readyz", timeout=1)
            hung = rec.hung_id
    # A second server over the same database: the lease runs out and the message goes again, then the rest.
    with tanggap_server("postgresql", tmp_path / "b", env=ENV, database_url=url, demo=False) as second:
        async with receiver(port) as rec2, httpx.AsyncClient(base_url=second.base) as c:
            rec2.secrets.append(secret)
            op = await _token(c, "operator.batam")
            await _verified(c, op)
            got = await rec2.wait_for(2, within=30)
            types = [m.body["type"] for m in got]
            assert types == ["referral.created", "referral.created"]
            seqs = [m.body["data"]["event_seq"] for m in got]
            assert seqs == sorted(seqs)
            # The first is the message that was in flight when the first server died: same webhook-id.
            assert got[0].message_id == hung
