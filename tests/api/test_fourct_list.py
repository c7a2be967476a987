"""The incident list carries the 4CT fields and filters on them, in one query for the page, without
auditing the list as a read of personal data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import logs
from app.db import unit_of_work
from app.services import timers
from tests import factories
from tests.conftest import Actor, count


async def _report(client: httpx.AsyncClient, actor: Actor, minutes_ago: int, words: str) -> str:
    received = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    body = factories.report(received_at=received.isoformat(), description=f"ODGJ ngamuk di {words}")
    r = await client.post("/api/v1/reports", headers=actor.headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["incident_id"])


async def _ids(client: httpx.AsyncClient, actor: Actor, **params: Any) -> set[str]:
    r = await client.get("/api/v1/incidents", params=params, headers=actor.headers)
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["items"]}


async def test_list_has_4ct_fields_and_filters(
    app: FastAPI, client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op, sup = actors["operator"], actors["supervisor"]
    # P1 targets: temu 30 min, tanggap 45, tindak 240, tuntas 1440.
    old = await _report(client, op, 300, "pasar")  # temu, tanggap, tindak breached
    late = await _report(client, op, 40, "simpang")  # temu breached; tanggap due in 5 minutes
    fresh = await _report(client, op, 1, "pelabuhan")  # nothing breached; temu due in 29 minutes
    async with unit_of_work(db) as session:
        await timers.record_breaches(session, datetime.now(UTC))

    audited = await count(db, "audit_log")
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if logs.request_id() is not None:  # the request's, not the background tasks' (no request id)
            statements.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", seen)
    try:
        r = await client.get("/api/v1/incidents", headers=sup.headers)
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", seen)
    assert r.status_code == 200
    # The caller's account, the page: one query for all rows, whatever their number (no N+1).
    selects = [s for s in statements if s.lstrip().startswith("SELECT")]
    assert len([s for s in selects if "FROM incidents" in s]) == 1, statements
    assert len(selects) == 2, statements
    assert await count(db, "audit_log") == audited  # a list is not a read of anyone's personal data

    items = {i["id"]: i for i in r.json()["items"]}
    four_ct = items[old]["four_ct"]
    assert four_ct["breached"] == ["temu", "tanggap", "tindak"]
    assert set(four_ct["deadlines"]) == {"temu", "tanggap", "tindak", "tuntas"}
    assert four_ct["found_at"] is None and four_ct["completed_at"] is None
    received = datetime.fromisoformat(items[late]["first_received_at"])
    due = datetime.fromisoformat(items[late]["four_ct"]["deadlines"]["tanggap"])
    assert due - received == timedelta(minutes=45)
    assert items[late]["four_ct"]["breached"] == ["temu"]
    assert items[fresh]["four_ct"]["breached"] == []
    assert "reporter" not in items[old] and "subject_name" not in items[old]

    assert await _ids(client, sup, breached="tindak") == {old}
    assert await _ids(client, sup, breached="temu") == {old, late}
    assert await _ids(client, sup, breached=["tanggap", "temu"]) == {old, late}
    assert await _ids(client, sup, breached="any") == {old, late}
    assert await _ids(client, sup, breached="tuntas") == set()
    soon = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    assert await _ids(client, sup, deadline_before=soon) == {late}
    within_hour = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await _ids(client, sup, deadline_before=within_hour) == {late, fresh}
    assert await _ids(client, sup, deadline_before=within_hour, breached="temu") == {late}
    # Combined with the others and with paging (order=priority): the same rows, page by page.
    r = await client.get(
        "/api/v1/incidents", params={"breached": "temu", "order": "priority", "limit": 1}, headers=sup.headers
    )
    first = r.json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    r = await client.get(
        "/api/v1/incidents",
        params={"breached": "temu", "order": "priority", "limit": 1, "cursor": first["next_cursor"]},
        headers=sup.headers,
    )
    assert {first["items"][0]["id"], r.json()["items"][0]["id"]} == {old, late}
    r = await client.get("/api/v1/incidents", params={"breached": "cepat"}, headers=sup.headers)
    assert r.status_code == 422
