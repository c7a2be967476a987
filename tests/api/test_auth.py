from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from app.settings import DEV_SECRET, Settings
from tests import factories
from tests.conftest import PASSWORD, Actor


async def test_password_flow_token_works(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    r = await client.post("/api/v1/auth/token", data={"username": "t.operator", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "bearer" and token["expires_in"] > 0
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json()["username"] == "t.operator" and me.json()["region_code"] == "21.71"


@pytest.mark.parametrize(("username", "password"), [("t.operator", "wrong password"), ("nobody", PASSWORD)])
async def test_wrong_credentials_are_401(
    client: httpx.AsyncClient, actors: dict[str, Actor], username: str, password: str
) -> None:
    r = await client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


async def test_tampered_token_is_401(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    header = actors["operator"].headers["Authorization"]
    forged = header[:-4] + ("AAAA" if not header.endswith("AAAA") else "BBBB")
    r = await client.get("/api/v1/incidents", headers={"Authorization": forged})
    assert r.status_code == 401


async def test_api_key_for_integrations(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    r = await client.post(
        "/api/v1/api-keys",
        json={"user_id": str(actors["operator"].id), "name": "Lapor Bupati"},
        headers=actors["admin"].headers,
    )
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    assert key.startswith("tgk_") and r.json()["prefix"] == key[:10]
    r = await client.post(
        "/api/v1/reports", json=factories.report(channel="referral"), headers={"X-API-Key": key}
    )
    assert r.status_code == 201
    assert (await client.get("/api/v1/incidents", headers={"X-API-Key": key + "x"})).status_code == 401
    r = await client.post(
        "/api/v1/api-keys",
        json={"user_id": str(actors["operator"].id), "name": "x"},
        headers=actors["supervisor"].headers,
    )
    assert r.status_code == 403
    r = await client.post(
        "/api/v1/api-keys",
        json={"user_id": str(actors["operator_jember"].id), "name": "x"},
        headers=actors["admin_batam"].headers,
    )
    assert r.status_code == 404


async def test_admin_creates_users_in_own_region(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    body = {
        "username": "op.batam.new",
        "role": "operator",
        "region_code": "21.71",
        "password": "a long password",
    }
    r = await client.post("/api/v1/users", json=body, headers=actors["admin_batam"].headers)
    assert r.status_code in (201, 409), r.text  # the accounts table is kept between tests
    jember = {**body, "username": "op.jember.new", "region_code": "35.09"}
    assert (
        await client.post("/api/v1/users", json=jember, headers=actors["admin_batam"].headers)
    ).status_code == 403
    national = {**body, "username": "op.national", "region_code": ""}
    assert (
        await client.post("/api/v1/users", json=national, headers=actors["admin"].headers)
    ).status_code == 422
    unknown = {**body, "username": "op.nowhere", "region_code": "99.99"}
    assert (
        await client.post("/api/v1/users", json=unknown, headers=actors["admin"].headers)
    ).status_code == 422
    assert (
        await client.post("/api/v1/users", json=body, headers=actors["operator"].headers)
    ).status_code == 403
    listed = (await client.get("/api/v1/users", headers=actors["admin_batam"].headers)).json()
    assert all(u["region_code"].startswith("21.71") for u in listed)


def test_production_refuses_default_secret() -> None:
    with pytest.raises(ValidationError, match="TANGGAP_SECRET_KEY"):
        Settings(env="production", secret_key=DEV_SECRET)
    with pytest.raises(ValidationError, match="TANGGAP_SECRET_KEY"):
        Settings(env="production", secret_key="short")
    assert Settings(env="production", secret_key="s" * 40).env == "production"
    assert Settings(env="development").secret_key == DEV_SECRET
