"""Bad input gets a clear problem+json 4xx naming what was wrong, and writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests import factories
from tests.conftest import Actor, count

LOC = factories.report()["location"]
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown field", factories.report(colour="red"), "colour"),
    ("unknown nested field", factories.report(subject={"count": 1, "mood": "sad"}), "subject.mood"),
    (
        "missing description",
        {k: v for k, v in factories.report().items() if k != "description"},
        "description",
    ),
    ("empty description", factories.report(description=""), "description"),
    ("oversized description", factories.report(description="x" * 4001), "description"),
    ("oversized address", factories.report(location={**LOC, "address": "a" * 501}), "location.address"),
    (
        "latitude outside Indonesia",
        factories.report(location={**LOC, "lat": 35.68, "lon": 139.69}),
        "location.lat",
    ),
    ("longitude outside Indonesia", factories.report(location={**LOC, "lon": 151.2}), "location.lon"),
    ("lat without lon", factories.report(location={"lat": 1.14, "region_code": "21.71"}), "location"),
    (
        "unknown region code",
        factories.report(location={**LOC, "region_code": "21.71.99.9999"}),
        "location.region_code",
    ),
    (
        "malformed region code",
        factories.report(location={**LOC, "region_code": "2171"}),
        "location.region_code",
    ),
    ("invalid phone", factories.report(reporter={"name": "A", "phone": "12345"}), "reporter.phone"),
    (
        "anonymous with phone",
        factories.report(reporter={"anonymous": True, "phone": "081234567890"}),
        "reporter",
    ),
    ("unknown category", factories.report(category="XYZ"), "category"),
    ("unknown channel", factories.report(channel="pigeon"), "channel"),
    ("unknown flag", factories.report(subject={"flags": ["grumpy"]}), "subject.flags.0"),
    ("negative count", factories.report(subject={"count": 0}), "subject.count"),
    ("bad NIK", factories.report(subject={"nik": "12345"}), "subject.nik"),
    (
        "future received_at",
        factories.report(received_at=(datetime.now(UTC) + timedelta(hours=2)).isoformat()),
        "received_at",
    ),
    ("naive received_at", factories.report(received_at="2026-11-22T10:00:00"), "received_at"),
    ("wrong type", factories.report(subject={"count": "many"}), "subject.count"),
]


@pytest.mark.parametrize(("why", "body", "field"), CASES, ids=[c[0] for c in CASES])
async def test_invalid_report_is_422_naming_the_field(
    client: httpx.AsyncClient,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    why: str,
    body: dict[str, Any],
    field: str,
) -> None:
    r = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
    assert r.status_code == 422, (why, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422 and problem["title"] and problem["type"].startswith("https://")
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await count(db, "reports") == 0
    assert await count(db, "events") == 0


async def test_malformed_json_is_400(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    r = await client.post(
        "/api/v1/reports",
        content=b'{"channel": "call_center",',
        headers={**actors["operator"].headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert "JSON" in r.json()["detail"]
    assert await count(db, "reports") == 0


async def test_wrong_content_type_is_415(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    r = await client.post(
        "/api/v1/reports",
        content=b"channel=call_center",
        headers={**actors["operator"].headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"


async def test_oversized_body_is_413(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    body = factories.report(description="x" * 70_000)
    r = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert await count(db, "reports") == 0


async def test_chunked_oversized_body_is_413(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 8192

    r = await client.post(
        "/api/v1/reports",
        content=chunks(),
        headers={**actors["operator"].headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 413


@pytest.mark.parametrize("auth", [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz"])
async def test_missing_or_bad_credentials_are_401(
    client: httpx.AsyncClient, auth: str | None, db: async_sessionmaker[AsyncSession]
) -> None:
    headers = {"Authorization": auth} if auth else {}
    r = await client.post("/api/v1/reports", json=factories.report(), headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert await count(db, "reports") == 0


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await client.delete("/api/v1/reports")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"


async def test_bad_query_and_path_parameters(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    h = actors["operator"].headers
    r = await client.get("/api/v1/incidents/not-a-uuid", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path.incident_id"
    r = await client.get("/api/v1/incidents", params={"priority": 9}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.priority"
    r = await client.get("/api/v1/incidents", params={"cursor": "garbage"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.cursor"
