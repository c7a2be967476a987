"""Holes a review of the dispatch found, each shown closed: rounds that ran back to back, a console of another
region acting on a crew, a race between reading a crew's job and locking it, verifications and reopenings
that never reached a round, a deactivated member still reading contacts, naive timestamps answering 500.
Every test here failed on the code the review read."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import DispatchRegion
from app.services.access import Principal
from tests.conftest import Actor
from tests.dispatch_helpers import Shift, eventually, offers, pending_offer, post, settle

TANJUNGPINANG = {
    "channel": "call_center",
    "category": "GEL",
    "description": "gepeng di pelabuhan",
    "location": {"region_code": "21.72.01.1001"},
    "subject": {"count": 1, "flags": []},
    "reporter": {"name": "Siti", "phone": "0812-3456-7890"},
}


async def _region(db: async_sessionmaker[AsyncSession], code: str) -> DispatchRegion | None:
    async with db() as s:
        return await s.get(DispatchRegion, code)


async def test_a_waiting_incident_does_not_make_rounds_run_back_to_back(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(0)  # a team, nobody on duty
    incident = await shift.report(description="gepeng")
    await shift.verify(incident)
    await settle(db, 1.5)
    seen = set()
    for _ in range(50):
        async with db() as s:
            sql = text("SELECT last_round_at FROM dispatch_regions WHERE region_code = '21.71'")
            seen.add((await s.execute(sql)).scalar())
        await asyncio.sleep(0.02)
    assert len(seen) == 1, f"{len(seen)} rounds in one second with one incident waiting"
    region = await _region(db, "21.71")
    assert region is not None and region.due_at is not None and region.due_at > datetime.now(UTC)


async def test_a_console_of_another_region_cannot_set_a_crews_status(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    r = await client.post(
        f"/api/v1/crews/{crew_id}/status",
        json={"status": "out_of_service", "reason": "iseng dari Jember"},
        headers=actors["operator_jember"].headers,
    )
    assert r.status_code == 404, r.text
    assert (await shift.crew(crew_id))["status"] == "available"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/crews/on-duty", {"at": "2026-01-01T00:00:00"}),
        ("{base}/crews", {"since": "2026-01-01T00:00:00", "until": "2026-01-02T00:00:00"}),
    ],
)
async def test_naive_timestamps_are_refused_not_500(
    client: httpx.AsyncClient, actors: dict[str, Actor], path: str, params: dict[str, str]
) -> None:
    shift = await Shift(client, actors).start(0)
    r = await client.get(path.format(base=shift.base), params=params, headers=actors["supervisor"].headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text


async def test_a_position_with_a_far_past_timestamp_is_refused_not_500(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    r = await client.post(
        f"/api/v1/crews/{crew_id}/location",
        json={"lat": 1.15, "lon": 104.0, "at": "0001-01-01T00:00:00+14:00"},
        headers=shift.crew_headers[crew_id],
    )
    assert r.status_code < 500, r.text


async def test_verified_through_transitions_is_offered(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(1)
    incident = await shift.report(description="gepeng")
    await post(
        client, actors["operator"], f"/api/v1/incidents/{incident}/transitions", {"to": "verified"}, 200
    )
    assert (await pending_offer(db, incident))["crew_id"] == shift.ids()[0]


async def test_a_reopened_case_gets_a_crew_again(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    phone = shift.crew_headers[crew_id]
    incident = await shift.report(description="gepeng")
    await shift.verify(incident)
    offer = await pending_offer(db, incident)
    await post(client, phone, f"/api/v1/offers/{offer['id']}/accept", expect=200)
    for step in ("en_route", "on_scene", "handling"):
        await post(client, phone, f"/api/v1/crews/{crew_id}/status", {"status": step}, expect=200)
    done = {"to": "resolved", "outcome": "shelter"}
    await post(client, phone, f"/api/v1/incidents/{incident}/transitions", done, expect=200)
    await post(client, phone, f"/api/v1/crews/{crew_id}/status", {"status": "available"}, expect=200)
    reopen = {"to": "handling", "reason": "orangnya kabur lagi dari shelter"}
    await post(client, actors["supervisor"], f"/api/v1/incidents/{incident}/transitions", reopen, expect=200)

    async def assigned() -> dict[str, Any] | None:
        detail = await shift.incident(incident)
        return detail if detail["assigned_crew_id"] == crew_id else None

    detail = await eventually(assigned, what="a crew for the reopened case")
    assert detail["status"] == "handling"
    assert "incident.reopened" in [e["type"] for e in detail["timeline"]]


async def test_a_deactivated_member_no_longer_reads_the_contacts(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    phone = shift.crew_headers[crew_id]
    incident = await shift.report(description="gepeng")
    await shift.verify(incident)
    offer = await pending_offer(db, incident)
    await post(client, phone, f"/api/v1/offers/{offer['id']}/accept", expect=200)
    person = shift.people[0]
    r = await client.patch(
        f"/api/v1/personnel/{person['id']}", json={"active": False}, headers=actors["supervisor"].headers
    )
    assert r.status_code == 200, r.text
    job = (await client.get("/api/v1/me/assignment", headers=phone)).json()
    assert job["incident"] is None
    masked = (await client.get(f"/api/v1/incidents/{incident}", headers=phone)).json()
    assert "*" in masked["reports"][0]["reporter"]["phone"]


async def test_an_offer_made_between_reading_a_crews_job_and_locking_it_is_no_500(
    client: httpx.AsyncClient,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batam's crew helps Tanjungpinang (mutual aid): its offer there is made while the crew's own status
    request has read the crew's job but not locked it yet (forced here). The request locks the other
    kab/kota too, or answers 409 to retry; never a 500, never an unlocked change."""
    from app.models import Crew, Team
    from app.services.dispatch import steps

    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    admin = actors["admin"]
    tp = await post(client, admin, "/api/v1/reports", TANJUNGPINANG)
    await post(client, admin, f"/api/v1/incidents/{tp['incident_id']}/verify", {}, expect=200)
    await pending_offer(db, str(tp["incident_id"]))
    original = steps._crew_and_regions

    async def seen_before_the_offer(
        session: AsyncSession, principal: Principal, crew: uuid.UUID
    ) -> tuple[Crew, Team, list[str]]:
        found, team, regions = await original(session, principal, crew)
        return found, team, regions[:1]

    monkeypatch.setattr(steps, "_crew_and_regions", seen_before_the_offer)
    r = await client.post(
        f"/api/v1/crews/{crew_id}/status",
        json={"status": "out_of_service", "reason": "ban bocor"},
        headers=shift.crew_headers[crew_id],
    )
    assert r.status_code in (200, 409), r.text


async def test_a_p1_does_not_take_a_crew_from_a_neighbours_case(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    admin = actors["admin"]
    tp = str((await post(client, admin, "/api/v1/reports", TANJUNGPINANG))["incident_id"])
    await post(client, admin, f"/api/v1/incidents/{tp}/verify", {}, expect=200)
    offer = await pending_offer(db, tp)
    await post(client, shift.crew_headers[crew_id], f"/api/v1/offers/{offer['id']}/accept", expect=200)
    p1 = await shift.report(category="ODGJ", subject={"flags": ["agitated"]})
    await shift.verify(p1)
    await settle(db, 2.0)
    kept = [o for o in await offers(db, incident_id=tp) if o["status"] == "accepted"]
    assert [o["crew_id"] for o in kept] == [crew_id]
    assert (await shift.incident(p1))["escalated_at"] is not None
