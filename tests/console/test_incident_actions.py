"""The incident page's actions through the ASGI app (SQLite and PostgreSQL): each form lands in the API's own
service (what the API reads back is what the form did), a form without the session's token or with a bad
field changes nothing, an htmx action that is refused answers with its reason for the page's error box; the
crews to dispatch by hand come with their distances; the board counts open cases per kecamatan."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from fastapi import FastAPI

from app.services.persons import proposals
from tests import factories
from tests.conftest import Actor
from tests.console.test_session import page_csrf, sign_in
from tests.dispatch_helpers import Shift, post


async def detail(client: httpx.AsyncClient, actors: dict[str, Actor], incident_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/incidents/{incident_id}", headers=actors["operator"].headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_category_and_priority_change_with_a_reason_and_a_refused_form_changes_nothing(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    body = factories.report(category="GEL", description="Gelandangan tidur di halte", subject={"flags": []})
    incident_id = (await post(client, actors["operator"], "/api/v1/reports", body))["incident_id"]
    before = await detail(client, actors, incident_id)
    await sign_in(client, "t.operator")
    page = f"/konsol/insiden/{incident_id}"
    csrf = await page_csrf(client, page)
    change = {"category": "PENG", "priority": "2", "reason": "penelepon kedua: mengemis, bukan tidur"}
    for refused, status in (
        ({**change, "csrf": "forged"}, 403),
        ({**change, "csrf": csrf, "reason": ""}, 422),
    ):
        r = await client.post(f"{page}/ubah", data=refused)
        assert r.status_code == status, r.text
    # The same refusal asked by htmx: the reason, for the page's error box, and the page stays.
    r = await client.post(
        f"{page}/ubah", data={**change, "csrf": csrf, "reason": "x"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 422 and r.headers["hx-retarget"] == "#action-error"
    assert 'class="problem"' in r.text and "alasan perubahan" in r.text
    assert (await detail(client, actors, incident_id))["priority"] == before["priority"]
    r = await client.post(f"{page}/ubah", data={**change, "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == page
    after = await detail(client, actors, incident_id)
    assert (after["category"], after["priority"], after["priority_source"]) == ("PENG", 2, "manual")
    changed = [e for e in after["timeline"] if e["type"] == "incident.priority_changed"]
    assert changed[-1]["data"]["reason"] == change["reason"]
    text = (await client.get(page)).text
    assert "Prioritas diubah" in text and "P" + str(before["priority"]) + " → P2" in text


async def test_dispatch_by_hand_lists_crews_nearest_first_with_distances_and_sends_the_chosen(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    shift = await Shift(client, actors).start(2)
    incident_id = await shift.report()  # received, not verified: the engine offers it to nobody yet
    await sign_in(client, "t.operator")
    page = f"/konsol/insiden/{incident_id}"
    html = (await client.get(page)).text
    rows = re.findall(r'<tr data-crew="([0-9a-f-]{36})">.*?(\d+\.\d) km', html, re.S)
    # Crews are placed 1 and 2 km north of the incident (tests/dispatch_helpers.py).
    assert [(crew, km) for crew, km in rows] == [(shift.crews[0]["id"], "1.0"), (shift.crews[1]["id"], "2.0")]
    csrf = await page_csrf(client, page)
    far = shift.crews[1]["id"]
    r = await client.post(f"{page}/tugaskan", data={"csrf": csrf, "crew": far, "reason": "ab"})
    assert r.status_code == 422
    assert (await detail(client, actors, incident_id))["assigned_crew_id"] is None
    reason = "regu 1 sudah di jalan itu"
    r = await client.post(f"{page}/tugaskan", data={"csrf": csrf, "crew": far, "reason": reason})
    assert r.status_code == 303, r.text
    after = await detail(client, actors, incident_id)
    assert after["assigned_crew_id"] == far and after["status"] == "dispatched"
    text = (await client.get(page)).text
    assert "Diberangkatkan manual" in text and reason in text and "Regu 1" in text


async def test_a_referral_made_on_the_page_and_its_answer_by_phone_recorded_on_the_agency_s_behalf(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    agency = await post(
        client,
        actors["admin"],
        "/api/v1/agencies",
        {"name": "Polsek Lubuk Baja", "kind": "police", "region_code": "21.71.06"},
    )
    body = factories.report(category="GEL", description="Gelandangan tidur di halte", subject={"flags": []})
    incident_id = (await post(client, actors["operator"], "/api/v1/reports", body))["incident_id"]
    await post(client, actors["operator"], f"/api/v1/incidents/{incident_id}/verify", {}, expect=200)
    await sign_in(client, "t.operator")
    page = f"/konsol/insiden/{incident_id}"
    csrf = await page_csrf(client, page)
    assert f'<option value="{agency["id"]}">Polsek Lubuk Baja</option>' in (await client.get(page)).text
    r = await client.post(
        f"{page}/rujuk", data={"csrf": csrf, "agency": agency["id"], "reason": "identifikasi bersama"}
    )
    assert r.status_code == 303, r.text
    listed = await client.get(
        f"/api/v1/incidents/{incident_id}/referrals", headers=actors["operator"].headers
    )
    referral = listed.json()[0]
    assert referral["status"] == "pending" and referral["reason"] == "identifikasi bersama"
    answer = {"csrf": csrf, "status": "declined", "via": "phone", "contact": "Bripka Andi", "note": ""}
    r = await client.post(f"/konsol/rujukan/{referral['id']}/jawaban", data=answer)
    assert r.status_code == 422  # a decline needs its reason: nothing recorded
    answer = {**answer, "status": "accepted", "note": "anggota meluncur"}
    r = await client.post(f"/konsol/rujukan/{referral['id']}/jawaban", data=answer)
    assert r.status_code == 303 and r.headers["location"] == page
    listed = await client.get(
        f"/api/v1/incidents/{incident_id}/referrals", headers=actors["operator"].headers
    )
    assert listed.json()[0]["status"] == "accepted" and listed.json()[0]["answer_note"] == "anggota meluncur"
    text = (await client.get(page)).text
    assert "Instansi menerima" in text or "Diterima instansi" in text
    assert "dicatat atas nama instansi: Telepon, Bripka Andi" in text


async def test_the_board_counts_open_cases_per_kecamatan_with_the_nearest_free_crew(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    await Shift(client, actors).start(1)
    for flags, what in ((["agitated"], "ODGJ ngamuk di simpang"), ([], "ODGJ duduk diam di simpang")):
        body = factories.report(subject={"flags": flags}, description=what)
        await post(client, actors["operator"], "/api/v1/reports", body)
    await sign_in(client, "t.supervisor")
    html = (await client.get("/konsol/papan")).text
    row = re.search(r'<tr data-kecamatan="21\.71\.06"[^>]*>(.*?)</tr>', html, re.S)
    assert row, html
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert cells == ["1", "1", "–", "–"]  # one P1 (agitated ODGJ), one P2
    assert "Regu 0 · 1.0 km" in row.group(1)
    # The kecamatan with the most urgent cases comes first.
    assert html.index('data-kecamatan="21.71.06"') < html.index('data-kecamatan="21.71.01"')


async def test_likely_the_same_person_is_shown_and_confirmed_or_rejected_on_the_page(
    client: httpx.AsyncClient, app: FastAPI, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    nik = "2171060103880007"
    joko = await post(client, op, "/api/v1/persons", {"name": "Joko Susilo", "nik": nik})
    other = await post(
        client,
        op,
        "/api/v1/persons",
        {
            "name": "Joko Santoso",
            "sex": "male",
            "approx_age": 36,
            "home_region_code": factories.BATAM_VILLAGE,
        },
    )
    body = factories.report(subject={"count": 1, "name": "Joko", "nik": nik, "sex": "male", "approx_age": 37})
    incident_id = (await post(client, op, "/api/v1/reports", body))["incident_id"]
    for _ in range(100):
        await proposals.run(app.state.sessionmaker)
        listed = (await client.get(f"/api/v1/incidents/{incident_id}/proposals", headers=op.headers)).json()
        if listed:
            break
        await asyncio.sleep(0.1)
    by_person = {p["person"]["id"]: p for p in listed}
    assert set(by_person) == {joko["id"], other["id"]}
    await sign_in(client, "t.operator")
    page = f"/konsol/insiden/{incident_id}"
    html = (await client.get(page)).text
    assert "Kemungkinan orang yang sama" in html and "pasti (NIK sama)" in html and "NIK sama persis" in html
    assert "2171********0007" in html and nik not in html  # masked on the page
    csrf = await page_csrf(client, page)
    sure, unsure = by_person[joko["id"]]["id"], by_person[other["id"]]["id"]
    r = await client.post(f"{page}/usulan/{sure}/konfirmasi", data={"csrf": "forged"})
    assert r.status_code == 403
    r = await client.post(f"{page}/usulan/{unsure}/tolak", data={"csrf": csrf, "reason": "x" * 501})
    assert r.status_code == 422
    r = await client.post(f"{page}/usulan/{sure}/konfirmasi", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == page
    r = await client.post(f"{page}/usulan/{unsure}/tolak", data={"csrf": csrf, "reason": "umur beda"})
    assert r.status_code == 303, r.text
    states = {
        p["person"]["id"]: p["state"]
        for p in (await client.get(f"/api/v1/incidents/{incident_id}/proposals", headers=op.headers)).json()
    }
    assert states == {joko["id"]: "confirmed", other["id"]: "rejected"}
    subjects = (await client.get(f"/api/v1/incidents/{incident_id}/subjects", headers=op.headers)).json()
    assert [s["person_id"] for s in subjects] == [joko["id"]]
    text = (await client.get(page)).text
    assert "Subjek ditautkan ke klien" in text and "Bukan orang yang sama" in text and "dikonfirmasi" in text
