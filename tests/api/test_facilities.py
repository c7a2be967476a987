"""Facilities, units and placement through the API, on SQLite and PostgreSQL: who manages and reads them,
admission, transfer and discharge with live occupancy and the timeline, separation rules answered with a
409 naming the rule, suggestions, the referral to an agency that runs a facility, bad input."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Placement
from tests.conftest import Actor, count
from tests.facilities.helpers import B, admit, facility, incident, occupancy, timeline, unit

CHILD = {"name": "Dodi", "sex": "male", "approx_age": 12}


async def test_supervisors_manage_operators_and_crews_read(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup, op, crew = actors["supervisor"], actors["operator"], actors["crew"]
    body = {"name": "Liposos", "kind": "liposos", "region_code": "21.71"}
    r = await client.post(f"{B}/facilities", json=body, headers=op.headers)
    assert r.status_code == 403
    r = await client.post(f"{B}/facilities", json={**body, "region_code": "35.09"}, headers=sup.headers)
    assert r.status_code == 403  # another region's
    fac = await facility(client, sup)
    assert fac["kind_label"] == "Rumah Singgah" and fac["stay_limit_days"] == 7
    assert {r["code"] for r in fac["rules"]} == {"child_adult", "odgj_elderly", "sexes"}
    assert fac["capacity"] == 16 and fac["free"] == 16
    assert {u["group_label"] for u in fac["units"]} >= {"anak", "ODGJ", "lansia", "umum"}
    for who in (op, crew):
        listed = (await client.get(f"{B}/facilities", headers=who.headers)).json()
        assert [f["id"] for f in listed] == [fac["id"]]
    jember = actors["operator_jember"]
    assert (await client.get(f"{B}/facilities", headers=jember.headers)).json() == []
    assert (await client.get(f"{B}/facilities/{fac['id']}", headers=jember.headers)).status_code == 404
    assert (await client.get(f"{B}/facilities", headers=actors["reporter"].headers)).status_code == 403
    r = await client.patch(
        f"{B}/facilities/{fac['id']}", json={"stay_limit_days": 3, "rules": ["sexes"]}, headers=sup.headers
    )
    assert r.status_code == 200 and r.json()["stay_limit_days"] == 3
    assert [x["label"] for x in r.json()["rules"]] == [
        "laki-laki dan perempuan terpisah kecuali unit keluarga"
    ]
    r = await client.patch(
        f"{B}/facilities/{fac['id']}", json={"name": None, "stay_limit_days": None}, headers=sup.headers
    )
    assert r.status_code == 200 and r.json()["name"] == fac["name"] and r.json()["stay_limit_days"] == 7
    r = await client.post(
        f"{B}/facilities/{fac['id']}/units",
        json={"name": "Isolasi 1", "sex": "mixed", "group": "isolation", "capacity": 1},
        headers=sup.headers,
    )
    assert r.status_code == 201 and r.json()["group_label"] == "isolasi"


async def test_admit_transfer_discharge_occupancy_and_timeline(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    fac = await facility(client, sup)
    inc = await incident(client, op, [CHILD])
    # A child in an adult unit: 409 naming the rule, nothing changes.
    r = await admit(client, op, inc, 1, unit(fac, "Dewasa Laki-laki"))
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"].endswith("/separation-rule")
    assert problem["detail"].startswith('aturan pemisahan "anak terpisah dari orang dewasa"')
    assert problem["rules"][0]["rule"] == "child_adult"
    assert sum((await occupancy(client, op, fac["id"])).values()) == 0
    r = await admit(client, op, inc, 1, unit(fac, "Anak Putra"))
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["status"] == "active" and first["status_label"] == "sedang ditempatkan"
    assert first["unit"] == "Anak Putra" and first["stay_due_at"] is not None
    assert (await occupancy(client, op, fac["id"]))["Anak Putra"] == 1
    again = await admit(client, op, inc, 1, unit(fac, "Anak Putri"))
    assert again.status_code == 409 and "sudah ditempatkan" in again.json()["detail"]
    # A boy into the girls' unit: the sexes rule.
    r = await client.post(
        f"{B}/placements/{first['id']}/transfer",
        json={"unit_id": unit(fac, "Anak Putri"), "reason": "kamar penuh"},
        headers=op.headers,
    )
    assert (
        r.status_code == 409 and "laki-laki tidak boleh ditempatkan di unit perempuan" in r.json()["detail"]
    )
    r = await client.post(
        f"{B}/placements/{first['id']}/transfer",
        json={"unit_id": unit(fac, "Keluarga"), "reason": "ibunya ditemukan, tinggal bersama"},
        headers=op.headers,
    )
    assert r.status_code == 201, r.text
    moved = r.json()
    assert moved["transferred_from_id"] == first["id"] and moved["unit"] == "Keluarga"
    occ = await occupancy(client, op, fac["id"])
    assert occ["Anak Putra"] == 0 and occ["Keluarga"] == 1
    # Discharge needs a destination when he goes home; bad input changes nothing.
    url = f"{B}/placements/{moved['id']}/discharge"
    bad = await client.post(url, json={"reason": "reunified"}, headers=op.headers)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    bad = await client.post(url, json={"reason": "kabur"}, headers=op.headers)
    assert bad.status_code == 422
    assert (await occupancy(client, op, fac["id"]))["Keluarga"] == 1
    r = await client.post(
        url,
        json={
            "reason": "reunified",
            "destination": "rumah orang tua, Tiban",
            "destination_region_code": "21.71.06",
        },
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "discharged" and r.json()["discharge_label"] == "dikembalikan ke keluarga"
    assert sum((await occupancy(client, op, fac["id"])).values()) == 0
    assert (await client.post(url, json={"reason": "died"}, headers=op.headers)).status_code == 409
    history = (await client.get(f"{B}/incidents/{inc}/subjects/1/placements", headers=op.headers)).json()
    assert [(p["unit"], p["status"]) for p in history] == [
        ("Anak Putra", "transferred"),
        ("Keluarga", "discharged"),
    ]
    # Linked to a person afterwards: his history holds these placements.
    link = (await client.post(f"{B}/incidents/{inc}/subjects/1/person", json={}, headers=op.headers)).json()
    his = (await client.get(f"{B}/persons/{link['person_id']}/placements", headers=op.headers)).json()
    assert [p["id"] for p in his] == [p["id"] for p in history]
    types = [e["type"] for e in await timeline(client, op, inc)]
    assert [t for t in types if t.startswith("placement.")] == [
        "placement.admitted",
        "placement.transferred",
        "placement.discharged",
    ]
    # The crew reads facilities but not who is placed; a subject's placements are the console's.
    crew = actors["crew"]
    assert (
        await client.get(f"{B}/incidents/{inc}/subjects/1/placements", headers=crew.headers)
    ).status_code == 403


async def test_odgj_apart_from_the_elderly_and_rules_per_facility(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    fac = await facility(client, sup)
    odgj = await incident(client, op, [{"name": "Budi", "sex": "male", "approx_age": 40}], category="ODGJ")
    elderly = await incident(
        client, op, [{"name": "Mbah Karto", "sex": "male", "approx_age": 72}], category="LUT"
    )
    r = await admit(client, op, odgj, 1, unit(fac, "Lansia"))
    assert r.status_code == 409 and "ODGJ tidak boleh ditempatkan di unit lansia" in r.json()["detail"]
    r = await admit(client, op, elderly, 1, unit(fac, "ODGJ Laki-laki"))
    assert r.status_code == 409 and '"ODGJ terpisah dari lansia"' in r.json()["detail"]
    assert (await admit(client, op, elderly, 1, unit(fac, "Dewasa Laki-laki"))).status_code == 201
    # The general unit now holds an elderly man: no ODGJ with him.
    r = await admit(client, op, odgj, 1, unit(fac, "Dewasa Laki-laki"))
    assert r.status_code == 409 and "sedang ditempati lansia" in r.json()["detail"]
    # A facility that does not keep this rule takes him.
    r = await client.patch(
        f"{B}/facilities/{fac['id']}", json={"rules": ["child_adult", "sexes"]}, headers=sup.headers
    )
    assert r.status_code == 200
    assert (await admit(client, op, odgj, 1, unit(fac, "Dewasa Laki-laki"))).status_code == 201
    assert (await occupancy(client, op, fac["id"]))["Dewasa Laki-laki"] == 2


async def test_unknown_age_or_sex_is_refused_by_the_rule_that_needs_it(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    fac = await facility(client, sup)
    inc = await incident(
        client, op, [{"name": "Tanpa Usia", "sex": "male"}, {"name": "Anak", "approx_age": 8}]
    )
    r = await admit(client, op, inc, 1, unit(fac, "Dewasa Laki-laki"))
    assert r.status_code == 409 and "usia belum diketahui" in r.json()["detail"]
    r = await admit(client, op, inc, 2, unit(fac, "Anak Putra"))
    assert r.status_code == 409 and "jenis kelamin belum diketahui" in r.json()["detail"]
    assert (await admit(client, op, inc, 2, unit(fac, "Keluarga"))).status_code == 201


async def test_full_units_and_capacity(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    fac = await facility(client, sup)
    men = [{"name": f"Pria {i}", "sex": "male", "approx_age": 30 + i} for i in range(3)]
    inc = await incident(client, op, men, category="GEL")
    target = unit(fac, "Dewasa Laki-laki")
    assert [(await admit(client, op, inc, n, target)).status_code for n in (1, 2)] == [201, 201]
    r = await admit(client, op, inc, 3, target)
    assert (
        r.status_code == 409
        and r.json()["type"].endswith("/unit-full")
        and "penuh (2/2" in r.json()["detail"]
    )
    r = await client.patch(f"{B}/facility-units/{target}", json={"capacity": 1}, headers=sup.headers)
    assert r.status_code == 409 and "lebih kecil dari penghuni" in r.json()["detail"]
    r = await client.patch(f"{B}/facility-units/{target}", json={"group": "elderly"}, headers=sup.headers)
    assert r.status_code == 409
    r = await client.patch(f"{B}/facility-units/{target}", json={"capacity": -1}, headers=sup.headers)
    assert r.status_code == 422
    assert (
        await client.patch(f"{B}/facility-units/{target}", json={"capacity": 3}, headers=op.headers)
    ).status_code == 403
    r = await client.patch(f"{B}/facility-units/{target}", json={"capacity": 3}, headers=sup.headers)
    assert r.status_code == 200 and r.json()["free"] == 1
    assert (await admit(client, op, inc, 3, target)).status_code == 201
    residents = (await client.get(f"{B}/facility-units/{target}/placements", headers=op.headers)).json()
    assert sorted(p["ordinal"] for p in residents) == [1, 2, 3]
    audit = (
        await client.get(
            f"{B}/audit", params={"entity_id": residents[0]["id"]}, headers=actors["admin"].headers
        )
    ).json()
    assert [a["action"] for a in audit] == ["read"]


async def test_suggestions_by_rules_group_and_capacity(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    near = await facility(client, sup)
    far = await facility(
        client,
        sup,
        name="UPT Nilam Suri",
        kind="upt",
        lat=1.0501,
        lon=104.1302,
        units=[{"name": "Anak Putra", "sex": "male", "group": "children", "capacity": 10}],
    )
    inc = await incident(client, op, [CHILD])
    r = await client.get(f"{B}/incidents/{inc}/subjects/1/placement-suggestions", headers=op.headers)
    assert r.status_code == 200, r.text
    got = r.json()
    assert [(s["facility"], s["unit"]) for s in got["suggestions"]] == [
        (near["name"], "Anak Putra"),
        (far["name"], "Anak Putra"),
        (near["name"], "Keluarga"),
    ]
    top = got["suggestions"][0]
    assert (
        top["reasons"][0] == "kelompok unit sesuai (anak)" and top["reasons"][-1] == "3 tempat tidur kosong"
    )
    assert any(x.startswith("jarak ") and x.endswith(" km") for x in top["reasons"])
    refused = {x["unit"]: x["reasons"] for x in got["refused"] if x["facility"] == near["name"]}
    assert refused["Dewasa Laki-laki"] == [
        "anak terpisah dari orang dewasa: "
        "anak (di bawah 18 tahun) tidak boleh ditempatkan di unit dewasa (umum)"
    ]
    assert any("perempuan" in x for x in refused["Anak Putri"])
    # A crew not working the incident may not ask; another province's incident is not found.
    assert (
        await client.get(
            f"{B}/incidents/{inc}/subjects/1/placement-suggestions", headers=actors["crew"].headers
        )
    ).status_code == 403


async def test_a_facility_run_by_an_agency_receives_through_a_referral(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    r = await client.post(
        f"{B}/agencies",
        json={"name": "RSJ Provinsi Kepri", "kind": "rsj", "region_code": "21.71"},
        headers=sup.headers,
    )
    assert r.status_code == 201, r.text
    agency = r.json()
    rsj = await facility(
        client,
        sup,
        name="RSJ Provinsi Kepri",
        kind="rsj",
        agency_id=agency["id"],
        units=[{"name": "Bangsal Pria", "sex": "male", "group": "odgj", "capacity": 5}],
    )
    assert rsj["agency_id"] == agency["id"] and rsj["stay_limit_days"] == 30
    inc = await incident(client, op, [{"name": "Budi", "sex": "male", "approx_age": 40}], category="ODGJ")
    r = await admit(client, op, inc, 1, unit(rsj, "Bangsal Pria"))
    assert r.status_code == 201, r.text
    referrals = (await client.get(f"{B}/incidents/{inc}/referrals", headers=op.headers)).json()
    assert [(x["id"], x["agency_id"], x["status"]) for x in referrals] == [
        (r.json()["referral_id"], agency["id"], "pending")
    ]
    types = [e["type"] for e in await timeline(client, op, inc)]
    assert types.index("referral.created") < types.index("placement.admitted")


async def test_one_active_placement_per_person(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    fac = await facility(client, sup)
    man = {"name": "Joko Susilo", "sex": "male", "approx_age": 36}
    first, second = [await incident(client, op, [man], category="GEL") for _ in range(2)]
    link = (await client.post(f"{B}/incidents/{first}/subjects/1/person", json={}, headers=op.headers)).json()
    r = await client.post(
        f"{B}/incidents/{second}/subjects/1/link", json={"person_id": link["person_id"]}, headers=op.headers
    )
    assert r.status_code == 200, r.text
    placed = await admit(client, op, first, 1, unit(fac, "Dewasa Laki-laki"))
    assert placed.status_code == 201 and placed.json()["person_id"] == link["person_id"]
    r = await admit(client, op, second, 1, unit(fac, "Dewasa Laki-laki"))
    assert r.status_code == 409 and "klien ini sedang ditempatkan" in r.json()["detail"]
    history = (await client.get(f"{B}/persons/{link['person_id']}/placements", headers=op.headers)).json()
    assert [p["incident_id"] for p in history] == [first]
    # Whatever the code does, the database refuses a second active placement of the person.
    p = placed.json()
    async with db() as s:
        s.add(
            Placement(
                subject_id=uuid.UUID(p["subject_id"]),
                incident_id=uuid.UUID(p["incident_id"]),
                person_id=None,
                facility_id=uuid.UUID(p["facility_id"]),
                unit_id=uuid.UUID(p["unit_id"]),
            )
        )
        with pytest.raises(IntegrityError):
            await s.commit()
    assert await count(db, "placements") == 1


async def test_a_link_made_after_admission_follows_and_cannot_give_two_beds(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    # Admitted before anyone knew who they were; then the operator links them to a person.
    sup, op = actors["supervisor"], actors["operator"]
    fac = await facility(client, sup)
    man = {"name": "Joko Susilo", "sex": "male", "approx_age": 36}
    first, second = [await incident(client, op, [man], category="GEL") for _ in range(2)]
    for inc in (first, second):
        assert (await admit(client, op, inc, 1, unit(fac, "Dewasa Laki-laki"))).status_code == 201
    link = (await client.post(f"{B}/incidents/{first}/subjects/1/person", json={}, headers=op.headers)).json()
    person = link["person_id"]
    history = (await client.get(f"{B}/persons/{person}/placements", headers=op.headers)).json()
    assert [p["incident_id"] for p in history] == [first] and history[0]["person_id"] == person
    # The second subject is placed too: saying he is the same man would give him two beds.
    r = await client.post(
        f"{B}/incidents/{second}/subjects/1/link", json={"person_id": person}, headers=op.headers
    )
    assert r.status_code == 409 and "dua penempatan aktif" in r.json()["detail"], r.text
    # Unlinked, the placement names nobody again.
    r = await client.post(
        f"{B}/incidents/{first}/subjects/1/unlink", json={"reason": "salah orang"}, headers=op.headers
    )
    assert r.status_code == 200, r.text
    assert (await client.get(f"{B}/persons/{person}/placements", headers=op.headers)).json() == []


async def test_the_database_keeps_occupancy_within_capacity(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    fac = await facility(client, actors["supervisor"])
    async with db() as s:
        with pytest.raises(IntegrityError):
            await s.execute(text("UPDATE facility_units SET occupied = capacity + 1"))
        await s.rollback()
        with pytest.raises(IntegrityError):
            await s.execute(text("UPDATE facility_units SET occupied = -1"))
    assert sum((await occupancy(client, actors["operator"], fac["id"])).values()) == 0


async def test_bad_input_is_a_problem_and_changes_nothing(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    sup = actors["supervisor"]
    for body in (
        {"name": "X", "kind": "rumah_singgah", "region_code": "21.71"},  # name too short
        {"name": "Rumah", "kind": "hotel", "region_code": "21.71"},
        {"name": "Rumah", "kind": "panti", "region_code": "99.99"},
        {"name": "Rumah", "kind": "panti", "region_code": "21.71", "lat": 1.1},
        {"name": "Rumah", "kind": "panti", "region_code": "21.71", "rules": ["no_dogs"]},
        {
            "name": "Rumah",
            "kind": "panti",
            "region_code": "21.71",
            "units": [{"name": "A", "sex": "x", "group": "general", "capacity": 1}],
        },
        {
            "name": "Rumah",
            "kind": "panti",
            "region_code": "21.71",
            "units": [{"name": "A", "sex": "male", "group": "general", "capacity": 1}] * 2,
        },
        {"name": "Rumah\u0000", "kind": "panti", "region_code": "21.71"},
        {"name": "Rumah", "kind": "panti", "region_code": "21.71", "stay_limit_days": -1},
        {"name": "Rumah", "kind": "panti", "region_code": "21.71", "owner": "x"},
    ):
        r = await client.post(f"{B}/facilities", json=body, headers=sup.headers)
        assert r.status_code == 422, (body, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        f"{B}/facilities",
        json={"name": "Rumah", "kind": "panti", "region_code": "21"},
        headers=actors["admin"].headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "region_code"
    assert await count(db, "facilities") == 0 and await count(db, "facility_units") == 0
    fac = await facility(client, sup)
    inc = await incident(client, actors["operator"], [CHILD])
    for body in ({"unit_id": "bukan-uuid"}, {}, {"unit_id": unit(fac, "Anak Putra"), "bed": 1}):
        r = await client.post(f"{B}/incidents/{inc}/subjects/1/placements", json=body, headers=sup.headers)
        assert r.status_code == 422, r.text
    r = await admit(client, sup, inc, 1, str(uuid.uuid4()))
    assert r.status_code == 404
    assert await count(db, "placements") == 0


async def test_a_raid_six_children_three_in_the_shelter_one_in_a_panti(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    """Issue 14's raid: six street children become six subjects; three boys fill the shelter's boys' unit
    (which refuses the girl and the adult brought with them), one goes to a panti, the girl to the girls'
    unit; each has his own path on the timeline."""
    sup, op = actors["supervisor"], actors["operator"]
    shelter = await facility(client, sup)
    panti = await facility(
        client,
        sup,
        name="Panti Asuhan Nurul Iman",
        kind="panti",
        units=[{"name": "Putra", "sex": "male", "group": "children", "capacity": 20}],
    )
    kids = [{"name": f"Anak {i}", "sex": "male", "approx_age": 9 + i} for i in range(4)]
    kids += [
        {"name": "Sari", "sex": "female", "approx_age": 11},
        {"name": "Pendamping", "sex": "male", "approx_age": 19},
    ]
    inc = await incident(client, op, kids, category="AJ")
    boys = unit(shelter, "Anak Putra")
    assert [(await admit(client, op, inc, n, boys)).status_code for n in (1, 2, 3)] == [201, 201, 201]
    girl = await admit(client, op, inc, 5, boys)
    assert (
        girl.status_code == 409
        and "perempuan tidak boleh ditempatkan di unit laki-laki" in girl.json()["detail"]
    )
    adult = await admit(client, op, inc, 6, boys)
    assert (
        adult.status_code == 409
        and "orang dewasa tidak boleh ditempatkan di unit anak" in adult.json()["detail"]
    )
    assert (await admit(client, op, inc, 4, boys)).json()["type"].endswith("/unit-full")
    assert (await admit(client, op, inc, 4, unit(panti, "Putra"))).status_code == 201
    assert (await admit(client, op, inc, 5, unit(shelter, "Anak Putri"))).status_code == 201
    assert (await admit(client, op, inc, 6, unit(shelter, "Dewasa Laki-laki"))).status_code == 201
    admitted = [
        e["data"]["ordinal"] for e in await timeline(client, op, inc) if e["type"] == "placement.admitted"
    ]
    assert sorted(admitted) == [1, 2, 3, 4, 5, 6]
    occ = await occupancy(client, op, shelter["id"])
    assert (occ["Anak Putra"], occ["Anak Putri"], occ["Dewasa Laki-laki"]) == (3, 1, 1)
