"""Referrals: routing rules at verification, the agency's answers with its own API key, what an agency may
see, and an answer that resolves the incident."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Event
from tests.conftest import Actor
from tests.webhooks.helpers import call, police, verified_incident


async def _agency_key(client: httpx.AsyncClient, actors: dict[str, Actor]) -> dict[str, str]:
    created = await call(
        client,
        actors["admin"],
        "POST",
        "/api-keys",
        {"user_id": str(actors["agency"].id), "name": "SIM Polresta"},
        expect=201,
    )
    return {"X-API-Key": created["key"]}


async def _rule(client: httpx.AsyncClient, actors: dict[str, Actor], **body: Any) -> dict[str, Any]:
    base = {"name": "rule", "region_code": "21.71", "category": "OT", "agency_kind": "police"}
    return dict(
        await call(client, actors["supervisor"], "POST", "/routing-rules", {**base, **body}, expect=201)
    )


async def test_a_rule_that_finds_no_agency_says_so(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    # No BPBD of Batam is registered: the rule matches and routes nowhere. Before, nothing said so.
    rule = await _rule(client, actors, name="bencana ke BPBD", agency_kind="bpbd")
    incident = await verified_incident(client, actors)
    async with db() as session:
        said = (
            await session.scalars(
                select(Event).where(
                    Event.type == "referral.unrouted", Event.incident_id == uuid.UUID(incident)
                )
            )
        ).all()
    assert len(said) == 1 and said[0].data["rule_id"] == rule["id"]
    assert "tidak ada instansi jenis bpbd" in said[0].data["detail"]
    r = await client.get(f"/api/v1/incidents/{incident}/referrals", headers=actors["operator"].headers)
    assert r.status_code == 200 and r.json() == []


async def test_an_answer_by_phone_is_recorded_on_behalf_of_the_agency(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    await _rule(client, actors)
    incident = await verified_incident(client, actors)
    op = actors["operator"]
    [referral] = (await client.get(f"/api/v1/incidents/{incident}/referrals", headers=op.headers)).json()
    path = f"/api/v1/referrals/{referral['id']}/answers"
    phoned = {"status": "accepted", "received_via": "phone", "contact": "Bripka Andi, piket Polresta"}
    # The same checks as the agency's own answer: a decline needs a reason, out of order is a 409.
    r = await client.post(path, json={**phoned, "status": "declined"}, headers=op.headers)
    assert r.status_code == 422 and "reason" in r.text
    r = await client.post(path, json=phoned, headers=op.headers)
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    r = await client.post(path, json={**phoned, "status": "acknowledged"}, headers=op.headers)
    assert r.status_code == 409, r.text
    # Who may: the console of the region; not a crew, not the agency itself (it has its own route).
    for who in ("crew", "agency"):
        r = await client.post(path, json=phoned, headers=actors[who].headers)
        assert r.status_code in (403, 404), (who, r.text)
    async with db() as session:
        [said] = (
            await session.scalars(
                select(Event).where(
                    Event.type == "referral.accepted", Event.incident_id == uuid.UUID(incident)
                )
            )
        ).all()
    assert said.data["on_behalf"] is True and said.data["received_via"] == "phone"
    assert said.data["contact"].startswith("Bripka Andi") and said.actor == op.username


async def test_a_corrected_place_moves_the_referrals_and_keeps_the_old_place(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    # A Polsek for the kecamatan the caller named (21.71.06); the rule sends OT cases to the police there.
    polsek = await call(
        client, sup, "POST", "/agencies",
        {"name": "Polsek Uji", "kind": "police", "region_code": "21.71.06"}, expect=201,
    )  # fmt: skip
    await _rule(client, actors)
    incident = await verified_incident(client, actors)
    path = f"/api/v1/incidents/{incident}"
    [first] = (await client.get(f"{path}/referrals", headers=op.headers)).json()
    assert first["agency_id"] == polsek["id"]
    # The caller was wrong: it is in 21.71.01. The Polsek of 21.71.06 is told it is not theirs; the city
    # police (the most local police that covers 21.71.01) gets it.
    fix = {"region_code": "21.71.01.1002", "lat": 1.12, "lon": 104.05, "reason": "pelapor salah sebut"}
    r = await client.patch(f"{path}/location", json=fix, headers=op.headers)
    assert r.status_code == 200, r.text
    by_agency = {
        x["agency_id"]: x["status"]
        for x in (await client.get(f"{path}/referrals", headers=op.headers)).json()
    }
    city = await police(client, actors)
    assert by_agency == {polsek["id"]: "cancelled", city["id"]: "pending"}
    detail = (await client.get(path, headers=op.headers)).json()
    [moved] = [e for e in detail["timeline"] if e["type"] == "incident.location_changed"]
    assert moved["data"]["before"]["region_code"] == "21.71.06.1003"
    assert (
        moved["data"]["after"]["region_code"] == "21.71.01.1002" and detail["region_code"] == "21.71.01.1002"
    )
    # Another kab/kota is a referral, not a move; a crew may not move it; nothing changed by those.
    r = await client.patch(
        f"{path}/location", json={**fix, "region_code": "21.72.01.1001"}, headers=op.headers
    )
    assert r.status_code == 409 and "di luar kab/kota" in r.json()["detail"], r.text
    r = await client.patch(f"{path}/location", json={"reason": "tanpa tempat"}, headers=op.headers)
    assert r.status_code == 422
    r = await client.patch(f"{path}/location", json=fix, headers=actors["crew"].headers)
    assert r.status_code in (403, 404)
    assert (await client.get(path, headers=op.headers)).json()["region_code"] == "21.71.01.1002"


async def test_round_trip_with_the_agencys_api_key(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    await _rule(client, actors)
    incident = await verified_incident(client, actors)
    key = await _agency_key(client, actors)
    r = await client.get("/api/v1/agency/referrals", headers=key)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["incident"]["id"] == incident and item["status"] == "pending"
    assert item["reason"] == "rule: rule"
    # What the agency sees of the incident: no reporter, no subject's name.
    assert "reporter" not in item["incident"] and "Siti" not in r.text
    for status in ("acknowledged", "accepted"):
        r = await client.post(
            f"/api/v1/agency/referrals/{item['id']}/answers",
            json={"status": status, "note": "unit meluncur"},
            headers=key,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    # The same answer again (a retry) changes nothing; one out of order is a 409 naming the state.
    r = await client.post(
        f"/api/v1/agency/referrals/{item['id']}/answers", json={"status": "accepted"}, headers=key
    )
    assert r.status_code == 200
    r = await client.post(
        f"/api/v1/agency/referrals/{item['id']}/answers",
        json={"status": "declined", "reason": "x"},
        headers=key,
    )
    assert r.status_code == 409 and r.json()["current_status"] == "accepted"
    assert r.headers["content-type"] == "application/problem+json"
    detail = await call(client, actors["operator"], "GET", f"/incidents/{incident}")
    types = [e["type"] for e in detail["timeline"]]
    assert types.count("referral.acknowledged") == 1 and types.count("referral.accepted") == 1
    referrals = await call(client, actors["operator"], "GET", f"/incidents/{incident}/referrals")
    assert [x["status"] for x in referrals] == ["accepted"]
    async with db() as session:
        ack = await session.scalar(select(Event).where(Event.type == "referral.acknowledged"))
    assert ack is not None and ack.region_code == "21.71.06.1003" and ack.actor == "t.agency"


async def test_an_agency_sees_only_what_is_referred_to_it(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup = actors["supervisor"]
    other = await call(
        client,
        sup,
        "POST",
        "/agencies",
        {"name": "BPBD Kota Batam", "kind": "bpbd", "region_code": "21.71"},
        expect=201,
    )
    await _rule(client, actors, category="OT", agency_kind=None, agency_id=other["id"])
    incident = await verified_incident(client, actors)
    [theirs] = await call(client, actors["operator"], "GET", f"/incidents/{incident}/referrals")
    agency = actors["agency"]
    assert (await call(client, agency, "GET", "/agency/referrals"))["items"] == []
    r = await client.get(f"/api/v1/agency/referrals/{theirs['id']}", headers=agency.headers)
    assert r.status_code == 404
    r = await client.post(
        f"/api/v1/agency/referrals/{theirs['id']}/answers",
        json={"status": "acknowledged"},
        headers=agency.headers,
    )
    assert r.status_code == 404
    for path in (f"/incidents/{incident}", "/incidents", f"/incidents/{incident}/referrals"):
        r = await client.get(f"/api/v1{path}", headers=agency.headers)
        assert r.status_code == 403, (path, r.text)
    # Another agency's register entry is not found; staff of another kab/kota do not see Batam's.
    r = await client.get(f"/api/v1/agencies/{other['id']}", headers=agency.headers)
    assert r.status_code == 404
    r = await client.get(f"/api/v1/agencies/{other['id']}", headers=actors["operator_jember"].headers)
    assert r.status_code == 404


async def test_rsj_admission_resolves_the_incident(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    police_agency = await police(client, actors)
    await _rule(client, actors, category="PD", flags=["agitated"], completes_incident=True)
    incident = await verified_incident(client, actors, category="ODGJ", subject={"flags": ["agitated"]})
    op = actors["operator"]
    [referral] = await call(client, op, "GET", f"/incidents/{incident}/referrals")
    assert referral["agency_id"] == police_agency["id"] and referral["completes_incident"]
    for step in ("dispatched", "en_route", "on_scene", "handling"):
        await call(client, op, "POST", f"/incidents/{incident}/transitions", {"to": step})
    agency = actors["agency"]
    await call(client, agency, "POST", f"/agency/referrals/{referral['id']}/answers", {"status": "accepted"})
    r = await client.post(
        f"/api/v1/agency/referrals/{referral['id']}/answers",
        json={"status": "completed"},
        headers=agency.headers,
    )
    assert r.status_code == 200  # no outcome given: the referral completes, the incident stays as it is
    assert (await call(client, op, "GET", f"/incidents/{incident}"))["status"] == "handling"


async def test_completed_with_an_outcome_resolves(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    await _rule(client, actors, category="ODGJ", flags=["agitated"], completes_incident=True)
    incident = await verified_incident(client, actors, category="ODGJ", subject={"flags": ["agitated"]})
    op, agency = actors["operator"], actors["agency"]
    [referral] = await call(client, op, "GET", f"/incidents/{incident}/referrals")
    for step in ("dispatched", "en_route", "on_scene", "handling"):
        await call(client, op, "POST", f"/incidents/{incident}/transitions", {"to": step})
    await call(client, agency, "POST", f"/agency/referrals/{referral['id']}/answers", {"status": "accepted"})
    done = await call(
        client,
        agency,
        "POST",
        f"/agency/referrals/{referral['id']}/answers",
        {"status": "completed", "outcome": "rsj", "note": "pasien dirawat di RSJ"},
    )
    assert done["outcome"] == "rsj"
    detail = await call(client, op, "GET", f"/incidents/{incident}")
    assert detail["status"] == "resolved" and detail["outcome"] == "rsj"
    assert detail["four_ct"]["acted_at"] is not None


async def test_manual_referral_cancel_and_bad_answers(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    incident = await verified_incident(client, actors)
    agency = await police(client, actors)
    op = actors["operator"]
    assert await call(client, op, "GET", f"/incidents/{incident}/referrals") == []
    referral = await call(
        client,
        op,
        "POST",
        f"/incidents/{incident}/referrals",
        {"agency_id": agency["id"], "reason": "perlu pengawalan"},
        expect=201,
    )
    r = await client.post(
        f"/api/v1/incidents/{incident}/referrals",
        json={"agency_id": agency["id"], "reason": "lagi"},
        headers=op.headers,
    )
    assert r.status_code == 409
    a = actors["agency"]
    r = await client.post(
        f"/api/v1/agency/referrals/{referral['id']}/answers", json={"status": "declined"}, headers=a.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.reason"
    r = await client.post(
        f"/api/v1/agency/referrals/{referral['id']}/answers", json={"status": "done"}, headers=a.headers
    )
    assert r.status_code == 422
    cancelled = await call(
        client, op, "POST", f"/referrals/{referral['id']}/cancel", {"reason": "sudah ditangani"}
    )
    assert cancelled["status"] == "cancelled"
    r = await client.post(
        f"/api/v1/agency/referrals/{referral['id']}/answers", json={"status": "accepted"}, headers=a.headers
    )
    assert r.status_code == 409
    # The crew and the reporter neither refer nor cancel.
    for name in ("crew", "reporter", "agency"):
        r = await client.post(
            f"/api/v1/incidents/{incident}/referrals",
            json={"agency_id": agency["id"], "reason": "x"},
            headers=actors[name].headers,
        )
        assert r.status_code == 403, name


async def test_rules_pick_the_most_local_agency_and_need_a_target(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup = actors["supervisor"]
    polsek = await call(
        client,
        sup,
        "POST",
        "/agencies",
        {"name": "Polsek Lubuk Baja", "kind": "police", "region_code": "21.71.06"},
        expect=201,
    )
    await _rule(client, actors)
    incident = await verified_incident(client, actors)
    [referral] = await call(client, actors["operator"], "GET", f"/incidents/{incident}/referrals")
    assert referral["agency_id"] == polsek["id"]
    r = await client.post(
        "/api/v1/routing-rules",
        json={"name": "xx", "region_code": "21.71", "category": "OT"},
        headers=sup.headers,
    )
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/routing-rules",
        json={"name": "xx", "region_code": "35.09", "category": "OT", "agency_kind": "police"},
        headers=sup.headers,
    )
    assert r.status_code == 403, r.text
    r = await client.post(
        "/api/v1/agencies",
        json={"name": "Polsek X", "kind": "police", "region_code": "21.71"},
        headers=actors["operator"].headers,
    )
    assert r.status_code == 403
