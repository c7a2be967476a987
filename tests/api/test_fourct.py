from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.dispatch import fourct
from app.dispatch.lifecycle import Stage
from app.services import timers
from tests import factories
from tests.conftest import Actor

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_next_due_and_breaches() -> None:
    met: dict[Stage, datetime | None] = {}
    assert fourct.next_due(1, T0, met, []) == T0 + timedelta(minutes=30)
    assert fourct.breaches(1, T0, met, [], T0 + timedelta(minutes=29)) == []
    assert fourct.breaches(1, T0, met, [], T0 + timedelta(minutes=50)) == [Stage.temu, Stage.tanggap]
    assert fourct.next_due(1, T0, met, ["temu", "tanggap"]) == T0 + timedelta(minutes=240)
    met = {Stage.temu: T0 + timedelta(minutes=20)}
    assert fourct.breaches(1, T0, met, [], T0 + timedelta(minutes=50)) == [Stage.tanggap]
    assert fourct.next_due(4, T0, dict.fromkeys(fourct.STAGES, T0), []) is None


async def test_breach_is_an_event_once(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    received = datetime.now(UTC) - timedelta(minutes=50)
    r = await client.post(
        "/api/v1/reports", headers=op.headers, json=factories.report(received_at=received.isoformat())
    )
    iid = r.json()["incident_id"]
    # The app's own scheduler ticks every second and may record them first: count the events, not the calls.
    async with unit_of_work(db) as session:
        assert await timers.record_breaches(session, datetime.now(UTC)) <= 2
    async with unit_of_work(db) as session:
        assert await timers.record_breaches(session, datetime.now(UTC)) == 0
    d = (await client.get(f"/api/v1/incidents/{iid}", headers=op.headers)).json()
    assert d["four_ct"]["breached"] == ["temu", "tanggap"]
    assert set(d["four_ct"]["deadlines"]) == {"temu", "tanggap", "tindak", "tuntas"}
    breaches = [e["data"]["stage"] for e in d["timeline"] if e["type"] == "incident.4ct_breached"]
    assert breaches == ["temu", "tanggap"]
    # A closed-out incident has no timers left.
    await client.post(
        f"/api/v1/incidents/{iid}/reject", json={"reason": "hoax", "note": "iseng"}, headers=op.headers
    )
    async with unit_of_work(db) as session:
        assert await timers.record_breaches(session, datetime.now(UTC) + timedelta(days=30)) == 0


def test_team_targets_merge_and_must_be_ordered() -> None:
    merged = fourct.merge({"1": {"temu": 20}})
    assert (
        merged[1][Stage.temu] == 20
        and merged[1][Stage.tanggap] == 45
        and merged[2] == fourct.TARGET_MINUTES[2]
    )
    assert fourct.problems(merged) == []
    assert fourct.problems(fourct.merge({"2": {"tanggap": 10}})) == [
        "P2: temu <= tanggap <= tindak <= tuntas"
    ]
    assert fourct.next_due(1, T0, {}, [], merged) == T0 + timedelta(minutes=20)


async def test_a_team_sets_its_own_targets(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    team = (
        await client.post(
            "/api/v1/teams",
            json={"name": "TRC Batam", "region_code": "21.71"},
            headers=actors["admin"].headers,
        )
    ).json()
    op, sup = actors["operator"], actors["supervisor"]
    received = datetime.now(UTC) - timedelta(minutes=25)
    r = await client.post(
        "/api/v1/reports", headers=op.headers, json=factories.report(received_at=received.isoformat())
    )
    iid = r.json()["incident_id"]
    # Default P1 temu target is 30 min: nothing breached yet.
    async with unit_of_work(db) as session:
        assert await timers.record_breaches(session, datetime.now(UTC)) == 0
    bad = await client.patch(
        f"/api/v1/teams/{team['id']}", json={"four_ct_targets": {"1": {"tanggap": 5}}}, headers=sup.headers
    )
    assert bad.status_code == 422 and "temu <= tanggap" in bad.json()["detail"]
    for name in ("operator", "crew"):
        r = await client.patch(
            f"/api/v1/teams/{team['id']}",
            json={"four_ct_targets": {"1": {"temu": 20}}},
            headers=actors[name].headers,
        )
        assert r.status_code == 403
    r = await client.patch(
        f"/api/v1/teams/{team['id']}", json={"four_ct_targets": {"1": {"temu": 20}}}, headers=sup.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["four_ct_targets"]["1"]["temu"] == 20
    # The open incident follows the team's 20 minutes: temu is breached now (by this call or by the app's
    # scheduler, whichever comes first; once).
    async with unit_of_work(db) as session:
        assert await timers.record_breaches(session, datetime.now(UTC)) <= 1
    d = (await client.get(f"/api/v1/incidents/{iid}", headers=op.headers)).json()
    [breach] = [e["data"] for e in d["timeline"] if e["type"] == "incident.4ct_breached"]
    assert breach["stage"] == "temu" and breach["target_minutes"] == 20
    r = await client.patch(f"/api/v1/teams/{team['id']}", json={"four_ct_targets": {}}, headers=sup.headers)
    assert r.json()["four_ct_targets"]["1"]["temu"] == 30
