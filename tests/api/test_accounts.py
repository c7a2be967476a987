"""Account lifecycle and login protection: deactivation ends tokens at once, keys are revoked and rotated,
supervisors manage their region's accounts, a name is locked after repeated failures whatever the address,
and no answer tells whether an account exists. CORS for consoles served elsewhere."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import security
from app.main import create_app
from app.models import AuditEntry
from tests.conftest import Actor, make_settings, truncate

API = "/api/v1"
FIRST = "first-pass-1"


def from_address(app: FastAPI, ip: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://test"
    )


async def new_account(
    client: httpx.AsyncClient,
    by: Actor,
    role: str = "crew",
    region: str = "21.71",
    password: str = FIRST,
) -> dict[str, str]:
    name = f"acc.{uuid.uuid4().hex[:10]}"
    r = await client.post(
        f"{API}/users",
        json={"username": name, "role": role, "region_code": region, "password": password},
        headers=by.headers,
    )
    assert r.status_code == 201, r.text
    return {"id": r.json()["id"], "username": name, "password": password}


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(f"{API}/auth/token", data={"username": username, "password": password})


async def bearer(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    r = await login(client, username, password)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_a_deactivated_accounts_token_fails_at_the_next_request(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    account = await new_account(client, actors["supervisor"], role="operator")
    h = await bearer(client, account["username"], account["password"])
    assert (await client.get(f"{API}/incidents", headers=h)).status_code == 200
    r = await client.post(f"{API}/users/{account['id']}/deactivate", headers=actors["supervisor"].headers)
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert (await client.get(f"{API}/incidents", headers=h)).status_code == 401
    assert (await login(client, account["username"], account["password"])).status_code == 401
    # Reactivated: he logs in again; the old token stays dead.
    r = await client.post(f"{API}/users/{account['id']}/reactivate", headers=actors["supervisor"].headers)
    assert r.status_code == 200 and r.json()["is_active"] is True
    assert (await client.get(f"{API}/incidents", headers=h)).status_code == 401
    h2 = await bearer(client, account["username"], account["password"])
    assert (await client.get(f"{API}/incidents", headers=h2)).status_code == 200
    r = await client.get(f"{API}/audit", params={"entity_id": account["id"]}, headers=actors["admin"].headers)
    assert [e["action"] for e in r.json()] == ["reactivate", "deactivate", "create"]


async def test_supervisors_manage_their_regions_staff_only(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup = actors["supervisor"]
    for role in ("operator", "crew", "reporter"):
        await new_account(client, sup, role=role)
    name = f"acc.{uuid.uuid4().hex[:10]}"
    for role, region, status in (
        ("supervisor", "21.71", 403),
        ("admin", "21.71", 403),
        ("operator", "35.09", 403),
    ):
        body = {"username": name, "role": role, "region_code": region, "password": FIRST}
        assert (await client.post(f"{API}/users", json=body, headers=sup.headers)).status_code == status
    for who in ("operator", "crew", "reporter", "agency"):
        body = {"username": name, "role": "crew", "region_code": "21.71", "password": FIRST}
        assert (await client.post(f"{API}/users", json=body, headers=actors[who].headers)).status_code == 403
    # Another region's account is not found; a reporter's password is not his to reset.
    jember = actors["operator_jember"].id
    assert (await client.post(f"{API}/users/{jember}/deactivate", headers=sup.headers)).status_code == 404
    reporter = await new_account(client, sup, role="reporter")
    r = await client.post(
        f"{API}/users/{reporter['id']}/password", json={"password": "a new password"}, headers=sup.headers
    )
    assert r.status_code == 403
    listed = await client.get(f"{API}/users", params={"q": "acc.", "role": "reporter"}, headers=sup.headers)
    assert listed.status_code == 200
    assert reporter["username"] in {u["username"] for u in listed.json()}
    assert all(u["region_code"].startswith("21.71") and u["role"] == "reporter" for u in listed.json())
    assert (await client.get(f"{API}/users", headers=actors["operator"].headers)).status_code == 403


async def test_passwords_reset_and_changed_end_older_tokens(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    account = await new_account(client, actors["supervisor"], role="crew")
    old = await bearer(client, account["username"], account["password"])
    r = await client.post(
        f"{API}/users/{account['id']}/password",
        json={"password": "reset by sup 1"},
        headers=actors["supervisor"].headers,
    )
    assert r.status_code == 200, r.text
    assert (await client.get(f"{API}/users/me", headers=old)).status_code == 401
    h = await bearer(client, account["username"], "reset by sup 1")
    wrong = {"current_password": "not it at all", "new_password": "mine and only mine"}
    assert (await client.post(f"{API}/users/me/password", json=wrong, headers=h)).status_code == 422
    body = {"current_password": "reset by sup 1", "new_password": "mine and only mine"}
    r = await client.post(f"{API}/users/me/password", json=body, headers=h)
    assert r.status_code == 200, r.text
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await client.get(f"{API}/users/me", headers=h)).status_code == 401
    assert (await client.get(f"{API}/users/me", headers=fresh)).status_code == 200
    assert (await login(client, account["username"], "mine and only mine")).status_code == 200


async def test_api_keys_expire_are_revoked_and_rotated(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    admin = actors["admin_batam"].headers
    body = {"user_id": str(actors["agency"].id), "name": "Polresta"}
    r = await client.post(f"{API}/api-keys", json=body, headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    key = {"X-API-Key": created["key"]}
    assert (await client.get(f"{API}/users/me", headers=key)).status_code == 200
    listed = (await client.get(f"{API}/api-keys", params={"user_id": body["user_id"]}, headers=admin)).json()
    mine = next(k for k in listed if k["id"] == created["id"])
    assert mine["last_used_at"] is not None and "key" not in mine
    # Rotation: a new key; the old one revoked now.
    r = await client.post(f"{API}/api-keys/{created['id']}/rotate", json={}, headers=admin)
    assert r.status_code == 201, r.text
    new_key = {"X-API-Key": r.json()["key"]}
    assert (await client.get(f"{API}/users/me", headers=key)).status_code == 401
    assert (await client.get(f"{API}/users/me", headers=new_key)).status_code == 200
    r = await client.post(f"{API}/api-keys/{r.json()['id']}/revoke", headers=admin)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert (await client.get(f"{API}/users/me", headers=new_key)).status_code == 401
    # Past its expiry date a key is refused; a date in the past is refused at creation.
    past = {**body, "expires_at": "2020-01-01T00:00:00+07:00"}
    assert (await client.post(f"{API}/api-keys", json=past, headers=admin)).status_code == 422
    # Outside the admin's region: not found.
    other = await client.post(
        f"{API}/api-keys",
        json={"user_id": str(actors["operator_jember"].id), "name": "x"},
        headers=actors["admin"].headers,
    )
    assert (
        await client.post(f"{API}/api-keys/{other.json()['id']}/revoke", headers=admin)
    ).status_code == 404


async def test_a_deactivated_crew_member_leaves_his_crews(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup = actors["supervisor"].headers
    account = await new_account(client, actors["supervisor"], role="crew")
    team = (
        await client.post(
            f"{API}/teams", json={"name": "TRC", "region_code": "21.71"}, headers=actors["admin"].headers
        )
    ).json()
    person = await client.post(
        f"{API}/teams/{team['id']}/personnel",
        json={"name": "Budi", "kind": "trc", "user_id": account["id"]},
        headers=sup,
    )
    assert person.status_code == 201, person.text
    assert (await client.post(f"{API}/users/{account['id']}/deactivate", headers=sup)).status_code == 200
    people = (await client.get(f"{API}/teams/{team['id']}/personnel", headers=sup)).json()
    assert [p["active"] for p in people if p["id"] == person.json()["id"]] == [False]


async def test_a_name_is_locked_after_failures_from_many_addresses(
    app: FastAPI, actors: dict[str, Actor], client: httpx.AsyncClient
) -> None:
    account = await new_account(client, actors["supervisor"], role="operator")
    for i in range(10):
        async with from_address(app, f"203.0.113.{i + 1}") as c:
            r = await login(c, account["username"], f"guess number {i}")
            assert r.status_code in (401, 429)
    async with from_address(app, "203.0.113.99") as c:
        r = await login(c, account["username"], account["password"])
    assert r.status_code == 429, r.text
    assert int(r.headers["retry-after"]) > 0
    # An admin (or a supervisor for his staff) lifts the lock.
    r = await client.post(f"{API}/users/{account['id']}/unlock", headers=actors["supervisor"].headers)
    assert r.status_code == 200
    assert (await login(client, account["username"], account["password"])).status_code == 200


async def test_unknown_and_known_names_get_the_same_answers(
    app: FastAPI, actors: dict[str, Actor], client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await new_account(client, actors["supervisor"], role="operator")
    unknown = f"nobody.{uuid.uuid4().hex[:8]}"
    answers: dict[str, list[tuple[int, str]]] = {account["username"]: [], unknown: []}
    # What each login costs: the password hashes it verified against, by their parameters (algorithm,
    # memory, time, lanes). A wall clock on a shared 2-core machine says too little; the work done does.
    work: dict[str, list[list[str]]] = {account["username"]: [], unknown: []}
    verified: list[str] = []
    verify = security._passwords.verify

    def counting(password: str, hash_: str) -> bool:
        verified.append(hash_.rsplit("$", 2)[0])
        return verify(password, hash_)

    monkeypatch.setattr(security._passwords, "verify", counting)
    for i in range(11):
        for name in answers:
            verified.clear()
            async with from_address(app, f"198.18.{i}.1") as c:
                r = await login(c, name, f"wrong guess {i}")
            answers[name].append((r.status_code, r.json()["detail"]))
            work[name].append(list(verified))
    assert answers[account["username"]] == answers[unknown]
    assert [s for s, _ in answers[unknown]] == [401] * 9 + [429] * 2
    assert work[account["username"]] == work[unknown]
    assert all(len(w) == 1 and w[0].startswith("$argon2") for w in work[unknown][:9])


@pytest.fixture
async def cors_app(
    database_url: str, engine: AsyncEngine, actors: dict[str, Actor]
) -> AsyncIterator[FastAPI]:
    await truncate(engine)
    application = create_app(make_settings(database_url, cors_origins=["https://konsol.example.id"]))
    async with application.router.lifespan_context(application):
        yield application


async def test_cors_preflight_from_a_configured_origin_only(cors_app: FastAPI) -> None:
    async with from_address(cors_app, "198.51.100.8") as c:
        ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
        r = await c.options(f"{API}/live/ticket", headers={"Origin": "https://konsol.example.id", **ask})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://konsol.example.id"
        assert "authorization" in r.headers["access-control-allow-headers"].lower()
        r = await c.options(f"{API}/live/ticket", headers={"Origin": "https://evil.example", **ask})
        assert r.status_code == 400 and "access-control-allow-origin" not in r.headers


async def test_every_account_change_is_audited(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    account = await new_account(client, actors["supervisor"], role="crew")
    r = await client.post(
        f"{API}/users/{account['id']}/password",
        json={"password": "another pass 1"},
        headers=actors["supervisor"].headers,
    )
    assert r.status_code == 200
    async with db() as session:
        rows = (
            await session.scalars(select(AuditEntry).where(AuditEntry.entity_id == uuid.UUID(account["id"])))
        ).all()
    assert {(r.action, r.actor) for r in rows} == {
        ("create", "t.supervisor"),
        ("password_reset", "t.supervisor"),
    }
