from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests import factories
from tests.conftest import Actor


async def _seed(client: httpx.AsyncClient, actors: dict[str, Actor]) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    made = []
    specs = [
        ("ODGJ", ["agitated"], "call_center"),
        ("LUT", ["elderly"], "social_media"),
        ("GEL", [], "patrol"),
        ("ODGJ", [], "call_center"),
        ("PENG", [], "community"),
        ("KTK", ["injured"], "referral"),
        ("GEL", [], "walk_in"),
    ]
    for i, (category, flags, channel) in enumerate(specs):
        body = factories.report(
            category=category,
            channel=channel,
            # A description that says no more than the category and flags chosen (the triage reads it too).
            description=f"laporan {category.lower()} nomor {i}",
            subject={"approx_age": 40, "flags": flags},
            received_at=(now - timedelta(minutes=10 * (7 - i))).isoformat(),
        )
        r = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
        assert r.status_code == 201, r.text
        made.append(r.json())
    jember = factories.report(location={"region_code": factories.JEMBER_VILLAGE})
    r = await client.post("/api/v1/reports", json=jember, headers=actors["operator_jember"].headers)
    assert r.status_code == 201
    return made


async def _all_pages(client: httpx.AsyncClient, actor: Actor, **params: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        q: dict[str, str | int] = {**params, "limit": 2, **({"cursor": str(cursor)} if cursor else {})}
        r = await client.get("/api/v1/incidents", params=q, headers=actor.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_cursor_pages_newest_first(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    made = await _seed(client, actors)
    items = await _all_pages(client, actors["operator"])
    assert [i["id"] for i in items] == [m["incident_id"] for m in reversed(made)]


async def test_priority_order_is_the_work_queue(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    await _seed(client, actors)
    items = await _all_pages(client, actors["operator"], order="priority")
    keys = [(i["priority"], i["created_at"]) for i in items]
    assert keys == sorted(keys)
    assert [i["priority"] for i in items][:2] == [1, 1]
    assert len(items) == 7


async def test_filters(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    made = await _seed(client, actors)
    op = actors["operator"]

    async def ids(**params: str | int) -> set[str]:
        r = await client.get("/api/v1/incidents", params={**params, "limit": 200}, headers=op.headers)
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]}

    assert len(await ids(category="GEL")) == 2
    assert len(await ids(priority=1)) == 2
    assert await ids(channel="social_media") == {made[1]["incident_id"]}
    assert len(await ids(region="21.71.06")) == 7
    assert await ids(region="21.71.01") == set()
    assert len(await ids(status="received")) == 7
    assert await ids(status="verified") == set()
    first_created = (
        await client.get(f"/api/v1/incidents/{made[3]['incident_id']}", headers=op.headers)
    ).json()["created_at"]
    assert len(await ids(created_since=first_created)) == 4
    assert len(await ids(created_until=first_created)) == 3


async def test_region_scope(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    await _seed(client, actors)
    r = await client.get("/api/v1/incidents", headers=actors["operator_jember"].headers)
    assert len(r.json()["items"]) == 1
    r = await client.get(
        "/api/v1/incidents", params={"region": "21.71"}, headers=actors["operator_jember"].headers
    )
    assert r.status_code == 404
    r = await client.get(
        "/api/v1/incidents", params={"region": "35"}, headers=actors["operator_jember"].headers
    )
    assert r.status_code == 200 and len(r.json()["items"]) == 1
    r = await client.get("/api/v1/incidents", params={"limit": 200}, headers=actors["admin"].headers)
    assert len(r.json()["items"]) == 8
