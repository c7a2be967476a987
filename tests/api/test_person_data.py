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
from tests.conftest import Actor
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
