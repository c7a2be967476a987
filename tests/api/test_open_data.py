"""Open data against hand counts on a small fixed dataset: Kota Mataram (52.71, WITA, UTC+8) and Kota Jayapura
(91.71, WIT, UTC+9), October 2026, with cases a few minutes either side of the month's local midnights.

Real October cases (each in its own kab/kota's month):
    Mataram 52.71.01 (Ampenan): ODGJ 6, LUT 2   52.71.02: ODGJ 5, LUT 7    Jayapura 91.71.01: ODGJ 5
National: 52.71 LUT 9 ODGJ 11 (20), 91.71 LUT 0 ODGJ 5 (5); all 25. Nothing is small there: all published.
Mataram's kecamatan table: the 2 is hidden, and with it 6 (next in its row), 7 (next in its column) and 5
(closing the cycle); its totals (8, 12, 9, 11, 20) stay, and no hidden cell follows from them.
Not counted: before or after the month locally (though within it in WIB or UTC), unverified, rejected,
cancelled, merged, closed as not found.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.models import Incident, OpenDataFigures
from app.models.base import utcnow
from app.services import opendata
from app.settings import Settings

M = timedelta(minutes=1)
MID = datetime(2026, 10, 15, 3, 0, tzinfo=UTC)
WITA_OCT_START = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 1 Oct 00:00 WITA
WITA_NOV_START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 1 Nov 00:00 WITA (23:00 WIB 31 Oct)
WIT_OCT_START = datetime(2026, 9, 30, 15, 0, tzinfo=UTC)
WIT_NOV_START = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)


def _incident(code: str, at: datetime, category: str, status: str = "closed", **extra: Any) -> Incident:
    return Incident(
        id=uuid.uuid4(),
        status=status,
        category=category,
        priority=1,
        region_code=code,
        first_received_at=at,
        created_at=at,
        updated_at=at,
        **extra,
    )


@pytest.fixture
async def dataset(db: async_sessionmaker[AsyncSession]) -> None:
    rows: list[Incident] = []

    def add(code: str, category: str, n: int, at: datetime = MID, **extra: Any) -> None:
        rows.extend(_incident(code, at + i * M, category, **extra) for i in range(n))

    # Ampenan ODGJ: 6, of which the first at 00:10 WITA 1 Oct and one at 23:50 WITA 31 Oct; five found in
    # 10 minutes (temu met), the others never (breached).
    add("52.71.01.1004", "ODGJ", 1, WITA_OCT_START + 10 * M, found_at=WITA_OCT_START + 20 * M)
    add("52.71.01", "ODGJ", 1, WITA_NOV_START - 10 * M, found_at=WITA_NOV_START)
    add("52.71.01", "ODGJ", 3, found_at=MID + 10 * M, status="handling")
    add("52.71.01", "ODGJ", 1)
    add("52.71.01", "LUT", 2, status="verified")
    add("52.71.02", "ODGJ", 5, outcome="rsj")
    add("52.71.02", "LUT", 7, status="resolved")
    # Jayapura ODGJ: 5, the first at 00:05 WIT 1 Oct.
    add("91.71.01", "ODGJ", 1, WIT_OCT_START + 5 * M)
    add("91.71.01", "ODGJ", 4)
    # Not October's in their own zone: 23:50 WITA 30 Sep; 00:30 WITA 1 Nov (still 31 Oct in WIB and
    # UTC); 00:30 WIT 1 Nov (22:30 WIB 31 Oct); 23:55 WIT 30 Sep.
    add("52.71.01", "ODGJ", 1, WITA_OCT_START - 10 * M)
    add("52.71.01", "ODGJ", 1, WITA_NOV_START + 30 * M)
    add("91.71.01", "ODGJ", 1, WIT_NOV_START + 30 * M)
    add("91.71.01", "ODGJ", 1, WIT_OCT_START - 5 * M)
    # Not real cases: unverified, rejected (hoax), cancelled, not found.
    add("52.71.02", "ODGJ", 1, status="received")
    add("52.71.02", "ODGJ", 1, status="rejected")
    add("52.71.02", "LUT", 1, status="cancelled")
    add("52.71.02", "LUT", 1, outcome="not_found")
    async with unit_of_work(db) as session:
        session.add_all(rows)
        await session.flush()
        # A duplicate merged into another case: not counted twice.
        dup = _incident("52.71.02", MID, "LUT", status="verified")
        session.add(dup)
        await session.flush()
        dup.merged_into_id = rows[0].id
        await session.flush()


async def _json(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    r = await client.get(f"/api/v1/open-data/{path}", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"].startswith("public, max-age=")
    body: dict[str, Any] = r.json()
    return body


def _table(body: dict[str, Any]) -> dict[str | None, list[int | None]]:
    return {row["code"]: [*row["cells"], row["total"]] for row in body["rows"]}


async def test_national_and_kecamatan_counts_by_hand(client: httpx.AsyncClient, dataset: None) -> None:
    national = await _json(client, "incidents", month="2026-10")
    assert national["level"] == "kabkota" and national["region"] is None
    assert [c["code"] for c in national["columns"]] == ["LUT", "ODGJ"]
    assert _table(national) == {"52.71": [9, 11, 20], "91.71": [0, 5, 5]}
    assert national["totals"] == {"cells": [9, 16], "total": 25}
    assert {r["code"]: r["label"] for r in national["rows"]} == {
        "52.71": "Kota Mataram",
        "91.71": "Kota Jayapura",
    }
    assert "disembunyikan" in national["method"] and "kecamatan" in national["method"]

    mataram = await _json(client, "incidents", month="2026-10", region="52.71")
    assert mataram["level"] == "kecamatan"
    assert _table(mataram) == {"52.71.01": [None, None, 8], "52.71.02": [None, None, 12]}
    # The kab/kota's totals are the national row of Mataram, published the same.
    assert mataram["totals"] == {"cells": [9, 11], "total": 20}
    assert mataram["rows"][0]["label"] == "Ampenan"
    jayapura = await _json(client, "incidents", month="2026-10", region="91.71")
    assert _table(jayapura) == {"91.71.01": [0, 5, 5]}
    # A month without cases, a kab/kota without cases.
    empty = await _json(client, "incidents", month="2026-08")
    assert empty["rows"] == [] and empty["totals"] == {"cells": [], "total": 0}
    batam = await _json(client, "incidents", month="2026-10", region="21.71")
    assert batam["rows"] == [] and batam["totals"] == {"cells": [0, 0], "total": 0}
    # September and November hold the cases just outside October in their own zones.
    sept = await _json(client, "incidents", month="2026-09")
    assert [c["code"] for c in sept["columns"]] == ["ODGJ"]
    # One case each, two in all: every figure is small, so all are hidden (never shown as 0).
    assert _table(sept) == {"52.71": [None, None], "91.71": [None, None]}
    assert sept["totals"] == {"cells": [None], "total": None}


async def test_four_ct_compliance_per_kabkota(client: httpx.AsyncClient, dataset: None) -> None:
    body = await _json(client, "four-ct", month="2026-10")
    rows = {r["code"]: r for r in body["rows"]}
    temu = rows["52.71"]["stages"]["temu"]
    # 20 cases, all past their 30-minute temu deadline; 5 found within it (at 10 minutes).
    assert temu == {"decided": 20, "compliance": 0.25, "median_minutes": 10.0}
    assert rows["52.71"]["stages"]["tuntas"]["compliance"] == 0.0
    # Jayapura: 5 decided (all late), no stage reached: no median.
    assert rows["91.71"]["stages"]["temu"] == {"decided": 5, "compliance": 0.0, "median_minutes": None}
    sept = {r["code"]: r for r in (await _json(client, "four-ct", month="2026-09"))["rows"]}
    assert sept["52.71"]["stages"]["temu"] == {"decided": None, "compliance": None, "median_minutes": None}


async def test_cached_and_validated(client: httpx.AsyncClient, dataset: None) -> None:
    r = await client.get("/api/v1/open-data/incidents", params={"month": "2026-10"})
    etag = r.headers["etag"]
    again = await client.get(
        "/api/v1/open-data/incidents", params={"month": "2026-10"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""
    for bad in ({"month": "2026-13"}, {"region": "52"}, {"region": "52.71.01"}, {"region": "21.99"}):
        r = await client.get("/api/v1/open-data/incidents", params=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"] == "application/problem+json"


async def test_page_without_an_account(client: httpx.AsyncClient, dataset: None) -> None:
    r = await client.get("/data-terbuka", params={"bulan": "2026-10"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "Kota Mataram" in page and "Kepatuhan 4CT" in page and "Metode" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe" not in csp and "script-src" not in csp
    # The one inline style is the one the policy allows by its hash.
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    kec = await client.get("/data-terbuka", params={"bulan": "2026-10", "wilayah": "52.71"})
    assert kec.status_code == 200 and "Ampenan" in kec.text
    assert kec.text.count('class="hidden">disembunyikan') == 4
    assert (await client.get("/data-terbuka", params={"wilayah": "52"})).status_code == 422


async def test_rate_limited_per_client(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    app.state.settings = settings.model_copy(
        update={"open_data_rate_limit": 2, "public_rate_window_seconds": 3600}
    )
    try:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            codes = [(await c.get("/api/v1/open-data/incidents")).status_code for _ in range(2)]
            codes.append((await c.get("/data-terbuka")).status_code)
        assert codes == [200, 200, 429]
    finally:
        app.state.settings = settings


# The server's clock as the background refresh is given it: early November, October the last whole month.
T0 = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
EVERY = timedelta(minutes=10)


def _without_time(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "generated_at"}


async def test_served_figures_equal_the_live_computation(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], dataset: None
) -> None:
    """What is stored and served is the same suppression code's output as a live computation."""
    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        async with db() as session:
            live = opendata.bodies(await opendata.compute(session, month), utcnow())
        assert (opendata.INCIDENTS, "") in live and (opendata.FOUR_CT, "") in live
        for (kind, region), body in live.items():
            params = {"month": month, **({"region": region} if region else {})}
            served = await _json(client, kind, **params)
            assert _without_time(served) == _without_time(json.loads(body)), (month, kind, region)
    # Every published count is 0 or at least 5.
    national = await _json(client, "incidents", month="2026-10")
    for row in national["rows"]:
        assert all(c is None or c == 0 or c >= 5 for c in [*row["cells"], row["total"]])


