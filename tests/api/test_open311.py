"""Open311 GeoReport v2: fields and formats as the specification gives them, JSON and XML, its error
format, api_key, and nothing personal in what anyone may read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Actor, count

BASE = "/open311/v2"
# Required by GeoReport v2 for each service and request.
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


async def _key(client: httpx.AsyncClient, actors: dict[str, Actor], who: str = "reporter") -> str:
    r = await client.post(
        "/api/v1/api-keys",
        json={"user_id": str(actors[who].id), "name": "aplikasi warga"},
        headers=actors["admin"].headers,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


def _form(key: str, **overrides: Any) -> dict[str, Any]:
    form = {
        "api_key": key,
        "service_code": "ODGJ",
        "lat": "1.1430",
        "long": "104.0113",
        "description": "Orang dengan gangguan jiwa berjalan di tengah jalan, Pak Darto namanya",
        "first_name": "Siti",
        "last_name": "Aminah",
        "phone": "081234567890",
        "jurisdiction_id": "21.71.06.1003",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


async def test_services_in_json_and_xml(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{BASE}/services.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    services = r.json()
    assert services and all(set(s) == SERVICE_FIELDS for s in services)
    codes = {s["service_code"] for s in services}
    assert {"ODGJ", "OT", "AJ", "LUT", "JENAZAH"} <= codes and "KAT" not in codes  # KAT is not public
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in services)
    x = await client.get(f"{BASE}/services.xml")
    root = ET.fromstring(x.content)
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    assert {e.tag for e in root.find("service")} == SERVICE_FIELDS  # type: ignore[union-attr]
    assert (await client.get(f"{BASE}/services/ODGJ.json")).status_code == 200
    missing = await client.get(f"{BASE}/services/NOPE.json")
    assert missing.status_code == 404 and missing.json() == [
        {"code": 404, "description": "service_code NOPE not found"}
    ]


async def test_create_and_read_back_without_personal_data(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    key = await _key(client, actors)
    r = await client.post(f"{BASE}/requests.json", data=_form(key))
    assert r.status_code == 201, r.text
    [created] = r.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    rid = created["service_request_id"]
    assert rid.startswith("TG-")
    [one] = (await client.get(f"{BASE}/requests/{rid}.json")).json()
    assert set(one) == REQUEST_FIELDS
    assert one["status"] == "open" and one["service_code"] == "ODGJ"
    assert one["agency_responsible"] == "Dinas Sosial Kota Batam"
    text = str(one)
    assert "Darto" not in text and "Siti" not in text and "0812" not in text and one["lat"] is None
    listed = (await client.get(f"{BASE}/requests.json?status=open&service_code=ODGJ")).json()
    assert [x["service_request_id"] for x in listed] == [rid]
    assert (await client.get(f"{BASE}/requests.json?status=closed")).json() == []
    xml = ET.fromstring((await client.get(f"{BASE}/requests/{rid}.xml")).content)
    assert xml.tag == "service_requests" and xml.findtext("request/service_request_id") == rid
    # The operator sees it as a public-app report with the reporter's data.
    incidents = (await client.get("/api/v1/incidents", headers=actors["operator"].headers)).json()["items"]
    assert len(incidents) == 1 and incidents[0]["category"] == "ODGJ"
    # Closed once the team resolves it.
    op = actors["operator"]
    iid = incidents[0]["id"]
    await client.post(
        f"/api/v1/incidents/{iid}/reject",
        json={"reason": "out_of_scope", "note": "bukan wilayah"},
        headers=op.headers,
    )
    [after] = (await client.get(f"{BASE}/requests/{rid}.json")).json()
    assert after["status"] == "closed"
    assert await count(db, "reports") == 1


async def test_errors_in_the_open311_format(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    key = await _key(client, actors)
    cases = [
        (_form("tgk_not-a-key"), 403),
        (_form(key, api_key=None), 403),
        (_form(key, service_code="NOPE"), 400),
        (_form(key, description=""), 400),
        (_form(key, lat="52.5", long="13.4"), 400),
        (_form(key, lat=None, long=None), 400),
        (_form(key, jurisdiction_id="35.09"), 400),
        (_form(key, phone="12"), 400),
    ]
    for form, status in cases:
        r = await client.post(f"{BASE}/requests.json", data=form)
        assert r.status_code == status, (form, r.text)
        [err] = r.json()
        assert err["code"] == status and err["description"]
    r = await client.post(f"{BASE}/requests.xml", data=_form(key, service_code="NOPE"))
    root = ET.fromstring(r.content)
    assert root.tag == "errors" and root.findtext("error/code") == "400"
    crew_key = await _key(client, actors, "agency")
    assert (await client.post(f"{BASE}/requests.json", data=_form(crew_key))).status_code == 403
    assert (await client.get(f"{BASE}/requests.json?status=maybe")).status_code == 400
    assert (await client.get(f"{BASE}/requests.json?start_date=yesterday")).status_code == 400
    assert (await client.get(f"{BASE}/requests/TG-00000-00000.json")).status_code == 404
    assert await count(db, "reports") == 0
