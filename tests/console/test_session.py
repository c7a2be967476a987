"""The console's sign-in, CSRF and forms through the ASGI app (SQLite and PostgreSQL): the cookie's flags,
refused forms without the session's token, a deactivated account's session ending at once, a call taken
through the form landing in the same intake as the API's reports."""

from __future__ import annotations

import re
import uuid

import httpx

from app.headers import CONSOLE_CSP
from tests.conftest import PASSWORD, Actor

BATAM_VILLAGE = "21.71.06.1003"


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/konsol/masuk")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token, form.text
    return await client.post(
        "/konsol/masuk",
        data={"csrf": token.group(1), "username": username, "password": password, "next": "/konsol/antrean"},
    )


async def page_csrf(client: httpx.AsyncClient, path: str = "/konsol/antrean") -> str:
    r = await client.get(path)
    assert r.status_code == 200, r.text
    found = re.search(r'data-csrf="([^"]+)"', r.text)
    assert found
    return found.group(1)


async def test_sign_in_sets_a_strict_http_only_cookie_and_the_queue_shows_incidents(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    assert (await client.get("/")).headers["location"] == "/konsol/antrean"
    r = await client.get("/konsol/antrean")
    assert r.status_code == 303 and r.headers["location"].startswith("/konsol/masuk")
    body = {
        "channel": "call_center",
        "location": {"region_code": BATAM_VILLAGE, "landmark": "Simpang Jodoh"},
        "category": "ODGJ",
        "description": "ODGJ ngamuk",
        "subject": {"flags": ["agitated"]},
    }
    created = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
    assert created.status_code == 201
    r = await sign_in(client, "t.operator")
    assert r.status_code == 303 and r.headers["location"] == "/konsol/antrean"
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "tanggap_konsol=" in v)
    flags = {p.strip().lower() for p in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/konsol"} <= flags
    assert "secure" not in flags  # plain http in tests; https adds it
    page = await client.get("/konsol/antrean")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONSOLE_CSP
    assert created.json()["incident_id"] in page.text
    assert "P1 Darurat" in page.text and "Simpang Jodoh" in page.text and "ODGJ Terlantar" in page.text
    # The cookie is the console's only: the API still wants a bearer token or a key.
    assert (await client.get("/api/v1/incidents")).status_code == 401


async def test_forms_without_the_session_token_are_refused(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    bare = await client.post(
        "/konsol/masuk", data={"csrf": "forged", "username": "t.operator", "password": PASSWORD}
    )
    assert bare.status_code == 403 and "tanggap_konsol=" not in bare.headers.get("set-cookie", "")
    await sign_in(client, "t.operator")
    csrf = await page_csrf(client)
    call = {"place": BATAM_VILLAGE, "category": "GEL", "description": "Gelandangan tidur di halte"}
    for token in (None, "forged"):
        data = {**call, **({"csrf": token} if token else {})}
        r = await client.post("/konsol/panggilan", data=data)
        assert r.status_code == 403, r.text
        assert "CSRF" in r.text
    assert (await client.post("/konsol/tiket")).status_code == 403
    listed = await client.get("/api/v1/incidents", headers=actors["operator"].headers)
    assert listed.json()["items"] == []
    ok = await client.post("/konsol/panggilan", data={**call, "csrf": csrf})
    assert ok.status_code == 303
    ticket = await client.post("/konsol/tiket", headers={"X-CSRF-Token": csrf})
    assert ticket.status_code == 200 and ticket.json()["topic"] == "region:21.71"


async def test_a_deactivated_account_s_session_ends_at_once_and_sign_out_ends_it(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    admin = actors["admin"].headers
    name = f"op.{uuid.uuid4().hex[:8]}"
    body = {"username": name, "role": "operator", "region_code": "21.71", "password": "first-pass-1"}
    user = (await client.post("/api/v1/users", json=body, headers=admin)).json()
    assert (await sign_in(client, name, "first-pass-1")).status_code == 303
    csrf = await page_csrf(client)
    assert (await client.post(f"/api/v1/users/{user['id']}/deactivate", headers=admin)).status_code == 200
    r = await client.get("/konsol/antrean")
    assert r.status_code == 303 and r.headers["location"].startswith("/konsol/masuk")
    assert (await client.post("/konsol/tiket", headers={"X-CSRF-Token": csrf})).status_code == 401
    # Signing out: the cookie goes, the pages ask for a sign-in again.
    assert (await sign_in(client, "t.supervisor")).status_code == 303
    csrf = await page_csrf(client)
    out = await client.post("/konsol/keluar", data={"csrf": csrf})
    assert out.status_code == 303
    assert (await client.get("/konsol/antrean")).status_code == 303


async def test_only_triage_roles_use_the_console_and_wrong_passwords_say_so_in_indonesian(
    client: httpx.AsyncClient,
) -> None:
    crew = await sign_in(client, "t.crew")
    assert crew.status_code == 403 and "untuk operator" in crew.text
    wrong = await sign_in(client, "t.operator", "not the password")
    assert wrong.status_code == 401 and "kata sandi salah" in wrong.text


async def test_a_call_by_form_goes_through_intake_and_joins_a_duplicate_in_one_step(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    await sign_in(client, "t.operator")
    csrf = await page_csrf(client, "/konsol/panggilan")
    first = {
        "csrf": csrf,
        "place": f"Lubuk Baja Kota, Kec. Lubuk Baja ({BATAM_VILLAGE})",
        "landmark": "Simpang Jodoh",
        "coords": "1.143, 104.011",
        "category": "ODGJ",
        "flag_agitated": "1",
        "description": "ODGJ mengamuk di simpang",
        "reporter_name": "Siti",
        "reporter_phone": "0812-3456-7890",
    }
    r = await client.post("/konsol/panggilan", data=first)
    assert r.status_code == 303
    incident_id = r.headers["location"].rsplit("/", 1)[1]
    detail = (await client.get(f"/api/v1/incidents/{incident_id}", headers=actors["operator"].headers)).json()
    assert detail["priority"] == 1 and detail["landmark"] == "Simpang Jodoh"
    assert detail["reports"][0]["channel"] == "call_center"
    assert detail["reports"][0]["reporter"]["phone"] == "+6281234567890"
    # A second caller: the duplicate shows before saving, and is joined in one step.
    dups = await client.post(
        "/konsol/panggilan/duplikat", data={"csrf": csrf, "place": "Lubuk Baja Kota", "category": "ODGJ"}
    )
    assert dups.status_code == 200 and f'value="{incident_id}"' in dups.text and "ODGJ mengamuk" in dups.text
    second = {**first, "description": "Orang mengamuk lempar batu", "incident_id": incident_id}
    r = await client.post("/konsol/panggilan", data=second)
    assert r.status_code == 303 and r.headers["location"].endswith(incident_id)
    detail = (await client.get(f"/api/v1/incidents/{incident_id}", headers=actors["operator"].headers)).json()
    assert detail["report_count"] == 2
    # A form with errors comes back with what was typed and the field named, nothing saved.
    bad = await client.post("/konsol/panggilan", data={**first, "coords": "utara", "description": "x"})
    assert bad.status_code == 422 and "Koordinat" in bad.text and "Simpang Jodoh" in bad.text
    page = await client.get(f"/konsol/insiden/{incident_id}")
    assert page.status_code == 200 and "Orang mengamuk lempar batu" in page.text
    assert "Laporan diterima" in page.text  # the timeline, in words


async def test_english_switch(client: httpx.AsyncClient) -> None:
    await sign_in(client, "t.operator")
    assert "Antrean" in (await client.get("/konsol/antrean")).text
    r = await client.get("/konsol/bahasa/en", params={"kembali": "/konsol/antrean"})
    assert r.status_code == 303 and r.headers["location"] == "/konsol/antrean"
    page = (await client.get("/konsol/antrean")).text
    assert "Open incidents" in page and "Antrean" not in page
    evil = await client.get("/konsol/bahasa/id", params={"kembali": "https://evil.example/"})
    assert evil.headers["location"] == "/konsol/antrean"


async def test_another_region_s_incident_is_not_found_on_the_console(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    body = {
        "channel": "call_center",
        "location": {"region_code": BATAM_VILLAGE},
        "category": "LUT",
        "description": "Nenek terlantar",
    }
    created = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
    incident_id = created.json()["incident_id"]
    await sign_in(client, "t.operator_jember")
    csrf = await page_csrf(client)
    page = await client.get(f"/konsol/insiden/{incident_id}")
    assert page.status_code == 404 and "Tidak ditemukan" in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert incident_id not in (await client.get("/konsol/antrean")).text
    verify = await client.post(f"/konsol/insiden/{incident_id}/verifikasi", data={"csrf": csrf})
    assert verify.status_code == 404
    dups = await client.post(
        "/konsol/panggilan/duplikat", data={"csrf": csrf, "place": BATAM_VILLAGE, "category": "LUT"}
    )
    assert incident_id not in dups.text
    detail = await client.get(f"/api/v1/incidents/{incident_id}", headers=actors["operator"].headers)
    assert detail.json()["status"] == "received"


async def test_merge_and_notes_from_the_incident_page(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    body = {
        "channel": "call_center",
        "location": {"region_code": BATAM_VILLAGE},
        "category": "GEL",
        "description": "Gelandangan tidur di halte",
    }
    ids = []
    for _ in range(2):
        r = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
        ids.append(r.json()["incident_id"])
    earlier, later = ids
    await sign_in(client, "t.operator")
    page = await client.get(f"/konsol/insiden/{later}")
    assert f'name="into" value="{earlier}"' in page.text
    csrf = await page_csrf(client, f"/konsol/insiden/{later}")
    r = await client.post(f"/konsol/insiden/{later}/gabung", data={"csrf": csrf, "into": earlier})
    assert r.status_code == 303 and r.headers["location"] == f"/konsol/insiden/{earlier}"
    merged = (await client.get(f"/api/v1/incidents/{later}", headers=actors["operator"].headers)).json()
    assert merged["merged_into_id"] == earlier
    r = await client.post(
        f"/konsol/insiden/{earlier}/catatan", data={"csrf": csrf, "text": "Sudah ditelepon balik"}
    )
    assert r.status_code == 303
    page = await client.get(f"/konsol/insiden/{earlier}")
    assert "Catatan ditambahkan" in page.text and "Sudah ditelepon balik" in page.text
    assert "Digabung" in page.text
