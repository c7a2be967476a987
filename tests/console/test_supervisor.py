"""The supervisor's pages through the ASGI app (SQLite and PostgreSQL): who may see them, and each form going
through the API's own service (what a form changes is read back through the API); a refused form changes
nothing. Signing out ends the session on the server: a copy of the cookie is refused afterwards."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import ConsoleSession
from tests.conftest import PASSWORD, Actor
from tests.console.test_session import page_csrf, sign_in

PAGES = ("/konsol/jadwal", "/konsol/personel", "/konsol/target", "/konsol/instansi")


async def _team(client: httpx.AsyncClient, actors: dict[str, Actor]) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/teams",
        json={"name": "TRC Kota Batam", "region_code": "21.71"},
        headers=actors["admin"].headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _api(client: httpx.AsyncClient, actor: Actor, path: str) -> Any:
    r = await client.get(f"/api/v1{path}", headers=actor.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _ids(text: str, attribute: str) -> list[str]:
    return re.findall(rf'data-{attribute}="([0-9a-f-]{{36}})"', text)


async def test_operators_get_a_403_page_and_no_links_supervisors_get_the_pages(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    await _team(client, actors)
    await sign_in(client, "t.operator")
    queue = (await client.get("/konsol/antrean")).text
    for path in PAGES:
        assert f'href="{path}"' not in queue
        r = await client.get(path)
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html"), path
        assert "untuk supervisor dan admin" in r.text
    csrf = await page_csrf(client)
    refused = await client.post("/konsol/instansi/tambah", data={"csrf": csrf, "name": "Polsek X"})
    assert refused.status_code == 403
    await client.get("/konsol/bahasa/en")
    english = await client.get("/konsol/target")
    assert english.status_code == 403 and "this page is for supervisors and admins" in english.text
    client.cookies.delete("tanggap_bahasa")
    client.cookies.clear()
    await sign_in(client, "t.supervisor")
    queue = (await client.get("/konsol/antrean")).text
    for path in PAGES:
        assert f'href="{path}"' in queue
        r = await client.get(path)
        assert r.status_code == 200, (path, r.text)
        assert 'aria-current="page"' in r.text


async def test_personnel_and_vehicles_added_deactivated_and_out_of_service_through_the_api_s_services(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    team = await _team(client, actors)
    sup = actors["supervisor"]
    await sign_in(client, "t.supervisor")
    csrf = await page_csrf(client, "/konsol/personel")
    add = "/konsol/personel/{}/tambah".format(team["id"])
    r = await client.post(add, data={"csrf": csrf, "name": "Rudi", "skill": ["driver", "medic"]})
    assert r.status_code == 303 and r.headers["location"] == f"/konsol/personel?tim={team['id']}"
    # A BKO without a home unit and secondment is refused, by the API's schema, with nothing saved.
    bad = await client.post(add, data={"csrf": csrf, "name": "Bayu", "kind": "bko"})
    assert bad.status_code == 422 and "BKO" in bad.text
    bko = {
        "csrf": csrf,
        "name": "Bayu",
        "kind": "bko",
        "home_unit": "Satpol PP Kota Batam",
        "seconded_from": "2026-11-01",
        "seconded_until": "2027-04-30",
        "phone": "0812-7777-1234",
    }
    assert (await client.post(add, data=bko)).status_code == 303
    people = await _api(client, sup, f"/teams/{team['id']}/personnel")
    assert sorted((p["name"], p["kind"]) for p in people) == [("Bayu", "bko"), ("Rudi", "trc")]
    rudi = next(p for p in people if p["name"] == "Rudi")
    assert rudi["skills"] == ["driver", "medic"]
    page = (await client.get("/konsol/personel")).text
    assert "Satpol PP Kota Batam" in page and "Pengemudi" in page
    r = await client.post(f"/konsol/personel/{rudi['id']}/aktif", data={"csrf": csrf, "active": "0"})
    assert r.status_code == 303
    people = await _api(client, sup, f"/teams/{team['id']}/personnel")
    assert {p["name"]: p["active"] for p in people} == {"Rudi": False, "Bayu": True}
    # Vehicles: added; out of service needs a reason; back in service.
    vadd = "/konsol/kendaraan/{}/tambah".format(team["id"])
    r = await client.post(
        vadd,
        data={
            "csrf": csrf,
            "name": "Ambulans 1",
            "plate": "BP 1234 XY",
            "seats": "4",
            "capability": "stretcher",
        },
    )
    assert r.status_code == 303
    [vehicle] = await _api(client, sup, f"/teams/{team['id']}/vehicles")
    assert vehicle["capabilities"] == ["stretcher"] and vehicle["seats"] == 4
    service = f"/konsol/kendaraan/{vehicle['id']}/layanan"
    no_reason = await client.post(service, data={"csrf": csrf, "in_service": "0", "reason": ""})
    assert no_reason.status_code == 422
    assert (await _api(client, sup, f"/teams/{team['id']}/vehicles"))[0]["in_service"] is True
    r = await client.post(service, data={"csrf": csrf, "in_service": "0", "reason": "ban bocor"})
    assert r.status_code == 303
    [vehicle] = await _api(client, sup, f"/teams/{team['id']}/vehicles")
    assert (vehicle["in_service"], vehicle["out_of_service_reason"]) == (False, "ban bocor")
    assert "ban bocor" in (await client.get("/konsol/personel")).text
    assert (await client.post(service, data={"csrf": csrf, "in_service": "1"})).status_code == 303
    assert (await _api(client, sup, f"/teams/{team['id']}/vehicles"))[0]["in_service"] is True
    # Without the session's token nothing changes.
    forged = await client.post(add, data={"csrf": "forged", "name": "Tono"})
    assert forged.status_code == 403
    assert len(await _api(client, sup, f"/teams/{team['id']}/personnel")) == 2


async def test_a_roster_formed_from_groups_shows_in_the_week_and_a_member_is_replaced(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    team = await _team(client, actors)
    sup = actors["supervisor"]
    await sign_in(client, "t.supervisor")
    csrf = await page_csrf(client, "/konsol/personel")
    for name in ("Adi", "Budi", "Citra", "Dewi"):
        await client.post(f"/konsol/personel/{team['id']}/tambah", data={"csrf": csrf, "name": name})
    people = {p["name"]: p["id"] for p in await _api(client, sup, f"/teams/{team['id']}/personnel")}
    start = date.today() + timedelta(days=14)
    form = {
        "csrf": csrf,
        "template": "2x12",
        "start_date": start.isoformat(),
        "days": "2",
        "crews_per_shift": "1",
        f"group_{people['Adi']}": "1",
        f"group_{people['Budi']}": "2",
        f"group_{people['Citra']}": "",  # in no group: stands by
    }
    r = await client.post(f"/konsol/jadwal/{team['id']}", data=form)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/konsol/jadwal?tim={team['id']}&minggu={start.isoformat()}"
    since, until = (
        f"{start.isoformat()}T00:00:00%2B07:00",
        f"{(start + timedelta(days=3)).isoformat()}T00:00:00%2B07:00",
    )
    crews = await _api(client, sup, f"/teams/{team['id']}/crews?since={since}&until={until}")
    assert len(crews) == 4  # two days of two 12-hour shifts
    assert {m["name"] for c in crews for m in c["members"]} == {"Adi", "Budi"}
    week = await client.get(r.headers["location"])
    assert week.status_code == 200 and set(_ids(week.text, "crew")) >= {c["id"] for c in crews}
    # The same people again in the same period: the whole roster is refused (409), nothing added.
    again = await client.post(f"/konsol/jadwal/{team['id']}", data=form)
    assert again.status_code == 409
    assert len(await _api(client, sup, f"/teams/{team['id']}/crews?since={since}&until={until}")) == 4
    adi_crew = next(c for c in crews if c["members"][0]["name"] == "Adi")
    swap = {
        "csrf": csrf,
        "out": people["Adi"],
        "in": people["Dewi"],
        "reason": "sakit",
        "minggu": start.isoformat(),
    }
    r = await client.post(f"/konsol/jadwal/regu/{adi_crew['id']}/ganti", data=swap)
    assert r.status_code == 303
    crew = await _api(client, sup, f"/crews/{adi_crew['id']}")
    assert [m["name"] for m in crew["members"]] == ["Dewi"]
    nobody = await client.post(
        f"/konsol/jadwal/{team['id']}",
        data={**form, f"group_{people['Adi']}": "", f"group_{people['Budi']}": ""},
    )
    assert nobody.status_code == 422


async def test_4ct_targets_edited_and_an_impossible_order_refused(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    team = await _team(client, actors)
    await sign_in(client, "t.supervisor")
    page = await client.get("/konsol/target")
    assert 'name="t1_temu" type="number" min="1" max="43200" value="30"' in page.text
    csrf = await page_csrf(client, "/konsol/target")
    fields = {f"t{p}_{s}": v for p, row in _defaults().items() for s, v in row.items()}
    r = await client.post(
        f"/konsol/target/{team['id']}",
        data={**fields, "csrf": csrf, "t1_temu": "20", "shift_template": "2x12"},
    )
    assert r.status_code == 303
    [out] = await _api(client, actors["supervisor"], "/teams")
    assert out["four_ct_targets"]["1"]["temu"] == 20 and out["shift_template"] == "2x12"
    assert out["four_ct_targets"]["1"]["tanggap"] == 45
    wrong = await client.post(f"/konsol/target/{team['id']}", data={**fields, "csrf": csrf, "t2_temu": "600"})
    assert wrong.status_code == 422
    [out] = await _api(client, actors["supervisor"], "/teams")
    assert out["four_ct_targets"]["2"]["temu"] == 60 and out["four_ct_targets"]["1"]["temu"] == 20
    assert "bawaan 30" in (await client.get("/konsol/target")).text


def _defaults() -> dict[int, dict[str, int]]:
    from app.dispatch.fourct import TARGET_MINUTES

    return {p: {s.name: m for s, m in row.items()} for p, row in TARGET_MINUTES.items()}


async def test_agencies_and_routing_rules_added_edited_and_deactivated(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup = actors["supervisor"]
    await sign_in(client, "t.supervisor")
    csrf = await page_csrf(client, "/konsol/instansi")
    name = f"RSJ Uji {uuid.uuid4().hex[:6]}"
    r = await client.post(
        "/konsol/instansi/tambah",
        data={
            "csrf": csrf,
            "name": name,
            "kind": "rsj",
            "region_code": "21.71",
            "contact_name": "dr. Ani",
            "contact_phone": "0778-123456",
        },
    )
    assert r.status_code == 303, r.text
    agency = next(a for a in await _api(client, sup, "/agencies") if a["name"] == name)
    assert agency["kind"] == "rsj" and agency["contacts"][0]["name"] == "dr. Ani"
    r = await client.post(
        f"/konsol/instansi/{agency['id']}/ubah",
        data={"csrf": csrf, "name": name + " Baru", "contact_name": "Pak Joko"},
    )
    assert r.status_code == 303
    agency = (await client.get(f"/api/v1/agencies/{agency['id']}", headers=sup.headers)).json()
    assert agency["name"] == name + " Baru" and [c["name"] for c in agency["contacts"]] == [
        "dr. Ani",
        "Pak Joko",
    ]
    outside = await client.post(
        "/konsol/instansi/tambah",
        data={"csrf": csrf, "name": "Polres Jember", "kind": "police", "region_code": "35.09"},
    )
    assert outside.status_code == 403
    # Rules: to the nearest of a kind, and always to this agency.
    r = await client.post(
        "/konsol/aturan/tambah",
        data={
            "csrf": csrf,
            "name": "ODGJ mengamuk ke polisi",
            "region_code": "21.71",
            "category": "ODGJ",
            "flag": "agitated",
            "target": "kind:police",
        },
    )
    assert r.status_code == 303, r.text
    r = await client.post(
        "/konsol/aturan/tambah",
        data={
            "csrf": csrf,
            "name": "ODGJ ke RSJ",
            "region_code": "21.71",
            "category": "ODGJ",
            "target": f"agency:{agency['id']}",
            "completes": "1",
        },
    )
    assert r.status_code == 303, r.text
    rules = {x["name"]: x for x in await _api(client, sup, "/routing-rules")}
    assert rules["ODGJ mengamuk ke polisi"]["agency_kind"] == "police"
    assert rules["ODGJ mengamuk ke polisi"]["flags"] == ["agitated"]
    assert rules["ODGJ ke RSJ"]["agency_id"] == agency["id"] and rules["ODGJ ke RSJ"]["completes_incident"]
    rule = rules["ODGJ mengamuk ke polisi"]
    r = await client.post(
        f"/konsol/aturan/{rule['id']}/ubah",
        data={"csrf": csrf, "name": "ODGJ ke polisi", "flag": ["agitated", "injured"]},
    )
    assert r.status_code == 303
    rules = {x["id"]: x for x in await _api(client, sup, "/routing-rules")}
    assert (rules[rule["id"]]["name"], rules[rule["id"]]["flags"], rules[rule["id"]]["active"]) == (
        "ODGJ ke polisi",
        ["agitated", "injured"],
        False,
    )
    r = await client.post(f"/konsol/instansi/{agency['id']}/aktif", data={"csrf": csrf, "active": "0"})
    assert r.status_code == 303
    page = (await client.get("/konsol/instansi")).text
    assert name + " Baru" in page and "Rumah sakit jiwa (RSJ)" in page and "ODGJ ke polisi" in page
    agency = (await client.get(f"/api/v1/agencies/{agency['id']}", headers=sup.headers)).json()
    assert agency["active"] is False


async def test_a_signed_out_cookie_is_refused_and_a_deactivation_ends_every_console_session(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    assert (await sign_in(client, "t.supervisor")).status_code == 303
    stolen = client.cookies.get("tanggap_konsol")
    assert stolen
    csrf = await page_csrf(client)
    assert (await client.post("/konsol/keluar", data={"csrf": csrf})).status_code == 303
    client.cookies.set("tanggap_konsol", stolen, path="/konsol")
    r = await client.get("/konsol/antrean")
    assert r.status_code == 303 and r.headers["location"].startswith("/konsol/masuk")
    assert (await client.post("/konsol/tiket", headers={"X-CSRF-Token": csrf})).status_code == 401
    # Another session of the same account is not touched by that sign-out.
    client.cookies.clear()
    assert (await sign_in(client, "t.supervisor")).status_code == 303
    assert (await client.get("/konsol/antrean")).status_code == 200
    # A deactivated account: all its sessions end on the server too.
    name = f"op.{uuid.uuid4().hex[:8]}"
    body = {"username": name, "role": "operator", "region_code": "21.71", "password": PASSWORD}
    user = (await client.post("/api/v1/users", json=body, headers=actors["admin"].headers)).json()
    for _ in range(2):
        client.cookies.clear()
        assert (await sign_in(client, name)).status_code == 303
    r = await client.post(f"/api/v1/users/{user['id']}/deactivate", headers=actors["admin"].headers)
    assert r.status_code == 200
    async with db() as session:
        ended = (
            await session.scalars(
                select(ConsoleSession.ended_at).where(ConsoleSession.user_id == uuid.UUID(user["id"]))
            )
        ).all()
    assert len(ended) == 2 and all(e is not None for e in ended)
    assert (await client.get("/konsol/antrean")).status_code == 303


@pytest.mark.parametrize("path", PAGES)
async def test_supervisor_pages_in_english(
    client: httpx.AsyncClient, actors: dict[str, Actor], path: str
) -> None:
    await _team(client, actors)
    await sign_in(client, "t.supervisor")
    await client.get("/konsol/bahasa/en", params={"kembali": path})
    r = await client.get(path)
    assert r.status_code == 200
    english = {
        "/konsol/jadwal": "Crews on duty now",
        "/konsol/personel": "Add a vehicle",
        "/konsol/target": "Shifts of the team",
        "/konsol/instansi": "Add a routing rule",
    }
    assert english[path] in r.text


async def test_one_crew_formed_for_a_shift_and_a_clash_refused_in_indonesian_adding_nothing(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    team = await _team(client, actors)
    sup = actors["supervisor"]
    await sign_in(client, "t.supervisor")
    csrf = await page_csrf(client, "/konsol/personel")
    for name in ("Eka", "Fajar"):
        await client.post(f"/konsol/personel/{team['id']}/tambah", data={"csrf": csrf, "name": name})
    await client.post(
        f"/konsol/kendaraan/{team['id']}/tambah", data={"csrf": csrf, "name": "Ambulans 1", "seats": "4"}
    )
    people = {p["name"]: p["id"] for p in await _api(client, sup, f"/teams/{team['id']}/personnel")}
    vehicles = await _api(client, sup, f"/teams/{team['id']}/vehicles")
    page = (await client.get(f"/konsol/jadwal?tim={team['id']}")).text
    assert 'id="form-crew"' in page and "Bentuk satu regu" in page
    day = date.today() + timedelta(days=20)
    form: dict[str, Any] = {
        "csrf": csrf,
        "name": "Regu Khusus",
        "day": day.isoformat(),
        "shift": "0",
        "member": [people["Eka"]],
        "vehicle": vehicles[0]["id"] if vehicles else "",
    }
    r = await client.post(f"/konsol/jadwal/{team['id']}/regu", data=form)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/konsol/jadwal?tim={team['id']}&minggu={day.isoformat()}"
    since, until = (
        f"{day.isoformat()}T00:00:00%2B07:00",
        f"{(day + timedelta(days=1)).isoformat()}T00:00:00%2B07:00",
    )
    crews = await _api(client, sup, f"/teams/{team['id']}/crews?since={since}&until={until}")
    assert [(c["name"], [m["name"] for m in c["members"]]) for c in crews] == [("Regu Khusus", ["Eka"])]
    assert crews[0]["shift_starts_at"][:19] == f"{day.isoformat()}T00:00:00"  # 07:00 WIB, the first shift
    week = await client.get(r.headers["location"])
    assert crews[0]["id"] in _ids(week.text, "crew")
    # Eka again in the same shift (with Fajar): refused (409) with the reason in Indonesian, nothing added.
    again = await client.post(
        f"/konsol/jadwal/{team['id']}/regu",
        data={**form, "name": "Regu Dua", "member": [people["Fajar"], people["Eka"]], "vehicle": ""},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 409
    assert "Eka sudah ada di regu Regu Khusus pada sif itu" in again.text
    assert len(await _api(client, sup, f"/teams/{team['id']}/crews?since={since}&until={until}")) == 1
    # No member, no shift: 422 naming what to fix.
    empty = await client.post(f"/konsol/jadwal/{team['id']}/regu", data={**form, "member": [], "shift": "9"})
    assert empty.status_code == 422 and "tulis nama regu" in empty.text
    assert len(await _api(client, sup, f"/teams/{team['id']}/crews?since={since}&until={until}")) == 1
