"""What the facility tests share: a rumah singgah in Batam with one unit of each kind, and incidents with
subjects."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories
from tests.conftest import Actor

B = "/api/v1"

UNITS = [
    {"name": "Anak Putra", "sex": "male", "group": "children", "capacity": 3},
    {"name": "Anak Putri", "sex": "female", "group": "children", "capacity": 3},
    {"name": "Dewasa Laki-laki", "sex": "male", "group": "general", "capacity": 2},
    {"name": "ODGJ Laki-laki", "sex": "male", "group": "odgj", "capacity": 2},
    {"name": "Lansia", "sex": "mixed", "group": "elderly", "capacity": 2},
    {"name": "Keluarga", "sex": "family", "group": "general", "capacity": 4},
]


async def facility(client: httpx.AsyncClient, sup: Actor, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Rumah Singgah Sekupang",
        "kind": "rumah_singgah",
        "region_code": "21.71",
        "lat": 1.1301,
        "lon": 103.9442,
        "units": UNITS,
        **overrides,
    }
    r = await client.post(f"{B}/facilities", json=body, headers=sup.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def unit(fac: dict[str, Any], name: str) -> str:
    return str(next(u["id"] for u in fac["units"] if u["name"] == name))


async def incident(
    client: httpx.AsyncClient, op: Actor, subjects: list[dict[str, Any]], category: str = "AJ"
) -> str:
    r = await client.post(f"{B}/reports", json=factories.report(category=category), headers=op.headers)
    assert r.status_code == 201, r.text
    incident_id = str(r.json()["incident_id"])
    r = await client.post(
        f"{B}/incidents/{incident_id}/subjects", json={"subjects": subjects}, headers=op.headers
    )
    assert r.status_code == 201, r.text
    return incident_id


async def admit(
    client: httpx.AsyncClient, actor: Actor, incident_id: str, ordinal: int, unit_id: str
) -> httpx.Response:
    return await client.post(
        f"{B}/incidents/{incident_id}/subjects/{ordinal}/placements",
        json={"unit_id": unit_id},
        headers=actor.headers,
    )


async def occupancy(client: httpx.AsyncClient, actor: Actor, facility_id: str) -> dict[str, int]:
    r = await client.get(f"{B}/facilities/{facility_id}", headers=actor.headers)
    assert r.status_code == 200, r.text
    return {u["name"]: u["occupied"] for u in r.json()["units"]}


async def timeline(client: httpx.AsyncClient, actor: Actor, incident_id: str) -> list[dict[str, Any]]:
    r = await client.get(f"{B}/incidents/{incident_id}", headers=actor.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["timeline"])
