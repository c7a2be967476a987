"""Persons (klien), incident subjects, match proposals, links, merges and splits through the API, on SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Incident, PersonLink
from app.models.base import utcnow
from tests import factories
from tests.conftest import Actor, count

B = "/api/v1"
# Born 1 March 1988 in Kota Batam (21.71.06), a man.
NIK = "2171060103880007"


async def _incident(client: httpx.AsyncClient, actor: Actor, **subject: Any) -> dict[str, Any]:
    body = factories.report(subject={"count": 1, "approx_age": 36, "sex": "male", **subject})
    r = await client.post(f"{B}/reports", json=body, headers=actor.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _subjects_from_report(client: httpx.AsyncClient, actor: Actor, report: dict[str, Any]) -> list[Any]:
    r = await client.post(
        f"{B}/incidents/{report['incident_id']}/subjects",
        json={"from_report_id": report["id"]},
        headers=actor.headers,
    )
    assert r.status_code == 201, r.text
    return list(r.json())


async def _timeline(client: httpx.AsyncClient, actor: Actor, incident_id: str) -> list[str]:
    r = await client.get(f"{B}/incidents/{incident_id}", headers=actor.headers)
    return [e["type"] for e in r.json()["timeline"]]


async def _audit(client: httpx.AsyncClient, admin: Actor, **params: str) -> list[dict[str, Any]]:
    r = await client.get(f"{B}/audit", params=params, headers=admin.headers)
    assert r.status_code == 200, r.text
    return list(r.json())


async def _backdate(db: async_sessionmaker[AsyncSession], incident_id: str, days: int) -> None:
    async with db() as s:
        at = utcnow() - timedelta(days=days)
        await s.execute(
            update(Incident).where(Incident.id == uuid.UUID(incident_id)).values(first_received_at=at)
        )
        await s.commit()


async def test_create_read_masked_and_audited(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    op = actors["operator"]
    body = {
        "name": "Joko Susilo",
        "aliases": ["Jack"],
        "nik": NIK,
        "kk": "2171060101090012",
        "description": "rambut gondrong, sering di simpang Jodoh",
        "home_region_code": "21.71.06.1003",
        "family_contacts": [{"name": "Sri", "relation": "kakak", "phone": "0812-1111-2222"}],
        "vulnerabilities": ["odgj"],
    }
    r = await client.post(f"{B}/persons", json=body, headers=op.headers)
    assert r.status_code == 201, r.text
    made = r.json()
    # The NIK gives the sex and the birth date; it is masked by default.
    assert made["sex"] == "male" and made["birth_date"] == "1988-03-01" and made["region_code"] == "21.71"
    assert made["nik"] == "2171********0007" and made["masked"] is True
    shown = (await client.get(f"{B}/persons/{made['id']}", headers=op.headers)).json()
    assert shown["nik"] == "2171********0007" and shown["family_contacts"][0]["phone"] == "+62812****2222"
    full = (await client.get(f"{B}/persons/{made['id']}?reveal=true", headers=op.headers)).json()
    assert full["nik"] == NIK and full["family_contacts"][0]["phone"] == "+6281211112222"
    reads = await _audit(client, actors["admin"], entity_id=made["id"], action="read")
    assert len(reads) == 2 and all(a["actor"] == op.username for a in reads)
    assert "nik" in reads[0]["fields"] and "nik" not in reads[1]["fields"]  # newest first
    # The same NIK again in the same kab/kota: the existing record is named.
    again = await client.post(f"{B}/persons", json={"nik": NIK}, headers=op.headers)
    assert again.status_code == 409 and again.json()["person_id"] == made["id"]


async def test_bad_input_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    future = (utcnow() + timedelta(days=30)).date().isoformat()
    for body in (
        {"name": "A", "nik": "2171063203880007"},  # 32 March
        {"name": "A", "nik": "217106010388"},  # too short
        {"name": "A", "nik": "2171060103880000"},  # serial 0000
        {"name": "A", "nik": NIK, "sex": "female"},  # the NIK says male
        {"name": "A", "birth_date": future},
        {"name": "A", "kk": "12345"},
        {"name": "A", "region_code": "99.99"},
    ):
        r = await client.post(f"{B}/persons", json=body, headers=op.headers)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert await count(db, "persons") == 0
    made = (await client.post(f"{B}/persons", json={"name": "Budi"}, headers=op.headers)).json()
    r = await client.patch(
        f"{B}/persons/{made['id']}", json={"birth_date": future, "reason": "salah"}, headers=op.headers
    )
    assert r.status_code == 422
    r = await client.patch(
        f"{B}/persons/{made['id']}", json={"nik": "1", "reason": "salah"}, headers=op.headers
    )
    assert r.status_code == 422
    shown = (await client.get(f"{B}/persons/{made['id']}", headers=op.headers)).json()
    assert shown["birth_date"] is None and shown["nik"] is None


async def test_correction_is_audited(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    op = actors["operator"]
    made = (await client.post(f"{B}/persons", json={"name": "Budi"}, headers=op.headers)).json()
    r = await client.patch(
        f"{B}/persons/{made['id']}",
        json={"name": "Budi Santoso", "nik": NIK, "reason": "KTP ditemukan"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Budi Santoso" and r.json()["nik"] == "2171********0007"
    writes = await _audit(client, actors["admin"], entity_id=made["id"], action="update")
    assert sorted(writes[0]["fields"]) == ["name", "nik"] and "KTP ditemukan" in writes[0]["purpose"]


async def test_same_odgj_three_months_later_by_nik(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    first = await _incident(client, op, name="Joko Susilo", nik=NIK)
    await _backdate(db, first["incident_id"], 95)
    await _subjects_from_report(client, op, first)
    r = await client.post(
        f"{B}/incidents/{first['incident_id']}/subjects/1/person", json={}, headers=op.headers
    )
    assert r.status_code == 201, r.text
    person_id = r.json()["person_id"]
    # Three months later, another caller gives only the NIK, and a nickname.
    later = await _incident(client, op, name="Jack", nik=NIK)
    await _subjects_from_report(client, op, later)
    m = (
        await client.get(f"{B}/incidents/{later['incident_id']}/subjects/1/matches", headers=op.headers)
    ).json()
    best = m["matches"][0]
    assert best["person"]["id"] == person_id and best["score"] == 1.0 and best["strength"] == "pasti"
    assert "NIK sama persis" in best["reasons"]
    assert [h["incident_id"] for h in best["history"]] == [first["incident_id"]]
    r = await client.post(
        f"{B}/incidents/{later['incident_id']}/subjects/1/link",
        json={"person_id": person_id},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    person = (await client.get(f"{B}/persons/{person_id}", headers=op.headers)).json()
    assert [h["incident_id"] for h in person["history"]] == [later["incident_id"], first["incident_id"]]
    assert "person.linked" in await _timeline(client, op, later["incident_id"])
    links = await _audit(client, actors["admin"], entity_id=person_id, action="link")
    assert [a["actor"] for a in links] == [op.username, op.username]  # created for the first, confirmed now
    proposals = await _audit(client, actors["admin"], entity_id=person_id, action="read")
    assert "match proposal" in [a["purpose"] for a in proposals]


async def test_same_odgj_three_months_later_without_nik(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    # Someone else, same kelurahan, to be told apart.
    other = await client.post(
        f"{B}/persons",
        json={"name": "Siti Rahma", "sex": "female", "approx_age": 30, "home_region_code": "21.71.06.1003"},
        headers=op.headers,
    )
    assert other.status_code == 201
    first = await _incident(client, op, name="Muhammad Rizky", approx_age=35)
    await _backdate(db, first["incident_id"], 92)
    await _subjects_from_report(client, op, first)
    created = await client.post(
        f"{B}/incidents/{first['incident_id']}/subjects/1/person",
        json={"aliases": ["Kiki"], "vulnerabilities": ["odgj"]},
        headers=op.headers,
    )
    person_id = created.json()["person_id"]
    # A different spelling, a guessed age a little off, the same place.
    later = await _incident(client, op, name="Mohamad Risky", approx_age=38)
    await _subjects_from_report(client, op, later)
    m = (
        await client.get(f"{B}/incidents/{later['incident_id']}/subjects/1/matches", headers=op.headers)
    ).json()
    assert [x["person"]["id"] for x in m["matches"]] == [person_id], m
    best = m["matches"][0]
    assert 0.65 <= best["score"] < 1.0 and best["strength"] == "kuat"
    joined = " ".join(best["reasons"])
    assert (
        "nama" in joined
        and "jenis kelamin sama" in joined
        and "umur cocok" in joined
        and "ditemukan" in joined
    )
    # By the alias alone, too.
    third = await _incident(client, op, name="Kiki", approx_age=36)
    await _subjects_from_report(client, op, third)
    m = (
        await client.get(f"{B}/incidents/{third['incident_id']}/subjects/1/matches", headers=op.headers)
    ).json()
    assert m["matches"] and m["matches"][0]["person"]["id"] == person_id
    # Rejected: not proposed again for that subject; on the timeline and audited.
    r = await client.post(
        f"{B}/incidents/{third['incident_id']}/subjects/1/reject",
        json={"person_id": person_id, "reason": "wajah berbeda"},
        headers=op.headers,
    )
    assert r.status_code == 204, r.text
    m = (
        await client.get(f"{B}/incidents/{third['incident_id']}/subjects/1/matches", headers=op.headers)
    ).json()
    assert person_id not in [x["person"]["id"] for x in m["matches"]]
    assert "match.rejected" in await _timeline(client, op, third["incident_id"])
    assert await _audit(client, actors["admin"], entity_id=person_id, action="reject")


async def test_raid_with_six_children_is_six_subjects_and_persons(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    body = factories.report(
        channel="patrol",
        category="AJ",
        description="razia Satpol PP: enam anak jalanan di simpang Jodoh",
        subject={"count": 6, "approx_age": 12, "sex": "unknown", "flags": ["child"]},
    )
    report = (await client.post(f"{B}/reports", json=body, headers=op.headers)).json()
    made = await _subjects_from_report(client, op, report)
    assert [s["ordinal"] for s in made] == [1, 2, 3, 4, 5, 6]
    names = ["Andi", "Budi", "Citra", "Dewi", "Eko", "Fajar"]
    sexes = ["male", "male", "female", "female", "male", "male"]
    for n, (name, sex) in enumerate(zip(names, sexes, strict=True), start=1):
        r = await client.post(
            f"{B}/incidents/{report['incident_id']}/subjects/{n}/person",
            json={"name": name, "sex": sex, "approx_age": 10 + n, "vulnerabilities": ["child"]},
            headers=op.headers,
        )
        assert r.status_code == 201, r.text
    listed = (await client.get(f"{B}/incidents/{report['incident_id']}/subjects", headers=op.headers)).json()
    assert len({s["person_id"] for s in listed}) == 6 and None not in {s["person_id"] for s in listed}
    assert await count(db, "persons") == 6
    assert (await _timeline(client, op, report["incident_id"])).count("person.linked") == 6
    # A person is at most one subject of an incident.
    r = await client.post(
        f"{B}/incidents/{report['incident_id']}/subjects",
        json={"subjects": [{"name": "Andi"}]},
        headers=op.headers,
    )
    assert r.status_code == 201
    r = await client.post(
        f"{B}/incidents/{report['incident_id']}/subjects/7/link",
        json={"person_id": listed[0]["person_id"]},
        headers=op.headers,
    )
    assert r.status_code == 409, r.text


async def test_merge_and_split_restore_both_records(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    a = await _incident(client, op, name="Slamet")
    b = await _incident(client, op, name="Slamet Riyadi", nik=NIK)
    for inc in (a, b):
        await _subjects_from_report(client, op, inc)
    pa = (
        await client.post(f"{B}/incidents/{a['incident_id']}/subjects/1/person", json={}, headers=op.headers)
    ).json()
    pb = (
        await client.post(f"{B}/incidents/{b['incident_id']}/subjects/1/person", json={}, headers=op.headers)
    ).json()
    kept, absorbed = pa["person_id"], pb["person_id"]
    r = await client.post(
        f"{B}/persons/{kept}/merge",
        json={"absorbed_id": absorbed, "reason": "orang yang sama"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    k = (await client.get(f"{B}/persons/{kept}?reveal=true", headers=op.headers)).json()
    assert k["nik"] == NIK and "Slamet Riyadi" in k["aliases"]
    assert {h["incident_id"] for h in k["history"]} == {a["incident_id"], b["incident_id"]}
    gone = (await client.get(f"{B}/persons/{absorbed}", headers=op.headers)).json()
    assert gone["merged_into_id"] == kept
    assert "person.merged" in await _timeline(client, op, b["incident_id"])
    # A merged record takes no links and is not merged again.
    r = await client.post(
        f"{B}/persons/{kept}/merge", json={"absorbed_id": absorbed, "reason": "lagi"}, headers=op.headers
    )
    assert r.status_code == 409
    r = await client.post(
        f"{B}/persons/{kept}/split",
        json={"absorbed_id": absorbed, "reason": "ternyata beda"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    k = (await client.get(f"{B}/persons/{kept}?reveal=true", headers=op.headers)).json()
    back = (await client.get(f"{B}/persons/{absorbed}?reveal=true", headers=op.headers)).json()
    assert (
        k["nik"] is None
        and k["aliases"] == []
        and [h["incident_id"] for h in k["history"]] == [a["incident_id"]]
    )
    assert back["merged_into_id"] is None and back["nik"] == NIK
    assert [h["incident_id"] for h in back["history"]] == [b["incident_id"]]
    assert "person.split" in await _timeline(client, op, b["incident_id"])
    for action in ("merged", "split"):
        assert await _audit(client, actors["admin"], entity_id=absorbed, action=action)
    # Unlink: reversible, kept in the history.
    r = await client.post(
        f"{B}/incidents/{a['incident_id']}/subjects/1/unlink",
        json={"reason": "salah orang"},
        headers=op.headers,
    )
    assert r.status_code == 200 and r.json()["unlinked_at"] is not None
    assert "person.unlinked" in await _timeline(client, op, a["incident_id"])
    k = (await client.get(f"{B}/persons/{kept}", headers=op.headers)).json()
    assert k["history"] == []
    r = await client.post(
        f"{B}/incidents/{a['incident_id']}/subjects/1/link", json={"person_id": kept}, headers=op.headers
    )
    assert r.status_code == 200


async def test_access_by_role_and_region(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    op = actors["operator"]
    report = await _incident(client, op, name="Joko", nik=NIK)
    await _subjects_from_report(client, op, report)
    link = (
        await client.post(
            f"{B}/incidents/{report['incident_id']}/subjects/1/person", json={}, headers=op.headers
        )
    ).json()
    pid = link["person_id"]
    for who in ("crew", "agency", "reporter"):
        h = actors[who].headers
        assert (await client.get(f"{B}/persons/{pid}", headers=h)).status_code == 403, who
        assert (await client.post(f"{B}/persons", json={"name": "X"}, headers=h)).status_code == 403, who
        r = await client.get(f"{B}/incidents/{report['incident_id']}/subjects/1/matches", headers=h)
        assert r.status_code in (403, 404), who
    # The crew not working the case does not list its subjects; another region does not see it at all.
    r = await client.get(f"{B}/incidents/{report['incident_id']}/subjects", headers=actors["crew"].headers)
    assert r.status_code == 403
    jember = actors["operator_jember"].headers
    assert (await client.get(f"{B}/persons/{pid}", headers=jember)).status_code == 404
    r = await client.get(f"{B}/incidents/{report['incident_id']}/subjects/1/matches", headers=jember)
    assert r.status_code == 404
    # Jember's own ODGJ with the same NIK is Jember's record: Batam's is not proposed there.
    j = await client.post(
        f"{B}/reports",
        json=factories.report(
            location={"region_code": factories.JEMBER_VILLAGE}, subject={"name": "Joko", "nik": NIK}
        ),
        headers=jember,
    )
    await _subjects_from_report(client, actors["operator_jember"], j.json())
    m = (
        await client.get(f"{B}/incidents/{j.json()['incident_id']}/subjects/1/matches", headers=jember)
    ).json()
    assert m["matches"] == []


async def test_concurrent_confirmations_make_one_link(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """Two operators confirm at the same moment: the same link twice is one link (both told so); the same
    person for two subjects of one incident is one link and a 409."""
    op, sup = actors["operator"], actors["supervisor"]
    person = (
        await client.post(f"{B}/persons", json={"name": "Joko Susilo", "nik": NIK}, headers=op.headers)
    ).json()
    report = await _incident(client, op, name="Joko", nik=NIK)
    await client.post(
        f"{B}/incidents/{report['incident_id']}/subjects",
        json={"subjects": [{"name": "Joko"}, {"name": "Joko S"}]},
        headers=op.headers,
    )
    url = f"{B}/incidents/{report['incident_id']}/subjects"
    same = await asyncio.gather(
        *[
            client.post(f"{url}/1/link", json={"person_id": person["id"]}, headers=h.headers)
            for h in (op, sup)
        ]
    )
    assert [r.status_code for r in same] == [200, 200], [r.text for r in same]
    assert same[0].json()["id"] == same[1].json()["id"]
    await client.post(f"{url}/1/unlink", json={"reason": "uji ulang"}, headers=op.headers)
    both = await asyncio.gather(
        *[
            client.post(f"{url}/{n}/link", json={"person_id": person["id"]}, headers=h.headers)
            for n, h in ((1, op), (2, sup))
        ]
    )
    assert sorted(r.status_code for r in both) == [200, 409], [r.text for r in both]
    async with db() as s:
        active = (
            await s.execute(text("SELECT count(*) FROM person_links WHERE unlinked_at IS NULL"))
        ).scalar_one()
    assert active == 1


async def test_the_database_refuses_a_second_active_link(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """Whatever the code does: one active link per subject, one per person in an incident."""
    op = actors["operator"]
    report = await _incident(client, op, name="Joko")
    await _subjects_from_report(client, op, report)
    link = (
        await client.post(
            f"{B}/incidents/{report['incident_id']}/subjects/1/person", json={}, headers=op.headers
        )
    ).json()
    other = (await client.post(f"{B}/persons", json={"name": "Lain"}, headers=op.headers)).json()
    for person_id in (other["id"], link["person_id"]):
        async with db() as s:
            s.add(
                PersonLink(
                    subject_id=uuid.UUID(link["subject_id"]),
                    incident_id=uuid.UUID(link["incident_id"]),
                    person_id=uuid.UUID(person_id),
                    how="confirmed",
                )
            )
            with pytest.raises(IntegrityError):
                await s.commit()


async def test_the_elderly_were_born_before_1970(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    """Dates of the service are bounded to 1970-2099; birth dates are not (a neglected elderly woman, LUT)."""
    op = actors["operator"]
    r = await client.post(
        f"{B}/persons",
        json={"name": "Mbah Sarni", "birth_date": "1950-05-01", "birth_precision": "year", "sex": "female"},
        headers=op.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["birth_year_min"] == 1950
    # A NIK of a woman born on 5 May 1945 (day + 40).
    r = await client.post(f"{B}/persons", json={"nik": "3509014505450003"}, headers=op.headers)
    assert r.status_code == 201, r.text
    assert r.json()["birth_date"] == "1945-05-05" and r.json()["sex"] == "female"
