"""Live streams through real uvicorn servers (2 workers on PostgreSQL, 1 on SQLite) and real clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.live.watch import run_watch
from app.seed import DEMO_PASSWORD
from tests import factories
from tests.servers import Server, tanggap_server

QUEUE = 50


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workers = 2 if request.param == "postgresql" else 1
    # A queue of 50 events: more than the demo's first scheduler pass writes in Batam (shift start, 4CT
    # breaches, about 20), fewer than the slow-client test's burst.
    env = {"TANGGAP_STREAM_QUEUE_LIMIT": str(QUEUE), "TANGGAP_STREAM_HEARTBEAT_SECONDS": "1"}
    with tanggap_server(request.param, tmp_path_factory.mktemp("live"), workers=workers, env=env) as s:
        yield s


async def token(server: Server, username: str) -> str:
    async with httpx.AsyncClient(base_url=server.base) as c:
        r = await c.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])


async def open_ws(
    server: Server, tok: str, *topics: str, since: int | None = None, batch: str | None = None
) -> ClientConnection:
    query = "&".join(f"topic={t}" for t in topics) + (f"&since={since}" if since is not None else "")
    query += f"&batch={batch}" if batch is not None else ""
    return await connect(
        f"{server.ws}/api/v1/ws?{query}", additional_headers={"Authorization": f"Bearer {tok}"}
    )


async def next_op(ws: ClientConnection, op: str = "event") -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["op"] == op:
            return dict(message)


async def events(ws: ClientConnection, n: int) -> list[dict[str, Any]]:
    return [await next_op(ws) for _ in range(n)]


async def post_report(server: Server, tok: str, **overrides: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.base) as c:
        r = await c.post(
            "/api/v1/reports", json=factories.report(**overrides), headers={"Authorization": f"Bearer {tok}"}
        )
        assert r.status_code == 201, r.text
        return dict(r.json())


@pytest.fixture
async def operator(server: Server) -> AsyncIterator[str]:
    yield await token(server, "operator.batam")


async def test_event_reaches_clients_on_every_worker(server: Server, operator: str) -> None:
    expected_workers = 2 if server.database_url.startswith("postgresql") else 1
    clients: list[ClientConnection] = []
    workers: set[int] = set()
    # A village with no demo incidents: only this test's events reach these clients.
    village = "21.71.06.1001"
    # The kernel spreads connections over the workers unevenly; open them until both have some.
    while len(clients) < 6 or (len(workers) < expected_workers and len(clients) < 80):
        ws = await open_ws(server, operator, f"region:{village}")
        workers.add((await next_op(ws, "hello"))["worker"])
        clients.append(ws)
    assert len(workers) == expected_workers
    location = {**factories.report()["location"], "region_code": village}
    report = await post_report(server, operator, location=location)
    for ws in clients:
        got = await events(ws, 2)
        assert [e["type"] for e in got] == ["incident.created", "report.received"]
        assert got[1]["seq"] == got[0]["seq"] + 1
        assert got[0]["incident_id"] == report["incident_id"]
        assert got[0]["data"]["priority"] == 1
        await ws.close()


async def until_of(ws: ClientConnection, incidents: set[str], n: int) -> list[dict[str, Any]]:
    """Every event that comes until n of them belong to `incidents`: the scheduler's own (a shift starting,
    a 4CT breach in Batam) may come between them, whenever its first pass runs."""
    got: list[dict[str, Any]] = []
    while sum(e.get("incident_id") in incidents for e in got) < n:
        got.append(await next_op(ws))
    return got


async def test_resume_loses_nothing_and_doubles_nothing(server: Server, operator: str) -> None:
    ws = await open_ws(server, operator, "region:21.71")
    head = (await next_op(ws, "hello"))["head"]
    report = await post_report(server, operator)
    first = await until_of(ws, {report["incident_id"]}, 2)
    await ws.close()
    # Events happen while the client is away.
    missed = [await post_report(server, operator, description=f"laporan {i}") for i in range(3)]
    ids = {m["incident_id"] for m in missed}
    ws = await open_ws(server, operator, "region:21.71", since=first[-1]["seq"])
    await next_op(ws, "hello")
    replayed = await until_of(ws, ids, 6)
    seqs = [e["seq"] for e in replayed]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] > first[-1]["seq"] > head
    assert [e["incident_id"] for e in replayed if e.get("incident_id") in ids].count(
        missed[0]["incident_id"]
    ) == 2
    assert {e.get("incident_id") for e in replayed} >= ids
    # ... then live, with nothing seen twice between the replay and the live stream.
    again = await post_report(server, operator)
    live = await until_of(ws, {again["incident_id"]}, 2)
    assert live[0]["seq"] > seqs[-1]
    assert not {e["seq"] for e in live} & set(seqs)
    await ws.close()


async def frame_events(ws: ClientConnection, n: int) -> list[list[dict[str, Any]]]:
    """Frames of a batched stream, each split into its messages, until n events came."""
    frames: list[list[dict[str, Any]]] = []
    while sum(m["op"] == "event" for f in frames for m in f) < n:
        raw = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(raw, str)
        frames.append([json.loads(line) for line in raw.split("\n")])
    return frames


async def test_batched_frames_carry_several_events(server: Server, operator: str) -> None:
    ws = await open_ws(server, operator, "region:21.71", batch="true")
    await next_op(ws, "hello")
    await post_report(server, operator)
    first = [m for f in await frame_events(ws, 2) for m in f if m["op"] == "event"]
    await ws.close()
    missed = [await post_report(server, operator, description=f"laporan {i}") for i in range(3)]
    ws = await open_ws(server, operator, "region:21.71", since=first[-1]["seq"], batch="true")
    await next_op(ws, "hello")
    # The replay of what was missed is one frame: six events, in order, nothing else.
    (replay,) = await frame_events(ws, 6)
    seqs = [m["seq"] for m in replay]
    assert [m["op"] for m in replay] == ["event"] * 6
    assert seqs == sorted(seqs) and len(set(seqs)) == 6 and seqs[0] > first[-1]["seq"]
    assert {m["incident_id"] for m in replay} == {r["incident_id"] for r in missed}
    await post_report(server, operator)
    live = [m for f in await frame_events(ws, 2) for m in f if m["op"] == "event"]
    assert [m["seq"] for m in live] == [seqs[-1] + 1, seqs[-1] + 2]
    await ws.close()
    ws = await open_ws(server, operator, "region:21.71", batch="maybe")
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


async def test_out_of_range_since_asks_to_resync(server: Server, operator: str) -> None:
    ws = await open_ws(server, operator, "region:21.71", since=10**9)
    await next_op(ws, "hello")
    assert "resynchronise" in (await next_op(ws, "resync"))["detail"]
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4410


async def test_region_authorisation(server: Server, operator: str) -> None:
    jember = await token(server, "operator.jember")
    batam_ws = await open_ws(server, operator, "region:21.71")
    await next_op(batam_ws, "hello")
    await post_report(server, jember, location={"region_code": factories.JEMBER_VILLAGE})
    await post_report(server, operator)
    got = await events(batam_ws, 2)
    assert all(e["region_code"].startswith("21.71") for e in got)
    await batam_ws.close()

    for tok, topic in [
        (operator, "region:35.09"),
        (operator, "region:21"),
        (await token(server, "crew.batam"), "region:21.71"),
    ]:
        ws = await open_ws(server, tok, topic)
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403, topic


async def test_authentication_and_bad_topics(server: Server, operator: str) -> None:
    cases = [
        ({}, "region:21.71", 4401),
        ({"Authorization": "Bearer nope"}, "region:21.71", 4401),
        ({"Authorization": f"Bearer {operator}"}, "everything", 4400),
    ]
    for headers, topic, code in cases:
        ws = await connect(f"{server.ws}/api/v1/ws?topic={topic}", additional_headers=headers)
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == code


async def test_browser_ticket(server: Server, operator: str) -> None:
    async with httpx.AsyncClient(base_url=server.base) as c:
        r = await c.post(
            "/api/v1/live/ticket?topic=region:21.71", headers={"Authorization": f"Bearer {operator}"}
        )
        ticket = r.json()["ticket"]
        # A ticket is not an access token.
        assert (
            await c.get("/api/v1/incidents", headers={"Authorization": f"Bearer {ticket}"})
        ).status_code == 401
    ws = await connect(f"{server.ws}/api/v1/ws?topic=region:21.71&ticket={ticket}")
    assert (await next_op(ws, "hello"))["head"] >= 0
    await ws.close()


async def test_mine_and_incident_topics(server: Server, operator: str) -> None:
    supervisor = await token(server, "supervisor.batam")
    report = await post_report(server, operator)
    ws = await open_ws(server, supervisor, "mine", f"incident:{report['incident_id']}")
    await next_op(ws, "hello")
    async with httpx.AsyncClient(base_url=server.base) as c:
        r = await c.post(
            f"/api/v1/incidents/{report['incident_id']}/verify",
            json={},
            headers={"Authorization": f"Bearer {operator}"},
        )
        assert r.status_code == 200
    event = await next_op(ws)
    assert event["type"] == "incident.status_changed" and event["data"]["after"] == "verified"
    jember = await token(server, "operator.jember")
    other = await open_ws(server, jember, f"incident:{report['incident_id']}")
    with pytest.raises(ConnectionClosed) as closed:
        await other.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    await ws.close()


async def test_slow_client_is_cut_off_and_resumes(server: Server, operator: str) -> None:
    ws = await open_ws(server, operator, "region:21.71")
    head = (await next_op(ws, "hello"))["head"]
    # A burst bigger than the server's per-client queue, written in one transaction.
    await burst(server.database_url, QUEUE + 10)
    seen = [head]
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message["op"] == "event":
                seen.append(message["seq"])
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
    # Resume from the last event it did get (some may have arrived before it fell behind): none is lost.
    assert f"since={seen[-1]}" in closed.value.rcvd.reason, (seen, closed.value.rcvd.reason)
    ws = await open_ws(server, operator, "region:21.71", since=head)
    await next_op(ws, "hello")
    replayed: list[int] = []
    while len(replayed) < QUEUE + 10:
        event = await next_op(ws)
        if event["type"] == "test.burst":
            replayed.append(event["data"]["n"])
    assert replayed == list(range(QUEUE + 10))
    await ws.close()


async def burst(database_url: str, n: int) -> None:
    if database_url.startswith("postgresql"):
        dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(dsn)
        async with conn.transaction():
            for i in range(n):
                await conn.execute(
                    "INSERT INTO events (type, occurred_at, region_code, actor, data) "
                    "VALUES ('test.burst', now(), '21.71', 'test', $1::jsonb)",
                    json.dumps({"n": i}),
                )
        await conn.close()
        return
    import aiosqlite

    async with aiosqlite.connect(database_url.split("///", 1)[1]) as db:
        await db.execute("BEGIN IMMEDIATE")
        top = (await (await db.execute("SELECT value FROM event_counter")).fetchone())[0]  # type: ignore[index]
        for i in range(n):
            await db.execute(
                "INSERT INTO events (seq, type, occurred_at, region_code, actor, data) "
                "VALUES (?, 'test.burst', strftime('%Y-%m-%d %H:%M:%f', 'now'), '21.71', 'test', ?)",
                (top + i + 1, json.dumps({"n": i})),
            )
        await db.execute("UPDATE event_counter SET value = ?", (top + n,))
        await db.commit()


async def test_sse_with_last_event_id(server: Server, operator: str) -> None:
    headers = {"Authorization": f"Bearer {operator}"}
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as c:
        async with c.stream("GET", "/api/v1/events", params={"topic": "region:21.71"}, headers=headers) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            lines = r.aiter_lines()
            await post_report(server, operator)
            first_id = await _next_id(lines)
        missed = await post_report(server, operator)
        async with c.stream(
            "GET",
            "/api/v1/events",
            params={"topic": "region:21.71"},
            headers={**headers, "Last-Event-ID": first_id},
        ) as r:
            lines = r.aiter_lines()
            ids: list[int] = []
            datas: list[dict[str, Any]] = []
            while len(ids) < 3:
                line = await asyncio.wait_for(lines.__anext__(), 10)
                if line.startswith("id:"):
                    ids.append(int(line[3:]))
                if line.startswith("data:") and '"op":"event"' in line:
                    datas.append(json.loads(line[5:]))
    assert ids == sorted(ids) and ids[0] == int(first_id) + 1
    assert missed["incident_id"] in {d["incident_id"] for d in datas}
    async with httpx.AsyncClient(base_url=server.base) as c:
        r = await c.get("/api/v1/events", params={"topic": "region:35.09"}, headers=headers)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"


async def _next_id(lines: AsyncIterator[str]) -> str:
    while True:
        line = await asyncio.wait_for(lines.__anext__(), 10)
        if line.startswith("id:"):
            return line[3:].strip()


async def test_shutdown_closes_with_service_restart(tmp_path: Path) -> None:
    with tanggap_server("sqlite", tmp_path) as srv:
        ws = await open_ws(srv, await token(srv, "operator.batam"), "region:21.71")
        await next_op(ws, "hello")
        srv.stop()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 15)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012


async def test_reference_client_prints_the_stream(server: Server, operator: str) -> None:
    lines: list[str] = []
    printed = asyncio.Event()

    def echo(line: str) -> None:
        lines.append(line)
        printed.set()

    async def seen(text: str) -> None:
        async with asyncio.timeout(10):
            while not any(text in line for line in lines):
                printed.clear()
                await printed.wait()

    watch = asyncio.create_task(
        run_watch(server.base, "operator.batam", DEMO_PASSWORD, ["region:21.71"], None, False, echo)
    )
    try:
        await seen("-- connected to worker")
        report = await post_report(server, operator)
        await seen("report.received")
        mine = [line for line in lines if report["incident_id"][:8] in line]
        assert [line.split()[2] for line in mine] == ["incident.created", "report.received"]
    finally:
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch


async def test_idle_clients_get_heartbeats(server: Server, operator: str) -> None:
    """The server's heartbeat period is 1 s here: an idle client hears from it within two periods."""
    ws = await open_ws(server, operator, "region:21.71.01")  # a kecamatan no test reports in
    hello = await next_op(ws, "hello")
    async with asyncio.timeout(2.5):
        beat = await next_op(ws, "heartbeat")
    assert beat["head"] >= hello["head"]
    await ws.close()
