from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests import factories
from tests.conftest import Actor, count


async def _incident(client: httpx.AsyncClient, actor: Actor, **overrides: Any) -> str:
    r = await client.post("/api/v1/reports", json=factories.report(**overrides), headers=actor.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["incident_id"])


async def _detail(client: httpx.AsyncClient, actor: Actor, incident_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/incidents/{incident_id}", headers=actor.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_full_lifecycle_stamps_4ct(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    op, crew, sup = actors["operator"], actors["crew"], actors["supervisor"]
    iid = await _incident(client, op)
    r = await client.post(
        f"/api/v1/incidents/{iid}/verify", json={"note": "dikonfirmasi RT"}, headers=op.headers
    )
    assert r.status_code == 200 and r.json()["status"] == "verified"
    # Without a crew assigned, the console moves it (crews move only their own incidents: test_dispatch.py).
    steps = [(op, "dispatched"), (sup, "en_route"), (sup, "on_scene"), (op, "handling")]
    for actor, to in steps:
        r = await client.post(f"/api/v1/incidents/{iid}/transitions", json={"to": to}, headers=actor.headers)
        assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/v1/incidents/{iid}/transitions", json={"to": "resolved"}, headers=sup.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "outcome"
    r = await client.post(
        f"/api/v1/incidents/{iid}/transitions",
        json={"to": "resolved", "outcome": "rsj"},
        headers=sup.headers,
    )
    assert r.status_code == 200
    r = await client.post(f"/api/v1/incidents/{iid}/transitions", json={"to": "closed"}, headers=crew.headers)
    assert r.status_code == 403
    r = await client.post(f"/api/v1/incidents/{iid}/transitions", json={"to": "closed"}, headers=sup.headers)
    assert r.status_code == 200
    d = await _detail(client, op, iid)
    assert d["status"] == "closed" and d["outcome"] == "rsj"
    ct = d["four_ct"]
    assert ct["found_at"] <= ct["responded_at"] <= ct["acted_at"] <= ct["completed_at"]
    assert d["verified_at"] and d["dispatched_at"]
    changes = [
        (e["data"]["before"], e["data"]["after"])
        for e in d["timeline"]
        if e["type"] == "incident.status_changed"
    ]
    assert changes == [
        ("received", "verified"),
        ("verified", "dispatched"),
        ("dispatched", "en_route"),
        ("en_route", "on_scene"),
        ("on_scene", "handling"),
        ("handling", "resolved"),
        ("resolved", "closed"),
    ]
    closed = next(e for e in d["timeline"] if e["data"].get("after") == "closed")
    assert closed["actor"] == sup.username and closed["data"]["four_ct"] == ["tuntas"]


async def test_illegal_transition_is_409_naming_state(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    iid = await _incident(client, op)
    r = await client.post(f"/api/v1/incidents/{iid}/transitions", json={"to": "on_scene"}, headers=op.headers)
    assert r.status_code == 409
    problem = r.json()
    assert problem["current_status"] == "received"
    assert "received" in problem["detail"]
    assert set(problem["allowed"]) == {"verified", "rejected", "cancelled"}
    assert (await _detail(client, op, iid))["status"] == "received"


async def test_reject_needs_reason_and_reopen_is_supervisors(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op, sup = actors["operator"], actors["supervisor"]
    iid = await _incident(client, op)
    r = await client.post(f"/api/v1/incidents/{iid}/reject", json={"reason": "hoax"}, headers=op.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    r = await client.post(
        f"/api/v1/incidents/{iid}/reject", json={"reason": "prank", "note": "iseng"}, headers=op.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = await client.post(
        f"/api/v1/incidents/{iid}/reject",
        json={"reason": "hoax", "note": "penelepon iseng"},
        headers=op.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    r = await client.post(
        f"/api/v1/incidents/{iid}/transitions", json={"to": "received", "reason": "salah"}, headers=op.headers
    )
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/incidents/{iid}/transitions", json={"to": "received"}, headers=sup.headers
    )
    assert r.status_code == 422
    r = await client.post(
        f"/api/v1/incidents/{iid}/transitions",
        json={"to": "received", "reason": "ternyata benar"},
        headers=sup.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "received"
    assert (await _detail(client, op, iid))["rejection_reason"] is None


async def test_category_change_reapplies_rules_but_manual_priority_sticks(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    # A description the triage reads nothing urgent in: the priority is the rules' on what the operator chose.
    iid = await _incident(
        client,
        op,
        category="unknown",
        description="Warga minta dicek, ada orang di depan ruko",
        subject={"approx_age": 40, "flags": []},
    )
    assert (await _detail(client, op, iid))["priority"] == 3
    r = await client.patch(
        f"/api/v1/incidents/{iid}", json={"category": "KTK", "reason": "korban pemukulan"}, headers=op.headers
    )
    assert r.status_code == 200 and r.json()["category"] == "KTK" and r.json()["priority"] == 1
    r = await client.patch(
        f"/api/v1/incidents/{iid}", json={"priority": 2, "reason": "sudah aman di polsek"}, headers=op.headers
    )
    assert r.json()["priority"] == 2
    r = await client.patch(
        f"/api/v1/incidents/{iid}", json={"category": "KBA", "reason": "korban banjir"}, headers=op.headers
    )
    assert r.json()["priority"] == 2
    d = await _detail(client, op, iid)
    assert d["priority_source"] == "manual"
    changed = [e for e in d["timeline"] if e["type"] == "incident.priority_changed"]
    assert [(e["data"]["before"], e["data"]["after"]) for e in changed] == [(3, 1), (1, 2)]
    r = await client.patch(f"/api/v1/incidents/{iid}", json={"reason": "nothing"}, headers=op.headers)
    assert r.status_code == 422


async def test_duplicates_are_shown_and_merged(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    lat, lon = factories.BATAM_POS
    first = await _incident(client, op)
    # 150 m away, same kelurahan, unknown category: the same person, surely.
    second = await _incident(
        client,
        op,
        category="unknown",
        channel="social_media",
        location={"lat": lat + 0.00135, "lon": lon, "region_code": factories.BATAM_VILLAGE},
    )
    # A different kelurahan 5 km away is not a duplicate; nor is another category.
    far = await _incident(
        client, op, location={"lat": lat + 0.045, "lon": lon, "region_code": "21.71.06.1001"}
    )
    other = await _incident(client, op, category="LUT", subject={"flags": ["elderly"]})
    # An incident of unknown category may be any of them: both nearby ones are candidates, nearest first.
    dups = (await _detail(client, op, second))["likely_duplicates"]
    assert [d["id"] for d in dups] == [first, other]
    assert 100 < dups[0]["distance_m"] < 200 and dups[0]["same_village"]
    # ODGJ: the unknown one nearby is a candidate; the LUT one and the far one are not.
    assert [d["id"] for d in (await _detail(client, op, first))["likely_duplicates"]] == [second]
    assert far not in [d["id"] for d in (await _detail(client, op, other))["likely_duplicates"]]

    r = await client.post(
        f"/api/v1/incidents/{second}/merge",
        json={"into_incident_id": first, "note": "sama"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["id"] == first and r.json()["report_count"] == 2
    merged = await _detail(client, op, second)
    assert merged["status"] == "rejected" and merged["rejection_reason"] == "duplicate"
    assert merged["merged_into_id"] == first and merged["reports"] == []
    target = await _detail(client, op, first)
    assert len(target["reports"]) == 2
    assert any(
        e["type"] == "incident.merged" and e["data"]["merged_from"] == second for e in target["timeline"]
    )
    r = await client.post(
        f"/api/v1/incidents/{second}/transitions",
        json={"to": "received", "reason": "x" * 5},
        headers=actors["supervisor"].headers,
    )
    assert r.status_code == 409
    r = await client.post(
        f"/api/v1/incidents/{first}/merge", json={"into_incident_id": first}, headers=op.headers
    )
    assert r.status_code == 422
    assert await count(db, "incidents") == 4


async def test_notes_are_timeline_events(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    op = actors["operator"]
    iid = await _incident(client, op)
    r = await client.post(
        f"/api/v1/incidents/{iid}/notes", json={"text": "Keluarga dihubungi"}, headers=op.headers
    )
    assert r.status_code == 201
    d = await _detail(client, op, iid)
    note = next(e for e in d["timeline"] if e["type"] == "incident.note_added")
    assert note["data"]["text"] == "Keluarga dihubungi" and note["actor"] == op.username
