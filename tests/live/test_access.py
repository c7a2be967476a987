"""Access through real servers (2 workers on PostgreSQL, 1 on SQLite): a revoked key and a deactivated
account fail at once on every worker; a live ticket opens one stream of the topics it was asked for, once;
a WebSocket from a page of another origin is refused when TANGGAP_CORS_ORIGINS is set."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.live.test_streams import next_op, open_ws, token
from tests.servers import Server, tanggap_server

CONSOLE = "https://konsol.example.id"


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workers = 2 if request.param == "postgresql" else 1
    env = {"TANGGAP_CORS_ORIGINS": f'["{CONSOLE}"]'}
    with tanggap_server(request.param, tmp_path_factory.mktemp("access"), workers=workers, env=env) as s:
        yield s


async def workers_seen(server: Server, tok: str) -> set[int]:
    """The worker processes fresh connections land on (the WebSocket's hello names its worker). On a loaded
    machine the second worker may still be starting when the first answers /readyz: up to 30 s."""
    seen: set[int] = set()
    for _ in range(150):
        ws = await open_ws(server, tok, "region:21.71")
        seen.add(int((await next_op(ws, "hello"))["worker"]))
        await ws.close()
        if len(seen) == 2:
            break
        await asyncio.sleep(0.2)
    return seen


async def fresh_statuses(server: Server, headers: dict[str, str], n: int = 24) -> set[int]:
    """Statuses of GET /users/me over n fresh connections (spread over the workers)."""
    statuses = set()
    for _ in range(n):
        async with httpx.AsyncClient(base_url=server.base) as c:
            statuses.add((await c.get("/api/v1/users/me", headers=headers)).status_code)
    return statuses


async def test_a_revoked_key_and_a_deactivated_account_fail_at_once_on_every_worker(server: Server) -> None:
    admin = {"Authorization": f"Bearer {await token(server, 'admin')}"}
    if server.database_url.startswith("postgresql"):
        assert len(await workers_seen(server, admin["Authorization"][7:])) == 2
    async with httpx.AsyncClient(base_url=server.base + "/api/v1") as c:
        name = f"acc.{uuid.uuid4().hex[:8]}"
        body = {"username": name, "role": "operator", "region_code": "21.71", "password": "first-pass-1"}
        user = (await c.post("/users", json=body, headers=admin)).json()
        key = (await c.post("/api-keys", json={"user_id": user["id"], "name": "x"}, headers=admin)).json()
        r = await c.post("/auth/token", data={"username": name, "password": "first-pass-1"})
        operator = {"Authorization": f"Bearer {r.json()['access_token']}"}
    as_key = {"X-API-Key": key["key"]}
    assert await fresh_statuses(server, as_key) == {200}
    assert await fresh_statuses(server, operator) == {200}
    async with httpx.AsyncClient(base_url=server.base + "/api/v1") as c:
        assert (await c.post(f"/api-keys/{key['id']}/revoke", headers=admin)).status_code == 200
    assert await fresh_statuses(server, as_key) == {401}
    assert await fresh_statuses(server, operator) == {200}
    async with httpx.AsyncClient(base_url=server.base + "/api/v1") as c:
        assert (await c.post(f"/users/{user['id']}/deactivate", headers=admin)).status_code == 200
    assert await fresh_statuses(server, operator) == {401}


async def ticket(server: Server, operator: str, *topics: str) -> str:
    async with httpx.AsyncClient(base_url=server.base) as c:
        r = await c.post(
            "/api/v1/live/ticket",
            params=[("topic", t) for t in topics],
            headers={"Authorization": f"Bearer {operator}"},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["ticket"])


async def closed_with(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_a_ticket_opens_one_stream_of_its_topics_once(server: Server) -> None:
    operator = await token(server, "operator.batam")
    one = await ticket(server, operator, "region:21.71")
    ws = await connect(f"{server.ws}/api/v1/ws?topic=region:21.71&ticket={one}")
    assert (await next_op(ws, "hello"))["head"] >= 0
    await ws.close()
    # Used: refused on whichever worker the second try lands, as often as it is tried.
    for _ in range(4):
        again = await connect(f"{server.ws}/api/v1/ws?topic=region:21.71&ticket={one}")
        assert await closed_with(again) == 4401
    async with httpx.AsyncClient(base_url=server.base) as c:
        r = await c.get("/api/v1/events", params={"topic": "region:21.71", "ticket": one})
        assert r.status_code == 401
    # Bound to its topics: not for another one (and not used up by the refusal).
    two = await ticket(server, operator, "region:21.71")
    other = await connect(f"{server.ws}/api/v1/ws?topic=mine&ticket={two}")
    assert await closed_with(other) == 4401
    ws = await connect(f"{server.ws}/api/v1/ws?topic=region:21.71&ticket={two}")
    assert (await next_op(ws, "hello"))["head"] >= 0
    await ws.close()
    # A ticket for a topic that is not the caller's is not issued.
    async with httpx.AsyncClient(base_url=server.base) as c:
        r = await c.post(
            "/api/v1/live/ticket",
            params={"topic": "region:35.09"},
            headers={"Authorization": f"Bearer {operator}"},
        )
        assert r.status_code == 403


async def test_websocket_origin_is_checked_against_the_cors_origins(server: Server) -> None:
    operator = await token(server, "operator.batam")
    auth = {"Authorization": f"Bearer {operator}"}
    ok = await connect(f"{server.ws}/api/v1/ws?topic=region:21.71", additional_headers=auth, origin=CONSOLE)  # type: ignore[arg-type]
    assert (await next_op(ok, "hello"))["head"] >= 0
    await ok.close()
    evil = await connect(
        f"{server.ws}/api/v1/ws?topic=region:21.71",
        additional_headers=auth,
        origin="https://evil.example",  # type: ignore[arg-type]
    )
    assert await closed_with(evil) == 4403
    # Preflight through the real server.
    async with httpx.AsyncClient(base_url=server.base) as c:
        ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
        r = await c.options("/api/v1/live/ticket", headers={"Origin": CONSOLE, **ask})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == CONSOLE
