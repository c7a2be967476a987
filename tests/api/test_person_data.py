"""Personal data (UU PDP) of persons through the API, on SQLite and PostgreSQL: the subject-access export
(JSON and a printable page), who may have it, corrections kept before and after without a NIK on the event
log, and a person's placements in his record."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Event
from tests.conftest import PASSWORD, Actor
from tests.facilities.helpers import B, admit, facility, incident, unit

NIK = "2171060103880007"  # a man born 1 March 1988, registered in Kota Batam
NIK2 = "2171060103880015"
KK = "2171060101090012"
FORM = {
    "place": "shelter",
    "assessor": {"name": "Dewi, M.Psi.", "role": "psychologist"},
    "condition": "stable",
    "mental_signs": ["withdrawn"],
    "needs": ["psychiatric"],
    "identity_found": True,
    "identity_note": "KTP di dompet",
    "family_known": True,
    "risk": "medium",
    "consent": "given",
    "legal_basis": "public_service",
}


async def _person(client: httpx.AsyncClient, op: Actor) -> tuple[str, str]:
    """Joko, subject 1 of an ODGJ incident: a person record with NIK, KK, an alias and a family phone,
    assessed twice, admitted to a shelter and moved, with an outcome."""
    inc = await incident(client, op, [{"name": "Joko", "sex": "male", "approx_age": 36}], category="ODGJ")
    body = {
        "name": "Joko Susilo",
        "aliases": ["Jack"],
        "nik": NIK,
        "kk": KK,
        "description": "rambut gondrong",
        "family_contacts": [{"name": "Sri", "relation": "kakak", "phone": "0812-1111-2222"}],
        "vulnerabilities": ["odgj"],
    }
    r = await client.post(f"{B}/incidents/{inc}/subjects/1/person", json=body, headers=op.headers)
    assert r.status_code == 201, r.text
    pid = str(r.json()["person_id"])
    for version in (1, 2):
        r = await client.post(
            f"{B}/incidents/{inc}/subjects/1/assessments",
            json={**FORM, "notes": f"versi {version}"},
            headers=op.headers,
        )
        assert r.status_code == 201, r.text
    return inc, pid


async def test_export_holds_everything_unmasked_and_is_audited(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op, sup = actors["operator"], actors["supervisor"]
    fac = await facility(client, sup)
    inc, pid = await _person(client, op)
    r = await admit(client, op, inc, 1, unit(fac, "Dewasa Laki-laki"))
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{B}/placements/{r.json()['id']}/transfer",
        json={"unit_id": unit(fac, "ODGJ Laki-laki"), "reason": "gelisah malam hari"},
        headers=op.headers,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{B}/incidents/{inc}/subjects/1/outcome",
        json={"outcome": "rsj", "note": "dirujuk ke RSJ"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    r = await client.patch(
        f"{B}/persons/{pid}", json={"description": "rambut pendek", "reason": "dicukur"}, headers=op.headers
    )
    assert r.status_code == 200, r.text
    # The console's read of him now lists his placements: the current one first.
    shown = (await client.get(f"{B}/persons/{pid}", headers=op.headers)).json()
    assert [(p["unit"], p["current"], p["status"]) for p in shown["placements"]] == [
        ("ODGJ Laki-laki", True, "active"),
        ("Dewasa Laki-laki", False, "transferred"),
    ]
    assert shown["placements"][0]["facility"] == "Rumah Singgah Sekupang" and shown["nik"] != NIK

    r = await client.get(f"{B}/persons/{pid}/export", headers=sup.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    person = doc["person"]
    assert (person["nik"], person["kk"], person["masked"]) == (NIK, KK, False)
    assert person["aliases"] == ["Jack"] and person["family_contacts"][0]["phone"] == "+6281211112222"
    [case] = doc["incidents"]
    assert case["id"] == inc and case["category_label"] == "ODGJ Terlantar"
    assert case["subject"]["name"] == "Joko" and case["subject"]["outcome"] == "rsj"
    assert case["subject"]["outcome_note"] == "dirujuk ke RSJ"
    assert [(a["version"], a["current"], a["notes"]) for a in doc["assessments"]] == [
        (2, True, "versi 2"),
        (1, False, "versi 1"),
    ]
    assert [p["status"] for p in doc["placements"]] == ["active", "transferred"]
    assert doc["placements"][1]["end_note"] == "gelisah malam hari"
    assert [link["how"] for link in doc["links"]] == ["created"]
    [fix] = doc["corrections"]
    assert fix["changes"] == {"description": {"before": "rambut gondrong", "after": "rambut pendek"}}
    assert fix["reason"] == "dicukur" and fix["corrected_by"] == op.username
    # Who read his data: the operator's reads above, and this export first.
    log = doc["access_log"]
    assert (log[0]["action"], log[0]["actor"], log[0]["purpose"]) == ("export", sup.username, doc["purpose"])
    assert "akses subjek data" in doc["purpose"]
    assert {(e["actor"], e["entity_type"]) for e in log} >= {
        (op.username, "person"),
        (op.username, "assessment"),
        (op.username, "placement"),
    }
    audit = (
        await client.get(f"{B}/audit", params={"entity_id": pid}, headers=actors["admin"].headers)
    ).json()
    exported = [a for a in audit if a["action"] == "export"]
    assert len(exported) == 1 and exported[0]["actor"] == sup.username and "nik" in exported[0]["fields"]

    # The same as a printable page in Indonesian: by the query, or by the Accept header.
    for params, headers in (({"format": "html"}, {}), ({}, {"Accept": "text/html,*/*;q=0.8"})):
        page = await client.get(
            f"{B}/persons/{pid}/export", params=params, headers={**sup.headers, **headers}
        )
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        text = page.text
        for needle in (
            NIK,
            KK,
            "Joko Susilo",
            "Salinan data pribadi klien",
            "ODGJ Terlantar",
            "dirawat di rumah sakit jiwa",
            "rambut gondrong → rambut pendek",
            "Jejak akses data",
        ):
            assert needle in text, needle
        csp = page.headers["content-security-policy"]
        assert "style-src 'sha256-" in csp and "script" not in csp and "unsafe" not in csp
        assert page.headers["cache-control"] == "no-store"
    audit = (
        await client.get(f"{B}/audit", params={"entity_id": pid}, headers=actors["admin"].headers)
    ).json()
    assert sum(a["action"] == "export" for a in audit) == 3


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", 200),
        ("admin_batam", 200),
        ("supervisor", 200),
        ("operator", 200),
        ("crew", 403),
        ("agency", 403),
        ("reporter", 403),
        ("operator_jember", 404),
    ],
)
async def test_who_may_export(
    client: httpx.AsyncClient, actors: dict[str, Actor], who: str, expected: int
) -> None:
    """Those who handle persons in his kab/kota (and those above); another region is told nothing."""
    op = actors["operator"]
    made = await client.post(f"{B}/persons", json={"name": "Budi", "nik": NIK}, headers=op.headers)
    pid = made.json()["id"]
    for fmt in ("json", "html"):
        r = await client.get(f"{B}/persons/{pid}/export?format={fmt}", headers=actors[who].headers)
        assert r.status_code == expected, (who, fmt, r.text)
        if expected == 200:
            assert NIK in r.text
        else:
            assert r.headers["content-type"] == "application/problem+json" and NIK not in r.text
        r = await client.get(f"{B}/persons/{pid}", headers=actors[who].headers)
        assert r.status_code == expected, (who, r.text)
        if expected == 200:
            assert NIK not in r.text and r.json()["placements"] == []
    audit = (
        await client.get(f"{B}/audit", params={"entity_id": pid}, headers=actors["admin"].headers)
    ).json()
    assert sum(a["action"] == "export" for a in audit) == (2 if expected == 200 else 0)
    r = await client.get(f"{B}/persons/{uuid.uuid4()}/export", headers=actors[who].headers)
    assert r.status_code == 404


async def test_correction_keeps_before_and_after_but_the_event_carries_no_nik(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    made = (await client.post(f"{B}/persons", json={"name": "Budi", "nik": NIK}, headers=op.headers)).json()
    pid = made["id"]
    # Identity fields need a reason; without one nothing changes.
    r = await client.patch(f"{B}/persons/{pid}", json={"nik": NIK2}, headers=op.headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = await client.patch(
        f"{B}/persons/{pid}",
        json={"nik": NIK2, "name": "Budi Santoso", "kk": KK, "reason": f"KTP asli {NIK2}, salah ketik"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    writes = (
        await client.get(
            f"{B}/audit", params={"entity_id": pid, "action": "update"}, headers=actors["admin"].headers
        )
    ).json()
    assert sorted(writes[0]["fields"]) == ["kk", "name", "nik"]
    assert NIK2 not in json.dumps(writes) and NIK not in json.dumps(writes)
    async with db() as s:
        [event] = (await s.scalars(select(Event).where(Event.type == "person.corrected"))).all()
    carried = json.dumps(event.data)
    for secret in (NIK, NIK2, KK, "Budi Santoso"):
        assert secret not in carried, secret
    assert sorted(event.data["identity"]) == ["kk", "name", "nik"]
    assert event.data["reason"] == "KTP asli 2171********0015, salah ketik"
    doc = (await client.get(f"{B}/persons/{pid}/export", headers=op.headers)).json()
    [fix] = doc["corrections"]
    assert fix["changes"]["nik"] == {"before": NIK, "after": NIK2}
    assert fix["changes"]["kk"] == {"before": None, "after": KK}
    assert fix["changes"]["name"] == {"before": "Budi", "after": "Budi Santoso"}
    assert str(fix["id"]) == event.data["correction_id"]
    # The same values again: no correction, no event.
    r = await client.patch(f"{B}/persons/{pid}", json={"nik": NIK2, "reason": "cek"}, headers=op.headers)
    assert r.status_code == 200
    doc = (await client.get(f"{B}/persons/{pid}/export", headers=op.headers)).json()
    assert len(doc["corrections"]) == 1


async def test_export_shows_the_records_merged_in(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    kept = (await client.post(f"{B}/persons", json={"name": "Joko", "nik": NIK}, headers=op.headers)).json()
    other = (
        await client.post(f"{B}/persons", json={"name": "Jack", "aliases": ["Jek"]}, headers=op.headers)
    ).json()
    r = await client.post(
        f"{B}/persons/{kept['id']}/merge",
        json={"absorbed_id": other["id"], "reason": "orang yang sama"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = (await client.get(f"{B}/persons/{kept['id']}/export", headers=op.headers)).json()
    assert [a["id"] for a in doc["absorbed"]] == [other["id"]] and doc["absorbed"][0]["name"] == "Jack"
    assert [m["reason"] for m in doc["merges"]] == ["orang yang sama"]


async def _supervisor_of(client: httpx.AsyncClient, admin: Actor, region: str) -> dict[str, str]:
    """A supervisor of another kab/kota (accounts outlive a test: a unique name)."""
    username = f"sup.{region.replace('.', '')}.{uuid.uuid4().hex[:8]}"
    body = {"username": username, "role": "supervisor", "region_code": region, "password": PASSWORD}
    r = await client.post(f"{B}/users", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    r = await client.post(f"{B}/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_export_holds_his_family_tracing_handovers_and_repatriations(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    """Contacts tried (on his record and on his subject), his handover with its receipt and his
    repatriation are in his copy; the family members' phone and NIK masked; another subject's not."""
    op, sup, admin = actors["operator"], actors["supervisor"], actors["admin"]
    inc, pid = await _person(client, op)
    r = await client.post(
        f"{B}/incidents/{inc}/subjects", json={"subjects": [{"name": "Orang lain"}]}, headers=op.headers
    )
    assert r.status_code == 201, r.text
    other = r.json()[0]["ordinal"]
    trace = {"contact_name": "Sri Wahyuni", "relation": "sibling", "phone": "0812-3333-4444"}
    r = await client.post(
        f"{B}/incidents/{inc}/subjects/1/tracing",
        json={**trace, "address": "Jl. Kenanga 7, Tiban", "method": "phone", "result": "will_take"},
        headers=op.headers,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{B}/persons/{pid}/tracing",
        json={**trace, "phone": None, "method": "visit", "result": "not_reached"},
        headers=op.headers,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{B}/incidents/{inc}/subjects/{other}/tracing",
        json={**trace, "contact_name": "Keluarga lain", "method": "phone", "result": "will_take"},
        headers=op.headers,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{B}/agencies",
        json={"name": "Dinas Sosial Kota Mataram", "kind": "dinas_sosial", "region_code": "52.71"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    body = {"destination_region_code": "52.71", "reason": "mengaku berasal dari Mataram"}
    r = await client.post(f"{B}/incidents/{inc}/subjects/1/repatriations", json=body, headers=op.headers)
    assert r.status_code == 201, r.text
    rep = r.json()
    declined = {
        "status": "declined",
        "reason": "alamat tidak ditemukan",
        "received_via": "phone",
        "contact": "piket Dinsos Mataram",
    }
    r = await client.post(f"{B}/referrals/{rep['referral_id']}/answers", json=declined, headers=op.headers)
    assert r.status_code == 200, r.text
    handover = {
        "receiver_name": "Sri Wahyuni",
        "receiver_relation": "sibling",
        "receiver_nik": NIK2,
        "receiver_phone": "0812-3333-4444",
        "receiver_address": "Jl. Kenanga 7, Tiban, Sekupang",
    }
    r = await client.post(f"{B}/incidents/{inc}/subjects/1/handover", json=handover, headers=op.headers)
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_number"]

    r = await client.get(f"{B}/persons/{pid}/export", headers=sup.headers)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert "Keluarga lain" not in r.text and NIK2 not in r.text and "+6281233334444" not in r.text
    assert [(t["method"], t["result"], t["subject_ordinal"]) for t in doc["tracing"]] == [
        ("phone", "will_take", 1),
        ("visit", "not_reached", None),
    ]
    first = doc["tracing"][0]
    assert (
        first["contact_name"] == "Sri Wahyuni"
        and first["relation_label"]
        and first["phone"] == "+62812****4444"
    )
    [given] = doc["handovers"]
    assert (given["receipt_number"], given["receiver_name"], given["subject_ordinal"]) == (
        receipt,
        "Sri Wahyuni",
        1,
    )
    assert given["receiver_nik"] == "2171********0015" and given["receiver_phone"] == "+62812****4444"
    [back] = doc["repatriations"]
    assert (back["id"], back["status"], back["answer_note"]) == (
        rep["id"],
        "declined",
        "alamat tidak ditemukan",
    )
    kinds = {e["entity_type"] for e in doc["access_log"]}
    assert {"tracing_contact", "handover"} <= kinds
    audit = (
        await client.get(f"{B}/audit", params={"entity_id": pid}, headers=actors["admin"].headers)
    ).json()
    [exported] = [a for a in audit if a["action"] == "export"]
    assert {"tracing", "handovers", "repatriations"} <= set(exported["fields"])

    page = await client.get(f"{B}/persons/{pid}/export", params={"format": "html"}, headers=sup.headers)
    assert page.status_code == 200, page.text
    for needle in ("Penelusuran keluarga", "Serah terima ke keluarga", "Pemulangan ke daerah asal", receipt):
        assert needle in page.text, needle
    assert "2171********0015" in page.text and "Sri Wahyuni" in page.text
    assert NIK2 not in page.text and "+6281233334444" not in page.text and "Keluarga lain" not in page.text

    # Another kab/kota's supervisor: nothing, and no export is written down.
    jember = await _supervisor_of(client, admin, "35.09")
    for fmt in ("json", "html"):
        r = await client.get(f"{B}/persons/{pid}/export?format={fmt}", headers=jember)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
        assert "Sri Wahyuni" not in r.text
    audit = (
        await client.get(f"{B}/audit", params={"entity_id": pid}, headers=actors["admin"].headers)
    ).json()
    assert sum(a["action"] == "export" for a in audit) == 2
