"""Assessments (asesmen) through the API, on SQLite and PostgreSQL: from the crew's phone and from the
shelter, versioned, with Indonesian labels; health data read only by the console and the crew working the
case, every write and read audited; bad forms refused with nothing saved."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Actor, count
from tests.dispatch_helpers import Shift, pending_offer, post
from tests.facilities.helpers import B, facility, incident, timeline

FIELD = {
    "place": "field",
    "assessor": {"name": "Rudi (TRC)", "role": "trc"},
    "condition": "needs_care",
    "physical_signs": ["dehydration", "skin_disease"],
    "mental_signs": ["agitated", "hallucination"],
    "needs": ["psychiatric", "food"],
    "identity_found": False,
    "family_known": False,
    "risk": "high",
    "risk_note": "melempar batu ke kendaraan",
    "consent": "unable",
    "legal_basis": "public_service",
}
SHELTER = {
    **FIELD,
    "place": "shelter",
    "assessor": {"name": "Dewi, M.Psi.", "role": "psychologist"},
    "condition": "stable",
    "mental_signs": ["withdrawn"],
    "identity_found": True,
    "identity_note": "mengaku bernama Budi, dari Tanjung Uncang",
    "family_known": True,
    "risk": "medium",
}


async def test_from_the_crew_phone_and_the_shelter_versioned(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    phone = shift.crew_headers[crew_id]
    inc = await shift.report(category="ODGJ", subject={"flags": ["agitated"]})
    r = await client.post(
        f"{B}/incidents/{inc}/subjects",
        json={"subjects": [{"name": "Budi", "sex": "male", "approx_age": 40}]},
        headers=op.headers,
    )
    assert r.status_code == 201
    await shift.verify(inc)
    url = f"{B}/incidents/{inc}/subjects/1/assessments"
    # Before the crew takes the case it may not assess; neither may a crew of another case.
    assert (await client.post(url, json=FIELD, headers=phone)).status_code == 403
    offer = await pending_offer(db, inc)
    await post(client, phone, f"{B}/offers/{offer['id']}/accept", expect=200)
    r = await client.post(url, json=FIELD, headers=phone)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["version"] == 1 and first["current"]
    assert first["condition"] == {"code": "needs_care", "label": "perlu perawatan"}
    assert [s["label"] for s in first["mental_signs"]] == ["gelisah", "halusinasi"]
    assert first["legal_basis"]["label"] == "pelayanan publik / kepentingan umum"
    assert first["place"]["label"] == "di lapangan"
    # The crew on the case also sees where he may be placed.
    await facility(client, actors["supervisor"])
    r = await client.get(f"{B}/incidents/{inc}/subjects/1/placement-suggestions", headers=phone)
    assert r.status_code == 200 and r.json()["suggestions"][0]["unit"] == "ODGJ Laki-laki"
    r = await client.post(url, json=SHELTER, headers=op.headers)
    assert r.status_code == 201 and r.json()["version"] == 2
    listed = (await client.get(url, headers=op.headers)).json()
    assert [(a["version"], a["current"], a["assessor_role"]["label"]) for a in listed] == [
        (2, True, "psikolog"),
        (1, False, "petugas TRC"),
    ]
    assert listed[0]["identity_note"] == "mengaku bernama Budi, dari Tanjung Uncang"
    assert (await client.get(url, headers=phone)).status_code == 200
    for who in ("crew", "reporter", "agency"):
        assert (await client.get(url, headers=actors[who].headers)).status_code == 403
    assert (await client.get(url, headers=actors["operator_jember"].headers)).status_code == 404
    # The timeline says an assessment was made, not what it found.
    recorded = [e for e in await timeline(client, op, inc) if e["type"] == "assessment.recorded"]
    assert [e["data"]["version"] for e in recorded] == [1, 2]
    assert not {"condition", "mental_signs", "risk"} & set(recorded[0]["data"])
    audit = (
        await client.get(f"{B}/audit", params={"entity_id": first["id"]}, headers=actors["admin"].headers)
    ).json()
    assert sorted(a["action"] for a in audit) == ["create", "read", "read"]
    assert "mental_signs" in audit[0]["fields"]


async def test_concurrent_assessments_get_their_own_versions(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op, sup = actors["operator"], actors["supervisor"]
    inc = await incident(client, op, [{"name": "Budi", "sex": "male", "approx_age": 40}], category="ODGJ")
    url = f"{B}/incidents/{inc}/subjects/1/assessments"
    answers = await asyncio.gather(
        *[client.post(url, json=SHELTER, headers=h.headers) for h in (op, sup, op)]
    )
    assert sorted(r.status_code for r in answers) == [201, 201, 201], [r.text for r in answers]
    assert sorted(r.json()["version"] for r in answers) == [1, 2, 3]
    # The person's own view: his assessments once the subject is linked.
    link = (await client.post(f"{B}/incidents/{inc}/subjects/1/person", json={}, headers=op.headers)).json()
    r = await client.post(url, json=FIELD, headers=op.headers)
    assert r.status_code == 201
    mine = (await client.get(f"{B}/persons/{link['person_id']}/assessments", headers=op.headers)).json()
    # Those made before the link are his too.
    assert [a["version"] for a in mine] == [4, 3, 2, 1]
    assert [a["person_id"] for a in mine] == [link["person_id"]] * 4


async def test_a_bad_form_is_refused_and_nothing_is_saved(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    inc = await incident(client, op, [{"name": "Budi", "sex": "male", "approx_age": 40}], category="ODGJ")
    url = f"{B}/incidents/{inc}/subjects/1/assessments"
    bad: list[dict[str, Any]] = [
        {**FIELD, "legal_basis": "consent"},  # consent as the basis of someone unable to give it
        {**FIELD, "mental_signs": ["possessed"]},
        {**FIELD, "needs": ["food", "food"]},
        {k: v for k, v in FIELD.items() if k != "condition"},
        {**FIELD, "assessor": {"name": "", "role": "trc"}},
        {**FIELD, "assessed_at": "2999-01-01T00:00:00Z"},
        {**FIELD, "notes": "x\u0007"},
        {**FIELD, "diagnosis": "F20"},
    ]
    for body in bad:
        r = await client.post(url, json=body, headers=op.headers)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert await count(db, "assessments") == 0
    assert (
        await client.post(f"{B}/incidents/{inc}/subjects/2/assessments", json=FIELD, headers=op.headers)
    ).status_code == 404
