"""Security headers on every answer: JSON, problems, the early 413, the docs page."""

from __future__ import annotations

import httpx

from tests import factories
from tests.conftest import Actor

STRICT = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _secured(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_every_kind_of_answer_carries_the_headers(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    h = actors["operator"].headers
    made = await client.post("/api/v1/reports", json=factories.report(), headers=h)
    answers = [
        made,
        await client.get(f"/api/v1/incidents/{made.json()['incident_id']}", headers=h),
        await client.get("/api/v1/incidents/not-a-uuid", headers=h),
        await client.get("/api/v1/incidents"),
        await client.get("/api/v1/nothing-here"),
        await client.post("/api/v1/reports", json=factories.report(description="x" * 70_000), headers=h),
        await client.get("/healthz"),
        await client.get("/openapi.json"),
    ]
    assert [r.status_code for r in answers] == [201, 200, 422, 401, 404, 413, 200, 200]
    for r in answers:
        _secured(r)
        assert r.headers["content-security-policy"] == STRICT
        # Personal data is never kept by a browser or a proxy.
        assert r.headers["cache-control"] == "no-store"


async def test_the_docs_page_works_under_its_policy(client: httpx.AsyncClient) -> None:
    r = await client.get("/docs")
    assert r.status_code == 200
    _secured(r)
    assert "https://cdn.jsdelivr.net" in r.headers["content-security-policy"]


async def test_a_crew_ping_answers_the_json_it_documents(
    client: httpx.AsyncClient, app: object, actors: dict[str, Actor]
) -> None:
    spec = (await client.get("/openapi.json")).json()
    documented = spec["paths"]["/api/v1/crews/{crew_id}/location"]["post"]["responses"]["202"]
    assert documented["content"]["application/json"]["schema"]["$ref"].endswith("/LocationAck")
    assert "X-Position-Kept" in documented["headers"]
