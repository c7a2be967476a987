"""Team administration: people, vehicles and the roster, and what dispatch makes of them (a vehicle out of
service, too few seats, a BKO secondment in the team's local dates)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Actor
from tests.dispatch_helpers import Shift, offers, pending_offer, post, settle

WIB = ZoneInfo("Asia/Jakarta")


async def test_people_vehicles_and_roster_are_listed_and_edited(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    shift = await Shift(client, actors).start(2)
    sup, op = actors["supervisor"], actors["operator"]
    people = (await client.get(f"{shift.base}/personnel", headers=op.headers)).json()
    assert sorted(p["name"] for p in people) == ["Petugas 0", "Petugas 1"]
    assert (
        await client.get(f"{shift.base}/personnel", headers=actors["operator_jember"].headers)
    ).status_code == 404
    person = people[0]["id"]
    r = await client.patch(
        f"/api/v1/personnel/{person}", json={"skills": ["medic", "driver"]}, headers=sup.headers
    )
    assert r.status_code == 200 and r.json()["skills"] == ["driver", "medic"]
    assert (
        await client.patch(f"/api/v1/personnel/{person}", json={"active": False}, headers=op.headers)
    ).status_code == 403
    vans = (await client.get(f"{shift.base}/vehicles", headers=op.headers)).json()
    assert len(vans) == 2 and all(v["in_service"] for v in vans)
    r = await client.patch(
        f"/api/v1/vehicles/{vans[0]['id']}", json={"in_service": False}, headers=sup.headers
    )
    assert r.status_code == 422  # a reason is required
    r = await client.patch(
        f"/api/v1/vehicles/{vans[0]['id']}",
        json={"in_service": False, "out_of_service_reason": "ban bocor"},
        headers=sup.headers,
    )
    assert r.status_code == 200 and r.json()["out_of_service_reason"] == "ban bocor"
    now = datetime.now(UTC)
    roster = await client.get(
        f"{shift.base}/crews",
        params={
            "since": (now - timedelta(hours=2)).isoformat(),
            "until": (now + timedelta(hours=2)).isoformat(),
        },
        headers=op.headers,
    )
    assert roster.status_code == 200 and [c["name"] for c in roster.json()] == ["Regu 0", "Regu 1"]
    r = await client.patch(
        f"/api/v1/teams/{shift.team['id']}", json={"shift_template": "2x12"}, headers=sup.headers
    )
    assert r.status_code == 200 and r.json()["shift_template"] == "2x12"


async def test_an_account_of_another_region_cannot_join_a_team(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    shift = await Shift(client, actors).start(1)
    admin = actors["admin"]
    jember = await post(
        client,
        admin,
        "/api/v1/users",
        {"username": "crew.jember.x", "role": "crew", "region_code": "35.09", "password": "jember-12345"},
    )
    r = await client.post(
        f"{shift.base}/personnel",
        json={"name": "Orang Jember", "user_id": jember["id"]},
        headers=actors["supervisor"].headers,
    )
    # Outside the supervisor's region the account is not found, as an id that does not exist (issue 12).
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        f"{shift.base}/personnel",
        json={"name": "Orang Entah", "user_id": str(uuid.uuid4())},
        headers=actors["supervisor"].headers,
    )
    assert r.status_code == 404
    # A national admin reaches the Jember account, but it is not of the team's kab/kota.
    r = await client.post(
        f"{shift.base}/personnel",
        json={"name": "Orang Jember", "user_id": jember["id"]},
        headers=admin.headers,
    )
    assert r.status_code == 422 and "21.71" in r.json()["detail"]
    assert len((await client.get(f"{shift.base}/personnel", headers=admin.headers)).json()) == 1
    # Nor an operator's account, nor one already used by someone in the team.
    r = await client.post(
        f"{shift.base}/personnel",
        json={"name": "Operator", "user_id": str(actors["operator"].id)},
        headers=actors["supervisor"].headers,
    )
    assert r.status_code == 422
    taken = shift.people[0]["user_id"]
    r = await client.post(
        f"{shift.base}/personnel",
        json={"name": "Kembar", "user_id": taken},
        headers=actors["supervisor"].headers,
    )
    assert r.status_code == 409


async def test_a_vehicle_out_of_service_is_not_offered_what_needs_it_and_back_in_service_is(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    van = (await shift.crew(crew_id))["vehicle"]["id"]
    sup = actors["supervisor"]
    r = await client.patch(
        f"/api/v1/vehicles/{van}",
        json={"in_service": False, "out_of_service_reason": "bensin habis"},
        headers=sup.headers,
    )
    assert r.status_code == 200, r.text
    # An agitated ODGJ needs the secure van: nobody can go, and the escalation says why.
    incident = await shift.report(category="ODGJ", subject={"flags": ["agitated"]})
    await shift.verify(incident)
    await settle(db)
    assert await offers(db, incident_id=incident) == []
    r = await client.patch(f"/api/v1/vehicles/{van}", json={"in_service": True}, headers=sup.headers)
    assert r.status_code == 200
    offer = await pending_offer(db, incident)
    assert offer["crew_id"] == crew_id


async def test_too_few_seats_is_said_and_a_bigger_vehicle_preferred(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(2)
    near, far = shift.ids()
    small = (await shift.crew(near))["vehicle"]["id"]
    big = (await shift.crew(far))["vehicle"]["id"]
    await client.patch(f"/api/v1/vehicles/{small}", json={"seats": 4}, headers=actors["supervisor"].headers)
    await client.patch(f"/api/v1/vehicles/{big}", json={"seats": 10}, headers=actors["supervisor"].headers)
    # A raid brings in six street children.
    incident = await shift.report(
        category="AJ",
        subject={"flags": ["child"], "count": 6, "approx_age": 12},
        description="razia anak jalanan",
    )
    await shift.verify(incident)
    offer = await pending_offer(db, incident)
    assert offer["crew_id"] == far
    detail = await shift.incident(incident)
    [made] = [e for e in detail["timeline"] if e["type"] == "offer.made"]
    notes = {c["crew_id"]: c["notes"] for c in made["data"]["candidates"]}
    assert any("kursi kurang: 6 orang, 3 kursi" in n for n in notes[near])


async def test_bko_secondment_is_checked_in_the_teams_local_dates(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup = actors["supervisor"]
    shift = await Shift(client, actors).start(1)
    first, last = date(2027, 1, 10), date(2027, 1, 20)
    bko = await post(
        client,
        sup,
        f"{shift.base}/personnel",
        {
            "name": "Agus BKO",
            "kind": "bko",
            "home_unit": "Satpol PP",
            "seconded_from": first.isoformat(),
            "seconded_until": last.isoformat(),
        },
    )

    async def crew(day: date, hour: int, name: str) -> httpx.Response:
        starts = datetime.combine(day, time(hour), tzinfo=WIB)
        body: dict[str, Any] = {
            "name": name,
            "shift_starts_at": starts.isoformat(),
            "shift_ends_at": (starts + timedelta(hours=8)).isoformat(),
            "member_ids": [bko["id"]],
        }
        return await client.post(f"{shift.base}/crews", json=body, headers=sup.headers)

    # 07:00 WIB on the first day is 00:00 UTC: the first day in Batam, whatever the UTC date.
    assert (await crew(first, 7, "Pagi pertama")).status_code == 201
    # A night shift starting on the last day is within the secondment.
    assert (await crew(last, 23, "Malam terakhir")).status_code == 201
    # 06:00 WIB on the day after the last one is still the previous day in UTC: refused.
    r = await crew(last + timedelta(days=1), 6, "Sesudah")
    assert r.status_code == 422 and "diperbantukan hanya dari" in r.json()["detail"]
    assert (await crew(first - timedelta(days=1), 23, "Sebelum")).status_code == 422
