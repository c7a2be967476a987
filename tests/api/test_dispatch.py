"""Dispatch end to end through the API: offers, accept, decline, expiry, escalation, no double booking.

Verifying an incident makes its kab/kota's round due; the app's dispatcher runs it a moment later, so the
tests wait for the offer (`_offered`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services import dispatch
from tests import factories
from tests.conftest import Actor
from tests.dispatch_helpers import eventually, offers

NOW = datetime.now(UTC)
LAT, LON = factories.BATAM_POS


async def _post(
    client: httpx.AsyncClient, actor: Actor, path: str, body: dict[str, Any], expect: int = 201
) -> dict[str, Any]:
    r = await client.post(path, json=body, headers=actor.headers)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def _setup(client: httpx.AsyncClient, actors: dict[str, Actor]) -> dict[str, Any]:
    """Two Batam crews on duty: A (1 km away, driver, the test crew user) and B (5 km, URC van)."""
    team = await _post(
        client, actors["admin"], "/api/v1/teams", {"name": "TRC Batam", "region_code": "21.71"}
    )
    base, sup = f"/api/v1/teams/{team['id']}", actors["supervisor"]
    rudi = await _post(
        client,
        sup,
        f"{base}/personnel",
        {"name": "Rudi", "skills": ["driver"], "user_id": str(actors["crew"].id)},
    )
    sari = await _post(client, sup, f"{base}/personnel", {"name": "Sari", "skills": ["driver", "medic"]})
    van = await _post(
        client,
        sup,
        f"{base}/vehicles",
        {"name": "URC", "seats": 6, "capabilities": ["secure_transport", "stretcher"]},
    )
    shift = {
        "shift_starts_at": (NOW - timedelta(hours=1)).isoformat(),
        "shift_ends_at": (NOW + timedelta(hours=7)).isoformat(),
    }
    a = await _post(client, sup, f"{base}/crews", {"name": "A", **shift, "member_ids": [rudi["id"]]})
    b = await _post(
        client,
        sup,
        f"{base}/crews",
        {"name": "B", **shift, "member_ids": [sari["id"]], "vehicle_id": van["id"]},
    )
    for crew, km in ((a, 1), (b, 5)):
        r = await client.post(
            f"/api/v1/crews/{crew['id']}/location",
            headers=actors["operator"].headers,
            json={"lat": LAT + km / 111.2, "lon": LON},
        )
        assert r.status_code == 202
    return {"A": a["id"], "B": b["id"]}


async def _detail(client: httpx.AsyncClient, actors: dict[str, Actor], iid: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/incidents/{iid}", headers=actors["operator"].headers)
    return dict(r.json())


async def _offered(
    client: httpx.AsyncClient, actors: dict[str, Actor], iid: str, n: int = 1, kind: str = "offer.made"
) -> dict[str, Any]:
    """The incident once its timeline has `n` events of `kind` (the dispatcher runs just after a change)."""

    async def check() -> dict[str, Any] | None:
        detail = await _detail(client, actors, iid)
        return detail if len([e for e in detail["timeline"] if e["type"] == kind]) >= n else None

    return await eventually(check, what=f"{n} {kind} for {iid}")


async def _verified(
    client: httpx.AsyncClient, actors: dict[str, Actor], *, expect: str = "offer.made", **report: Any
) -> dict[str, Any]:
    op = actors["operator"]
    iid = (await _post(client, op, "/api/v1/reports", factories.report(**report)))["incident_id"]
    await _post(client, op, f"/api/v1/incidents/{iid}/verify", {}, expect=200)
    return await _offered(client, actors, iid, kind=expect)


def _offers(incident: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in incident["timeline"] if e["type"] == "offer.made"]


async def test_verified_incident_goes_to_nearest_qualified_crew(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    crews = await _setup(client, actors)
    calm = await _verified(client, actors, category="GEL", subject={"flags": []})
    [offer] = _offers(calm)
    assert offer["crew_id"] == crews["A"] and offer["data"]["attempt"] == 1
    assert [c["crew_id"] for c in offer["data"]["candidates"]] == [crews["A"], crews["B"]]
    assert "menit perjalanan" in offer["data"]["reasons"][1]
    assert offer["data"]["incident"]["category"] == "GEL" and offer["actor"] == "tanggap"
    # An agitated ODGJ needs the crew with the secure van, though it is farther (and A is now offered).
    agitated = await _verified(client, actors)
    [offer] = _offers(agitated)
    assert offer["crew_id"] == crews["B"]


async def test_accept_dispatches(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    crews = await _setup(client, actors)
    incident = await _verified(client, actors, category="GEL", subject={"flags": []})
    offer_id = _offers(incident)[0]["data"]["offer_id"]
    # Crew B's members cannot answer crew A's offer; the crew user is in A.
    r = await client.post(f"/api/v1/offers/{offer_id}/accept", headers=actors["crew"].headers)
    assert r.status_code == 200, r.text
    detail = (
        await client.get(f"/api/v1/incidents/{incident['id']}", headers=actors["operator"].headers)
    ).json()
    assert detail["status"] == "dispatched" and detail["dispatched_at"]
    crew = (await client.get(f"/api/v1/crews/{crews['A']}", headers=actors["operator"].headers)).json()
    assert crew["status"] == "dispatched"
    # A phone retrying its accept gets the first answer again.
    again = await client.post(f"/api/v1/offers/{offer_id}/accept", headers=actors["crew"].headers)
    assert again.status_code == 200 and again.json() == r.json()


async def test_decline_moves_on_then_escalates(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    crews = await _setup(client, actors)
    incident = await _verified(client, actors, category="GEL", subject={"flags": []})
    first = _offers(incident)[0]["data"]["offer_id"]
    r = await client.post(
        f"/api/v1/offers/{first}/decline", json={"reason": "ban bocor"}, headers=actors["crew"].headers
    )
    assert r.status_code == 200
    # The same decline again (a phone retrying) answers like the first.
    again = await client.post(
        f"/api/v1/offers/{first}/decline", json={"reason": "ban bocor"}, headers=actors["crew"].headers
    )
    assert again.status_code == 200 and again.json() == r.json()
    detail = await _offered(client, actors, incident["id"], 2)
    offers = _offers(detail)
    assert [o["crew_id"] for o in offers] == [crews["A"], crews["B"]]
    r = await client.post(
        f"/api/v1/offers/{offers[1]['data']['offer_id']}/decline",
        json={"reason": "sedang isi bensin"},
        headers=actors["operator"].headers,
    )
    assert r.status_code == 200
    detail = await _offered(client, actors, incident["id"], kind="incident.escalated")
    escalated = [e for e in detail["timeline"] if e["type"] == "incident.escalated"]
    assert len(escalated) == 1 and escalated[0]["data"]["reason_code"] == "none_qualified"
    assert escalated[0]["data"]["reason"].startswith("tidak ada regu yang memenuhi syarat: 2 regu menolak")
    assert {r["code"] for r in escalated[0]["data"]["refusals"].values()} == {"declined"}
    assert set(escalated[0]["data"]["refusals"]) == {crews["A"], crews["B"]}
    listed = (await client.get("/api/v1/dispatch/escalations", headers=actors["supervisor"].headers)).json()
    assert [i["id"] for i in listed] == [incident["id"]]
    assert (
        await client.get("/api/v1/dispatch/escalations", headers=actors["operator_jember"].headers)
    ).json() == []


async def test_expired_offer_moves_on(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    crews = await _setup(client, actors)
    incident = await _verified(client, actors, category="GEL", subject={"flags": []})
    offer_id = _offers(incident)[0]["data"]["offer_id"]
    assert await dispatch.expire_offers(db, datetime.now(UTC)) == 0
    assert await dispatch.expire_offers(db, datetime.now(UTC) + timedelta(minutes=10)) == 1
    detail = await _offered(client, actors, incident["id"], 2)
    assert [e["type"] for e in detail["timeline"]][-2:] == ["offer.expired", "offer.made"]
    assert _offers(detail)[-1]["crew_id"] == crews["B"]
    r = await client.post(f"/api/v1/offers/{offer_id}/accept", headers=actors["crew"].headers)
    assert r.status_code == 409 and r.json()["current_status"] == "expired"


async def test_concurrent_verifications_never_double_book(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    await _setup(client, actors)
    op = actors["operator"]
    ids = [
        (
            await _post(
                client,
                op,
                "/api/v1/reports",
                factories.report(category="GEL", subject={"flags": []}, description=f"gepeng {i}"),
            )
        )["incident_id"]
        for i in range(6)
    ]
    results = await asyncio.gather(
        *[client.post(f"/api/v1/incidents/{i}/verify", json={}, headers=op.headers) for i in ids]
    )
    assert {r.status_code for r in results} == {200}

    async def two_offers() -> list[str] | None:
        pending = [o["crew_id"] for o in await offers(db, status="pending")]
        return pending if len(pending) == 2 else None

    pending = await eventually(two_offers, what="two offers")
    assert len(set(pending)) == 2


async def test_manual_dispatch_wins_and_reassigns(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    crews = await _setup(client, actors)
    op = actors["operator"]
    incident = await _verified(client, actors, category="GEL", subject={"flags": []})
    assert _offers(incident)[0]["crew_id"] == crews["A"]
    base = f"/api/v1/incidents/{incident['id']}/dispatch"
    r = await client.post(
        base, json={"crew_id": crews["B"], "reason": "B sudah dekat lokasi"}, headers=actors["crew"].headers
    )
    assert r.status_code == 403
    r = await client.post(
        base, json={"crew_id": crews["B"], "reason": "B sudah dekat lokasi"}, headers=op.headers
    )
    assert r.status_code == 200 and r.json()["status"] == "dispatched"

    async def crew(cid: str) -> dict[str, Any]:
        return dict((await client.get(f"/api/v1/crews/{cid}", headers=op.headers)).json())

    assert (await crew(crews["A"]))["status"] == "available"
    assert (await crew(crews["B"]))["status"] == "dispatched"
    pending = _offers(incident)[0]["data"]["offer_id"]
    r = await client.post(f"/api/v1/offers/{pending}/accept", headers=actors["crew"].headers)
    assert r.status_code == 409 and r.json()["current_status"] == "withdrawn"
    # Reassign back to A: B is released.
    r = await client.post(base, json={"crew_id": crews["A"], "reason": "ban B bocor"}, headers=op.headers)
    assert r.status_code == 200
    assert (await crew(crews["A"]))["status"] == "dispatched"
    assert (await crew(crews["B"]))["status"] == "available"
    detail = (await client.get(f"/api/v1/incidents/{incident['id']}", headers=op.headers)).json()
    manual = [e for e in detail["timeline"] if e["type"] == "incident.dispatched_manually"]
    assert [(e["crew_id"], e["data"]["reason"]) for e in manual] == [
        (crews["B"], "B sudah dekat lokasi"),
        (crews["A"], "ban B bocor"),
    ]
    r = await client.post(base, json={"crew_id": crews["A"], "reason": "lagi"}, headers=op.headers)
    assert r.status_code == 409
    await client.post(
        f"/api/v1/crews/{crews['B']}/status",
        json={"status": "out_of_service", "reason": "mogok"},
        headers=op.headers,
    )
    r = await client.post(base, json={"crew_id": crews["B"], "reason": "coba"}, headers=op.headers)
    assert r.status_code == 409 and r.json()["current_status"] == "out_of_service"


async def test_crew_back_in_service_gets_the_waiting_incident(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    crews = await _setup(client, actors)
    op = actors["operator"]
    for cid in crews.values():
        r = await client.post(
            f"/api/v1/crews/{cid}/status",
            json={"status": "out_of_service", "reason": "rapat"},
            headers=op.headers,
        )
        assert r.status_code == 200
    incident = await _verified(
        client, actors, expect="incident.escalated", category="GEL", subject={"flags": []}
    )
    assert _offers(incident) == []
    [escalation] = [e for e in incident["timeline"] if e["type"] == "incident.escalated"]
    assert escalation["data"]["reason"] == "tidak ada regu yang memenuhi syarat: 2 regu tidak beroperasi"
    # Later rounds (a second verification) do not escalate it again.
    await _verified(
        client,
        actors,
        expect="incident.escalated",
        category="PENG",
        subject={"flags": []},
        description="pengemis",
    )
    assert (
        len(
            [
                e
                for e in (await _detail(client, actors, incident["id"]))["timeline"]
                if e["type"] == "incident.escalated"
            ]
        )
        == 1
    )
    r = await client.post(
        f"/api/v1/crews/{crews['B']}/status", json={"status": "available"}, headers=op.headers
    )
    assert r.status_code == 200

    async def offered() -> bool:
        crew = (await client.get(f"/api/v1/crews/{crews['B']}", headers=op.headers)).json()
        return bool(crew["status"] == "offered")

    await eventually(offered, what="an offer to the crew back in service")


async def test_crew_moves_its_own_incident_and_its_status_follows(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    crews = await _setup(client, actors)
    op, crew_user = actors["operator"], actors["crew"]
    mine = await _verified(client, actors, category="GEL", subject={"flags": []})
    other = await _verified(client, actors, category="GEL", subject={"flags": []}, description="lain")
    assert _offers(mine)[0]["crew_id"] == crews["A"] and _offers(other)[0]["crew_id"] == crews["B"]
    await _post(client, crew_user, f"/api/v1/offers/{_offers(mine)[0]['data']['offer_id']}/accept", {}, 200)
    await _post(client, op, f"/api/v1/offers/{_offers(other)[0]['data']['offer_id']}/accept", {}, 200)

    async def crew_status(cid: str) -> str:
        return str((await client.get(f"/api/v1/crews/{cid}", headers=op.headers)).json()["status"])

    r = await client.post(
        f"/api/v1/incidents/{other['id']}/transitions", json={"to": "en_route"}, headers=crew_user.headers
    )
    assert r.status_code == 403
    for to in ("en_route", "on_scene", "handling"):
        await _post(client, crew_user, f"/api/v1/incidents/{mine['id']}/transitions", {"to": to}, 200)
        assert await crew_status(crews["A"]) == to
        # The same step again (a retry) answers like the first.
        await _post(client, crew_user, f"/api/v1/incidents/{mine['id']}/transitions", {"to": to}, 200)
    await _post(
        client,
        crew_user,
        f"/api/v1/incidents/{mine['id']}/transitions",
        {"to": "resolved", "outcome": "shelter"},
        200,
    )
    # Resolved, the crew is still with the person until it says it is free.
    assert await crew_status(crews["A"]) == "handling"
    await _post(client, crew_user, f"/api/v1/crews/{crews['A']}/status", {"status": "available"}, 200)
    assert await crew_status(crews["A"]) == "available"
    detail = (await client.get(f"/api/v1/incidents/{mine['id']}", headers=op.headers)).json()
    assert detail["four_ct"]["found_at"] and detail["four_ct"]["acted_at"]


async def test_handover_at_the_end_of_a_shift(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    crews = await _setup(client, actors)
    op, sup = actors["operator"], actors["supervisor"]
    team_id = (await client.get(f"/api/v1/crews/{crews['A']}", headers=op.headers)).json()["team_id"]
    leaving_person = await _post(client, sup, f"/api/v1/teams/{team_id}/personnel", {"name": "Joko"})
    leaving = await _post(
        client,
        sup,
        f"/api/v1/teams/{team_id}/crews",
        {
            "name": "Malam",
            "shift_starts_at": (datetime.now(UTC) - timedelta(hours=8)).isoformat(),
            "shift_ends_at": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
            "member_ids": [leaving_person["id"]],
        },
    )
    incident = await _verified(client, actors, category="GEL", subject={"flags": []})
    await _post(
        client,
        op,
        f"/api/v1/incidents/{incident['id']}/dispatch",
        {"crew_id": leaving["id"], "reason": "regu malam paling dekat"},
        200,
    )
    assert await dispatch.end_shifts(db, datetime.now(UTC)) == 0
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert await dispatch.end_shifts(db, later) == 1
    await dispatch.run_due(db, now=later)
    detail = await _offered(client, actors, incident["id"], kind="incident.handed_over")
    [handover] = [e for e in detail["timeline"] if e["type"] == "incident.handed_over"]
    assert handover["data"]["from_crew_id"] == leaving["id"] and "Malam" in handover["data"]["note"]
    assert handover["crew_id"] in (crews["A"], crews["B"])
    assert detail["status"] == "dispatched"
    assert (await client.get(f"/api/v1/crews/{leaving['id']}", headers=op.headers)).json()[
        "status"
    ] == "off_shift"
    # Nothing is left without an owner.
    assert detail["assigned_crew_id"] == handover["crew_id"]


async def test_mutual_aid_from_a_neighbouring_team_of_the_province(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """Batam has no crew on duty; the Tanjungpinang team (same province, Kepulauan Riau) has one free: the
    escalated incident is offered to it, and its crew member sees and works that incident, and no other.
    When the helper's shift ends, the case goes back to a Batam crew on duty, not to the helper's team."""
    admin = actors["admin"]
    await _post(
        client,
        admin,
        "/api/v1/users",
        {"username": "crew.tpi", "role": "crew", "region_code": "21.72", "password": "kepri-12345"},
    )
    r = await client.post("/api/v1/auth/token", data={"username": "crew.tpi", "password": "kepri-12345"})
    tpi = {"Authorization": f"Bearer {r.json()['access_token']}"}
    team = await _post(client, admin, "/api/v1/teams", {"name": "TRC Tanjungpinang", "region_code": "21.72"})
    base = f"/api/v1/teams/{team['id']}"
    users = (await client.get("/api/v1/users", headers=admin.headers)).json()
    tpi_user = next(u for u in users if u["username"] == "crew.tpi")
    person = await _post(
        client,
        admin,
        f"{base}/personnel",
        {"name": "Hendra", "skills": ["driver"], "user_id": tpi_user["id"]},
    )
    van = await _post(
        client,
        admin,
        f"{base}/vehicles",
        {"name": "URC TPI", "seats": 6, "capabilities": ["secure_transport"]},
    )
    await _post(
        client,
        admin,
        f"{base}/crews",
        {
            "name": "Regu TPI",
            "shift_starts_at": (NOW - timedelta(hours=1)).isoformat(),
            "shift_ends_at": (NOW + timedelta(hours=6)).isoformat(),
            "member_ids": [person["id"]],
            "vehicle_id": van["id"],
        },
    )
    op = actors["operator"]
    created = await _post(client, op, "/api/v1/reports", factories.report())
    other = await _post(
        client, op, "/api/v1/reports", factories.report(description="laporan lain, belum diverifikasi")
    )
    incident = created["incident_id"]
    await _post(client, op, f"/api/v1/incidents/{incident}/verify", {}, expect=200)
    detail = await _offered(client, actors, incident)
    types = [e["type"] for e in detail["timeline"]]
    assert "incident.escalated" in types
    [offer] = [e for e in detail["timeline"] if e["type"] == "offer.made"]
    assert offer["data"]["mutual_aid"] == {"team": "TRC Tanjungpinang", "region": "21.72"}
    # The neighbour's crew member sees this incident (not the other one) and takes it.
    assert (await client.get(f"/api/v1/incidents/{incident}", headers=tpi)).status_code == 200
    assert (await client.get(f"/api/v1/incidents/{other['incident_id']}", headers=tpi)).status_code == 404
    r = await client.post(f"/api/v1/offers/{offer['data']['offer_id']}/accept", headers=tpi)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/incidents/{incident}/transitions", json={"to": "en_route"}, headers=tpi)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "en_route"
    # Batam's crews come on duty; the helper's shift ends (Tanjungpinang also has a crew then: Regu TPI 2).
    batam = await _setup(client, actors)
    await _post(
        client,
        admin,
        f"{base}/crews",
        {
            "name": "Regu TPI 2",
            "shift_starts_at": (NOW + timedelta(hours=6)).isoformat(),
            "shift_ends_at": (NOW + timedelta(hours=14)).isoformat(),
            "member_ids": [person["id"]],
        },
    )
    later = NOW + timedelta(hours=6, minutes=1)
    assert await dispatch.end_shifts(db, later) == 1
    await dispatch.run_due(db, now=later)
    detail = await _offered(client, actors, incident, kind="incident.handed_over")
    [handover] = [e for e in detail["timeline"] if e["type"] == "incident.handed_over"]
    assert detail["assigned_crew_id"] == handover["crew_id"] in (batam["A"], batam["B"])