async def test_a_change_appears_after_the_background_refresh(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], dataset: None
) -> None:
    # A fresh install: the first pass computes the recent months and every older one since the first case.
    assert await opendata.refresh(db, every=EVERY, now=T0) == ["2026-11", "2026-10", "2026-09"]
    r = await client.get("/api/v1/open-data/incidents", params={"month": "2026-10"})
    before = r.json()
    assert datetime.fromisoformat(before["generated_at"]) == T0
    assert r.headers["last-modified"] == "Thu, 05 Nov 2026 02:00:00 GMT"
    assert _table(before)["91.71"] == [0, 5, 5]
    # A case is verified in Jayapura: the stored figures stay as they were until the refresh.
    async with unit_of_work(db) as session:
        session.add(_incident("91.71.01", MID, "ODGJ", status="verified"))
    assert (await _json(client, "incidents", month="2026-10")) == before
    # Five minutes on: not due yet.
    assert await opendata.refresh(db, every=EVERY, now=T0 + 5 * M) == []
    # Eleven: the recent months are recomputed, September (closed) is not.
    assert await opendata.refresh(db, every=EVERY, now=T0 + 11 * M) == ["2026-11", "2026-10"]
    r = await client.get(
        "/api/v1/open-data/incidents",
        params={"month": "2026-10"},
        headers={"If-None-Match": r.headers["etag"]},
    )
    assert r.status_code == 200, "a refreshed month has a new ETag"
    after = r.json()
    assert _table(after)["91.71"] == [0, 6, 6]
    assert datetime.fromisoformat(after["generated_at"]) == T0 + 11 * M
    # A late change to a closed month: picked up by the daily pass.
    async with unit_of_work(db) as session:
        session.add(_incident("52.71.01", WITA_OCT_START - 30 * M, "ODGJ", status="verified"))
    assert await opendata.refresh(db, every=EVERY, now=T0 + 12 * M) == []
    next_day = T0 + timedelta(days=1, minutes=1)
    assert await opendata.refresh(db, every=EVERY, now=next_day) == ["2026-11", "2026-10", "2026-09"]
    sept = await _json(client, "incidents", month="2026-09")
    assert _table(sept)["52.71"] == [None, None]  # 2 cases now: still hidden
    # A citizen (no account) gets the refreshed page and JSON.
    page = await client.get("/data-terbuka", params={"bulan": "2026-10", "wilayah": "91.71"})
    assert page.status_code == 200 and "Kota Jayapura" in page.text
    assert (await client.get("/api/v1/open-data/four-ct", params={"month": "2026-10"})).status_code == 200
    assert page.headers["last-modified"] == "Fri, 06 Nov 2026 02:01:00 GMT"


