from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from tests import factories
from tests.conftest import Actor, count

PUBLIC_BODY = {
    "location": {
        "region_code": factories.BATAM_VILLAGE,
        "lat": 1.143,
        "lon": 104.011,
        "landmark": "halte Jodoh",
    },
    "category": "AJ",
    "description": "Anak kecil sendirian menangis di halte sejak pagi",
    "subject": {"approx_age": 4, "flags": ["child", "alone"]},
    "reporter": {"name": "Warga", "phone": "+62 812 1111 2222"},
}


async def test_public_report_and_status_without_personal_data(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    r = await client.post("/api/v1/public/reports", json=PUBLIC_BODY)
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert re.fullmatch(r"TG-[0-9A-Z]{5}-[0-9A-Z]{5}", receipt["tracking_code"])
    assert set(receipt) == {"tracking_code", "status", "received_at"}

    status = (await client.get(f"/api/v1/public/reports/{receipt['tracking_code']}")).json()
    assert status["status"] == "received"
    assert set(status) == {"tracking_code", "status", "category", "received_at", "updated_at"}
    assert "8121111" not in str(status)

    incidents = (await client.get("/api/v1/incidents", headers=actors["operator"].headers)).json()["items"]
    assert len(incidents) == 1 and incidents[0]["priority"] == 1
    iid = incidents[0]["id"]
    await client.post(f"/api/v1/incidents/{iid}/verify", json={}, headers=actors["operator"].headers)
    status = (await client.get(f"/api/v1/public/reports/{receipt['tracking_code']}")).json()
    assert status["status"] == "in_progress"
    detail = (await client.get(f"/api/v1/incidents/{iid}", headers=actors["operator"].headers)).json()
    assert detail["reports"][0]["channel"] == "public_app"
    assert detail["timeline"][0]["actor"] == "public"
    assert await count(db, "audit_log") >= 1


async def test_public_report_needs_region_and_is_validated(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    body = {**PUBLIC_BODY, "location": {"lat": 1.143, "lon": 104.011}}
    r = await client.post("/api/v1/public/reports", json=body)
    assert r.status_code == 422
    r = await client.post("/api/v1/public/reports", json={**PUBLIC_BODY, "channel": "call_center"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "channel"
    assert await count(db, "reports") == 0


async def test_unknown_tracking_code_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/public/reports/TG-AAAAA-BBBBB")).status_code == 404
    assert (await client.get("/api/v1/public/reports/not-a-code")).status_code == 422


async def test_public_idempotency(client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]) -> None:
    headers = {"Idempotency-Key": "app-install-42-report-1"}
    a = await client.post("/api/v1/public/reports", json=PUBLIC_BODY, headers=headers)
    b = await client.post("/api/v1/public/reports", json=PUBLIC_BODY, headers=headers)
    assert a.json() == b.json() and b.headers["idempotent-replayed"] == "true"
    assert await count(db, "reports") == 1


async def test_rate_limit_per_client(
    app: FastAPI, database_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    settings: Settings = app.state.settings
    app.state.settings = settings.model_copy(
        update={"public_rate_limit": 3, "public_rate_window_seconds": 3600}
    )
    try:

        async def post(ip: str) -> httpx.Response:
            transport = httpx.ASGITransport(app=app, client=(ip, 1234))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await c.post("/api/v1/public/reports", json=PUBLIC_BODY)

        codes = [(await post("203.0.113.1")).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        limited = await post("203.0.113.1")
        assert limited.headers["content-type"] == "application/problem+json"
        assert 0 < int(limited.headers["retry-after"]) <= 3600
        assert (await post("203.0.113.2")).status_code == 201
        assert await count(db, "reports") == 4
    finally:
        app.state.settings = settings
