"""Family tracing and return (issue 14, item 4) and reopening as a new episode (item 5), through the API: the
raid's six children to six outcomes, every step on the timeline, tuntas closed by the last outcome."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Repatriation
from tests.conftest import PASSWORD, Actor, count
from tests.facilities.helpers import B, admit, facility, incident, timeline, unit

KIDS = [{"name": f"Anak {i}", "sex": "male", "approx_age": 9 + i} for i in range(1, 6)]
KIDS.insert(2, {"name": "Sari", "sex": "female", "approx_age": 11})
HANDOVER = {
    "receiver_name": "Siti Aminah",
    "receiver_relation": "parent",
    "receiver_nik": "2171065505800002",
    "receiver_phone": "0812-7000-1234",
    "receiver_address": "Jl. Mawar 3, Sei Harapan, Sekupang",
    "receiver_region_code": "21.71.01",
}


async def _to(client: httpx.AsyncClient, actor: Actor, inc: str, *steps: str) -> None:
    for step in steps:
        body = {"to": step, **({"outcome": "shelter"} if step == "resolved" else {})}
        r = await client.post(f"{B}/incidents/{inc}/transitions", json=body, headers=actor.headers)
        assert r.status_code == 200, (step, r.text)


async def _dinsos_account(
    client: httpx.AsyncClient, admin: Actor, region: str = "52.71"
) -> tuple[str, dict[str, str]]:
    """The Dinas Sosial of a kab/kota (Kota Mataram, NTB, unless said) and an account acting for it. Accounts
    and agencies outlive a test (conftest KEEP): each test that calls this names a kab/kota of its own."""
    r = await client.post(
        f"{B}/agencies",
        json={"name": f"Dinas Sosial {region}", "kind": "dinas_sosial", "region_code": region},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    agency_id = r.json()["id"]
    username = f"dinsos.{region.replace('.', '')}"
    user = {"username": username, "role": "agency", "region_code": region, "password": PASSWORD}
    r = await client.post(f"{B}/users", json={**user, "agency_id": agency_id}, headers=admin.headers)
    assert r.status_code == 201, r.text
    r = await client.post(f"{B}/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return agency_id, {"Authorization": f"Bearer {r.json()['access_token']}"}


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


async def test_a_raid_six_children_six_paths_and_the_last_outcome_closes_the_case(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    sup, op, admin, crew = actors["supervisor"], actors["operator"], actors["admin"], actors["crew"]
    shelter = await facility(client, sup)
    panti = await facility(
        client,
        sup,
        name="Panti Asuhan Nurul Iman",
        kind="panti",
        units=[{"name": "Putra", "sex": "male", "group": "children", "capacity": 20}],
    )
    inc = await incident(client, op, KIDS, category="AJ")
    subjects = f"{B}/incidents/{inc}/subjects"
    # Six children, six persons.
    persons = []
    for n in range(1, 7):
        r = await client.post(f"{subjects}/{n}/person", json={}, headers=op.headers)
        assert r.status_code == 201, r.text
        persons.append(r.json()["person_id"])
    assert len(set(persons)) == 6
    await _to(client, op, inc, "verified", "dispatched", "en_route", "on_scene", "handling")

    # Family tracing for child 1: a wrong number, then his mother, who will take him.
    tried = {"contact_name": "Pak Joko", "relation": "relative", "phone": "0812-1111-2222"}
    r = await client.post(
        f"{subjects}/1/tracing",
        json={**tried, "method": "phone", "result": "wrong_number"},
        headers=op.headers,
    )
    assert r.status_code == 201 and r.json()["phone"] == "+6281211112222", r.text
    mother = {"contact_name": "Siti Aminah", "relation": "parent", "phone": "081270001234"}
    r = await client.post(
        f"{subjects}/1/tracing",
        json={**mother, "method": "rt_rw", "result": "will_take", "contact_region_code": "21.71.01"},
        headers=op.headers,
    )
    assert r.status_code == 201 and r.json()["result_label"].startswith("tersambung, keluarga bersedia")
    # An invalid phone, an unknown result: 422, nothing written.
    for bad in ({**mother, "phone": "12"}, {**mother, "result": "maybe"}):
        r = await client.post(f"{subjects}/1/tracing", json={"method": "phone", **bad}, headers=op.headers)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert await count(db, "tracing_contacts") == 2
    # On the person (in full, for the console) and on the timeline (masked).
    listed = (await client.get(f"{B}/persons/{persons[0]}/tracing", headers=op.headers)).json()
    assert [t["result"] for t in listed] == ["wrong_number", "will_take"]
    assert listed[1]["phone"] == "+6281270001234" and listed[1]["subject_ordinal"] == 1
    traced = [e for e in await timeline(client, op, inc) if e["type"] == "family.contact_tried"]
    assert [e["data"]["phone"] for e in traced] == ["+62812****2222", "+62812****1234"]
    # A crew not working the case, an operator of another province: no contacts.
    assert (await client.get(f"{B}/incidents/{inc}/tracing", headers=crew.headers)).status_code == 403
    r = await client.get(f"{B}/persons/{persons[0]}/tracing", headers=actors["operator_jember"].headers)
    assert r.status_code == 404

    # Three boys to the shelter's boys' unit; the girl is refused there (the wrong group), one to a panti.
    boys = unit(shelter, "Anak Putra")
    girl = await admit(client, op, inc, 3, boys)
    assert girl.status_code == 409 and "perempuan" in girl.json()["detail"]
    assert [(await admit(client, op, inc, n, boys)).status_code for n in (4, 5, 6)] == [201, 201, 201]
    assert (await admit(client, op, inc, 3, unit(panti, "Putra"))).status_code == 409  # a girl, a boys' unit
    await _to(client, sup, inc, "resolved")
    for n in (4, 5, 6):
        r = await client.post(f"{subjects}/{n}/outcome", json={"outcome": "shelter"}, headers=op.headers)
        assert r.status_code == 200, r.text
    r = await client.post(
        f"{subjects}/3/outcome", json={"outcome": "panti", "note": "Panti Asuhan Putri"}, headers=op.headers
    )
    assert r.status_code == 200

    # Child 1 goes home: a handover with a receipt.
    r = await client.post(f"{subjects}/1/handover", json=HANDOVER, headers=op.headers)
    assert r.status_code == 201, r.text
    handover = r.json()
    assert handover["receipt_number"].startswith("BAST/21.71/") and handover["outcome"] == "reunified"
    assert handover["receiver_nik"] == "2171********0002" and handover["receiver_phone"] == "+62812****1234"
    page = await client.get(handover["receipt_url"], headers=op.headers)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "BERITA ACARA SERAH TERIMA" in page.text and handover["receipt_number"] in page.text
    assert "Siti Aminah" in page.text and "2171065505800002" in page.text and "orang tua" in page.text
    assert (await client.get(handover["receipt_url"], headers=crew.headers)).status_code == 403
    again = await client.post(f"{subjects}/1/handover", json=HANDOVER, headers=op.headers)
    assert again.status_code == 409 and "sudah diserahkan ke keluarga" in again.json()["detail"]

    # Child 2 is from Mataram (NTB): no Dinas Sosial there yet, the problem says so.
    body = {"destination_region_code": "52.71", "reason": "alamat asal dari pengakuan anak dan RT"}
    r = await client.post(f"{subjects}/2/repatriations", json=body, headers=op.headers)
    assert r.status_code == 409 and "belum ada Dinas Sosial" in r.json()["detail"], r.text
    same = await client.post(
        f"{subjects}/2/repatriations",
        json={**body, "destination_region_code": "21.71.01"},
        headers=op.headers,
    )
    assert same.status_code == 422 and "masih di kab/kota kasus ini" in same.json()["detail"]
    agency_id, dinsos = await _dinsos_account(client, admin)
    r = await client.post(f"{subjects}/2/repatriations", json=body, headers=op.headers)
    assert r.status_code == 201, r.text
    rep = r.json()
    assert rep["agency_id"] == agency_id and rep["status"] == "requested"
    twice = await client.post(f"{subjects}/2/repatriations", json=body, headers=op.headers)
    assert twice.status_code == 409
    # Arrival before the destination accepts: refused.
    r = await client.post(f"{B}/repatriations/{rep['id']}/arrival", json=HANDOVER, headers=op.headers)
    assert r.status_code == 409 and "setelah Dinas Sosial tujuan menerima" in r.json()["detail"]
    # Mataram's Dinas Sosial sees the referral and answers through the loop.
    mine = (await client.get(f"{B}/agency/referrals", headers=dinsos)).json()
    assert [x["id"] for x in mine["items"]] == [rep["referral_id"]], mine
    r = await client.post(
        f"{B}/agency/referrals/{rep['referral_id']}/answers",
        json={"status": "accepted", "note": "dijemput petugas kami di Bandara Lombok"},
        headers=dinsos,
    )
    assert r.status_code == 200, r.text
    r = await client.get(f"{B}/repatriations/{rep['id']}", headers=op.headers)
    assert r.json()["status"] == "accepted" and r.json()["status_label"] == "diterima Dinas Sosial tujuan"
    detail = (await client.get(f"{B}/incidents/{inc}", headers=op.headers)).json()
    assert detail["status"] == "resolved" and detail["four_ct"]["completed_at"] is None
    arrival = {
        **HANDOVER,
        "receiver_name": "Lalu Ahmad",
        "receiver_relation": "official",
        "receiver_nik": None,
        "receiver_phone": None,
        "receiver_address": "Dinas Sosial Kota Mataram, Jl. Majapahit",
        "receiver_region_code": "52.71",
    }
    r = await client.post(f"{B}/repatriations/{rep['id']}/arrival", json=arrival, headers=op.headers)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "arrived" and done["handover"]["outcome"] == "reunified"
    assert done["referral_status"] == "completed"

    # The last outcome closed the case: tuntas stamped once, every step on the timeline.
    detail = (await client.get(f"{B}/incidents/{inc}", headers=op.headers)).json()
    assert detail["status"] == "closed" and detail["four_ct"]["completed_at"] is not None
    kinds = _types(detail["timeline"])
    for kind in (
        "subject.added",
        "family.contact_tried",
        "placement.admitted",
        "subject.handed_over",
        "repatriation.requested",
        "referral.created",
        "referral.accepted",
        "repatriation.accepted",
        "repatriation.arrived",
        "referral.completed",
    ):
        assert kind in kinds, kind
    assert kinds.count("subject.outcome_recorded") == 6 and kinds.count("subject.handed_over") == 2
    assert kinds[-1] == "incident.status_changed" and detail["timeline"][-1]["data"]["after"] == "closed"
    subjects_now = (await client.get(subjects, headers=op.headers)).json()
    assert [s["outcome"] for s in subjects_now] == [
        "reunified",
        "reunified",
        "panti",
        "shelter",
        "shelter",
        "shelter",
    ]
    assert [e["number"] for e in detail["episodes"]] == [1]


async def test_a_declined_repatriation_by_phone_and_on_behalf(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    """A Dinas Sosial without an account answers by phone: recorded on its behalf, marked so."""
    op, admin = actors["operator"], actors["admin"]
    r = await client.post(
        f"{B}/agencies",
        json={"name": "Dinas Sosial Provinsi NTB", "kind": "dinas_sosial", "region_code": "52"},
        headers=admin.headers,
    )
    assert r.status_code == 201
    inc = await incident(client, op, KIDS[:1], category="AJ")
    body = {"destination_region_code": "52.71.01", "reason": "keluarga di Mataram"}
    r = await client.post(f"{B}/incidents/{inc}/subjects/1/repatriations", json=body, headers=op.headers)
    assert r.status_code == 201, r.text
    rep = r.json()
    # The crew and another province's operator: nothing.
    r = await client.post(
        f"{B}/incidents/{inc}/subjects/1/repatriations", json=body, headers=actors["crew"].headers
    )
    assert r.status_code in (403, 404)
    declined = {
        "status": "declined",
        "reason": "alamat tidak ditemukan",
        "received_via": "phone",
        "contact": "Bu Rina, piket Dinsos NTB",
    }
    r = await client.post(f"{B}/referrals/{rep['referral_id']}/answers", json=declined, headers=op.headers)
    assert r.status_code == 200, r.text
    got = (await client.get(f"{B}/repatriations/{rep['id']}", headers=op.headers)).json()
    assert got["status"] == "declined" and got["answer_note"] == "alamat tidak ditemukan"
    events = [e for e in await timeline(client, op, inc) if e["type"] == "repatriation.declined"]
    assert events and events[0]["data"]["on_behalf"] is True and events[0]["data"]["received_via"] == "phone"
    # Declined: a new request may follow (the referral reopens).
    r = await client.post(f"{B}/incidents/{inc}/subjects/1/repatriations", json=body, headers=op.headers)
    assert r.status_code == 201 and r.json()["referral_status"] == "pending"


async def test_reopening_is_a_new_episode_and_keeps_the_first_stamps(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    inc = await incident(client, op, KIDS[:2], category="AJ")
    await _to(client, op, inc, "verified", "dispatched", "en_route", "on_scene", "resolved")
    subjects = f"{B}/incidents/{inc}/subjects"
    r = await client.post(f"{subjects}/1/outcome", json={"outcome": "shelter"}, headers=op.headers)
    assert r.status_code == 200
    first = (await client.get(f"{B}/incidents/{inc}", headers=op.headers)).json()["four_ct"]
    # An operator may not; a reason is required; an unknown subject is named.
    reopen = f"{B}/incidents/{inc}/reopen"
    assert (await client.post(reopen, json={"reason": "kabur"}, headers=op.headers)).status_code == 403
    assert (await client.post(reopen, json={}, headers=sup.headers)).status_code == 422
    r = await client.post(reopen, json={"reason": "kabur lagi", "subjects": [1, 9]}, headers=sup.headers)
    assert r.status_code == 422 and "subjek 9" in r.json()["detail"]
    r = await client.post(reopen, json={"reason": "kabur dari shelter", "subjects": [1]}, headers=sup.headers)
    assert r.status_code == 200 and r.json()["episode"] == 2 and r.json()["status"] == "handling", r.text
    detail = (await client.get(f"{B}/incidents/{inc}", headers=op.headers)).json()
    assert detail["four_ct"]["acted_at"] == first["acted_at"]  # never rewritten
    episodes = detail["episodes"]
    assert [e["number"] for e in episodes] == [1, 2] and episodes[1]["reason"] == "kabur dari shelter"
    assert episodes[0]["acted_at"] == first["acted_at"] and episodes[1]["acted_at"] is None
    assert episodes[1]["responded_at"] is not None and set(episodes[1]["deadlines"]) == {
        "tanggap",
        "tindak",
        "tuntas",
    }
    subjects_now = (await client.get(subjects, headers=op.headers)).json()
    assert subjects_now[0]["outcome"] is None and subjects_now[0]["status"] == "open"
    # Closing while subject 1 waits is refused; the handover then the last outcome close the second episode.
    await _to(client, sup, inc, "resolved")
    r = await client.post(f"{subjects}/1/handover", json=HANDOVER, headers=op.headers)
    assert r.status_code == 201, r.text
    r = await client.post(f"{subjects}/2/outcome", json={"outcome": "panti"}, headers=op.headers)
    assert r.status_code == 200
    detail = (await client.get(f"{B}/incidents/{inc}", headers=op.headers)).json()
    assert detail["status"] == "closed"
    second = detail["episodes"][1]
    assert second["acted_at"] is not None and second["completed_at"] is not None
    assert detail["episodes"][0]["completed_at"] is None  # the first episode never closed
    assert detail["four_ct"]["acted_at"] == first["acted_at"]
    kinds = _types(detail["timeline"])
    assert "incident.reopened" in kinds and "subject.outcome_reopened" in kinds
    # A closed incident is not reopened.
    r = await client.post(reopen, json={"reason": "lagi"}, headers=sup.headers)
    assert r.status_code == 409


async def test_the_database_holds_one_repatriation_under_way_per_subject(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """Even a writer that skips the service's check (the subject's row lock) cannot start a second one."""
    op = actors["operator"]
    await _dinsos_account(client, actors["admin"], region="35.09")
    inc = await incident(client, op, KIDS[:1], category="AJ")
    body = {"destination_region_code": "35.09", "reason": "keluarga di Jember"}
    r = await client.post(f"{B}/incidents/{inc}/subjects/1/repatriations", json=body, headers=op.headers)
    assert r.status_code == 201, r.text
    rep = r.json()
    async with db() as s:
        first = await s.get_one(Repatriation, uuid.UUID(rep["id"]))
        fields = {c: getattr(first, c) for c in ("incident_id", "subject_id", "agency_id", "referral_id")}
        s.add(Repatriation(**fields, destination_region_code="35.09", status="accepted"))
        with pytest.raises(IntegrityError):
            await s.commit()
    async with db() as s:
        s.add(Repatriation(**fields, destination_region_code="35.09", status="declined"))
        await s.commit()
    assert await count(db, "repatriations") == 2


async def _merge(client: httpx.AsyncClient, op: Actor, source: str, into: str) -> dict[str, Any]:
    r = await client.post(
        f"{B}/incidents/{source}/merge",
        json={"into_incident_id": into, "note": "laporan ganda"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    [merged] = [e for e in await timeline(client, op, into) if e["type"] == "incident.merged"]
    return dict(merged["data"])


ASSESSED = {
    "place": "field",
    "assessor": {"name": "Rina", "role": "social_worker"},
    "condition": "stable",
    "identity_found": False,
    "family_known": False,
    "risk": "low",
    "consent": "given",
    "legal_basis": "public_service",
}


async def test_a_merge_moves_the_subjects_and_tuntas_waits_for_them(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    """Two reports of one raid, one child each: merged, the kept incident has both children (the merged
    one numbered after its own, his tracing and assessment with him), and closes only with both outcomes."""
    op, sup = actors["operator"], actors["supervisor"]
    kept = await incident(client, op, KIDS[:1], category="AJ")
    dup = await incident(client, op, [KIDS[2]], category="AJ")
    assert kept != dup
    trace = {"contact_name": "Bu Sari", "relation": "parent", "method": "visit", "result": "not_reached"}
    r = await client.post(f"{B}/incidents/{dup}/subjects/1/tracing", json=trace, headers=op.headers)
    assert r.status_code == 201, r.text
    r = await client.post(f"{B}/incidents/{dup}/subjects/1/assessments", json=ASSESSED, headers=op.headers)
    assert r.status_code == 201, r.text

    data = await _merge(client, op, dup, kept)
    assert data["subjects_moved"] == [{"from": 1, "to": 2}] and data["subjects_collapsed"] == []
    assert "Sari" not in json.dumps(data)
    listed = (await client.get(f"{B}/incidents/{kept}/subjects", headers=op.headers)).json()
    assert [(s["ordinal"], s["name"]) for s in listed] == [(1, "Anak 1"), (2, "Sari")]
    assert (await client.get(f"{B}/incidents/{dup}/subjects", headers=op.headers)).json() == []
    traced = (await client.get(f"{B}/incidents/{kept}/tracing", headers=op.headers)).json()
    assert [(t["contact_name"], t["subject_ordinal"]) for t in traced] == [("Bu Sari", 2)]
    r = await client.get(f"{B}/incidents/{kept}/subjects/2/assessments", headers=op.headers)
    assert r.status_code == 200 and [a["version"] for a in r.json()] == [1], r.text

    await _to(client, op, kept, "verified", "dispatched", "en_route", "on_scene", "handling")
    await _to(client, sup, kept, "resolved")
    r = await client.post(
        f"{B}/incidents/{kept}/subjects/1/outcome", json={"outcome": "panti"}, headers=op.headers
    )
    assert r.status_code == 200, r.text
    detail = (await client.get(f"{B}/incidents/{kept}", headers=op.headers)).json()
    assert detail["status"] == "resolved" and detail["four_ct"]["completed_at"] is None
    r = await client.post(
        f"{B}/incidents/{kept}/subjects/2/outcome", json={"outcome": "shelter"}, headers=op.headers
    )
    assert r.status_code == 200, r.text
    detail = (await client.get(f"{B}/incidents/{kept}", headers=op.headers)).json()
    assert detail["status"] == "closed" and detail["four_ct"]["completed_at"] is not None


async def test_a_merge_collapses_the_same_person_into_the_kept_subject(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    """The same child in both incidents: one subject on the kept incident, the merged one's assessment and
    tracing re-pointed to it (versions after its own), the merged one's link closed."""
    op = actors["operator"]
    kept = await incident(client, op, KIDS[:1], category="AJ")
    dup = await incident(client, op, KIDS[:1], category="AJ")
    r = await client.post(f"{B}/incidents/{kept}/subjects/1/person", json={}, headers=op.headers)
    assert r.status_code == 201, r.text
    pid = r.json()["person_id"]
    r = await client.post(f"{B}/incidents/{dup}/subjects/1/link", json={"person_id": pid}, headers=op.headers)
    assert r.status_code == 200, r.text
    for inc in (kept, dup):
        r = await client.post(
            f"{B}/incidents/{inc}/subjects/1/assessments", json=ASSESSED, headers=op.headers
        )
        assert r.status_code == 201, r.text
    trace = {"contact_name": "Pak Budi", "relation": "parent", "method": "phone", "result": "not_reached"}
    r = await client.post(f"{B}/incidents/{dup}/subjects/1/tracing", json=trace, headers=op.headers)
    assert r.status_code == 201, r.text

    data = await _merge(client, op, dup, kept)
    assert data["subjects_moved"] == [] and data["subjects_collapsed"] == [{"from": 1, "into": 1}]
    listed = (await client.get(f"{B}/incidents/{kept}/subjects", headers=op.headers)).json()
    assert [(s["ordinal"], s["person_id"]) for s in listed] == [(1, pid)]
    r = await client.get(f"{B}/incidents/{kept}/subjects/1/assessments", headers=op.headers)
    assert sorted(a["version"] for a in r.json()) == [1, 2], r.text
    traced = (await client.get(f"{B}/incidents/{kept}/tracing", headers=op.headers)).json()
    assert [(t["contact_name"], t["subject_ordinal"]) for t in traced] == [("Pak Budi", 1)]
    # The dropped subject stays on the merged incident, no longer his; the closed link says why.
    [left] = (await client.get(f"{B}/incidents/{dup}/subjects", headers=op.headers)).json()
    assert left["person_id"] is None
    doc = (await client.get(f"{B}/persons/{pid}/export", headers=op.headers)).json()
    assert [i["id"] for i in doc["incidents"]] == [kept] and len(doc["assessments"]) == 2
    closed = [link for link in doc["links"] if link["unlinked_at"]]
    assert [link["incident_id"] for link in closed] == [dup] and kept in closed[0]["unlink_reason"]