async def test_a_stored_row_of_another_format_is_recomputed(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], dataset: None
) -> None:
    await opendata.refresh_month(db, "2026-10", now=T0)
    async with unit_of_work(db) as session:
        await session.execute(update(OpenDataFigures).values(format=opendata.FORMAT - 1, body="{}"))
    body = await _json(client, "incidents", month="2026-10")
    assert _table(body)["52.71"] == [9, 11, 20]


@pytest.mark.parametrize("locked", [True, False], ids=["advisory-lock", "no-lock"])
async def test_concurrent_first_requests_compute_once(
    db: async_sessionmaker[AsyncSession], dataset: None, monkeypatch: pytest.MonkeyPatch, locked: bool
) -> None:
    """Two first requests for a month never computed, as if on two workers (each its own in-process lock):
    the advisory lock makes one compute and the other read what it stored. Without it both compute (the
    `no-lock` case shows the test catches that)."""
    if db.kw["bind"].dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (SQLite: one process, its write lock serialises the computations)")
    monkeypatch.setattr(opendata, "_local_lock", lambda month: asyncio.Lock())
    if not locked:

        async def no_lock(session: AsyncSession, month: str, *, wait: bool) -> bool:
            return True

        monkeypatch.setattr(opendata, "_claim", no_lock)
    real_compute = opendata.compute
    calls: list[str] = []

    async def waiting_advisory_locks() -> int:
        async with db() as session:
            q = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            return int(await session.scalar(text(q)) or 0)

    async def compute(session: AsyncSession, month: str, now: datetime | None = None) -> Any:
        calls.append(month)
        # The first computation goes on once the other request is either waiting for the lock or computing.
        for _ in range(600):
            if len(calls) > 1 or await waiting_advisory_locks():
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the second request neither waited nor computed")
        return await real_compute(session, month, now)

    monkeypatch.setattr(opendata, "compute", compute)
    results = await asyncio.gather(
        opendata.published(db, "2026-10", opendata.INCIDENTS),
        opendata.published(db, "2026-10", opendata.INCIDENTS),
        return_exceptions=True,
    )
    assert len(calls) == (1 if locked else 2)
    if locked:
        first, second = results
        assert isinstance(first, opendata.Published) and isinstance(second, opendata.Published)
        assert first.body == second.body


async def test_the_refresh_loop_stores_and_stops(db: async_sessionmaker[AsyncSession], dataset: None) -> None:
    """The loop the app starts (open_data_refresh_seconds > 0): its first pass stores every month since the
    first case; it ends when told to."""
    stop = asyncio.Event()
    task = asyncio.create_task(opendata.run(db, stop, every=600))
    try:
        for _ in range(1200):
            async with db() as session:
                months = set(await session.scalars(select(OpenDataFigures.month).distinct()))
            if {"2026-09", "2026-10"} <= months:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the loop stored nothing")
    finally:
        stop.set()
        await task
