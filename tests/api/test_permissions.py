"""The permission matrix: role x region x endpoint. A Batam account never reaches a Jember incident."""

from __future__ import annotations

import httpx
import pytest

from tests import factories
from tests.conftest import Actor

ROLES = ["admin", "supervisor", "operator", "crew", "agency", "reporter", "operator_jember"]

# endpoint -> expected status per actor (on a Batam incident in state "received")
MATRIX: dict[str, dict[str, int]] = {
    "list": {
        "admin": 200,
        "supervisor": 200,
        "operator": 200,
        "crew": 200,
        "agency": 403,
        "reporter": 403,
        "operator_jember": 200,
    },
    "detail": {
        "admin": 200,
        "supervisor": 200,
        "operator": 200,
        "crew": 200,
        "agency": 403,
        "reporter": 403,
        "operator_jember": 404,
    },
    "verify": {
        "admin": 200,
        "supervisor": 200,
        "operator": 200,
        "crew": 403,
        "agency": 403,
        "reporter": 403,
        "operator_jember": 404,
    },
    "reject": {
        "admin": 200,
        "supervisor": 200,
        "operator": 200,
        "crew": 403,
        "agency": 403,
        "reporter": 403,
        "operator_jember": 404,
    },
    "patch": {
        "admin": 200,
        "supervisor": 200,
        "operator": 200,
        "crew": 403,
        "agency": 403,
        "reporter": 403,
        "operator_jember": 404,
    },
    "note": {
        "admin": 201,
        "supervisor": 201,
        "operator": 201,
        "crew": 201,
        "agency": 403,
        "reporter": 403,
        "operator_jember": 404,
    },
    "cancel": {
        "admin": 200,
        "supervisor": 200,
        "operator": 200,
        "crew": 403,
        "agency": 403,
        "reporter": 403,
        "operator_jember": 404,
    },
    "report_in_batam": {
        "admin": 201,
        "supervisor": 201,
        "operator": 201,
        "crew": 201,
        "agency": 201,
        "reporter": 201,
        "operator_jember": 403,
    },
    "audit": {
        "admin": 200,
        "supervisor": 403,
        "operator": 403,
        "crew": 403,
        "agency": 403,
        "reporter": 403,
        "operator_jember": 403,
    },
    "users": {
        "admin": 200,
        "supervisor": 200,  # his region's accounts
        "operator": 403,
        "crew": 403,
        "agency": 403,
        "reporter": 403,
        "operator_jember": 403,
    },
}
CHANNEL = {"crew": "patrol", "agency": "referral", "reporter": "community"}


@pytest.mark.parametrize("endpoint", list(MATRIX))
@pytest.mark.parametrize("who", ROLES)
async def test_matrix(client: httpx.AsyncClient, actors: dict[str, Actor], endpoint: str, who: str) -> None:
    made = await client.post("/api/v1/reports", json=factories.report(), headers=actors["operator"].headers)
    iid = made.json()["incident_id"]
    h = actors[who].headers
    base = f"/api/v1/incidents/{iid}"
    calls = {
        "list": lambda: client.get("/api/v1/incidents", headers=h),
        "detail": lambda: client.get(base, headers=h),
        "verify": lambda: client.post(f"{base}/verify", json={}, headers=h),
        "reject": lambda: client.post(f"{base}/reject", json={"reason": "hoax", "note": "iseng"}, headers=h),
        "patch": lambda: client.patch(base, json={"priority": 2, "reason": "cek ulang"}, headers=h),
        "note": lambda: client.post(f"{base}/notes", json={"text": "catatan"}, headers=h),
        "cancel": lambda: client.post(
            f"{base}/transitions", json={"to": "cancelled", "reason": "batal"}, headers=h
        ),
        "report_in_batam": lambda: client.post(
            "/api/v1/reports",
            json=factories.report(channel=CHANNEL.get(who.split("_")[0], "call_center")),
            headers=h,
        ),
        "audit": lambda: client.get("/api/v1/audit", headers=h),
        "users": lambda: client.get("/api/v1/users", headers=h),
    }
    r = await calls[endpoint]()
    assert r.status_code == MATRIX[endpoint][who], (endpoint, who, r.text)
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"
    # A refused change left the incident as it was.
    if r.status_code >= 400 and endpoint in {"verify", "reject", "patch", "cancel"}:
        after = (await client.get(base, headers=actors["operator"].headers)).json()
        assert after["status"] == "received" and after["priority"] == 1


async def test_jember_list_never_shows_batam(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    await client.post("/api/v1/reports", json=factories.report(), headers=actors["operator"].headers)
    r = await client.get("/api/v1/incidents", headers=actors["operator_jember"].headers)
    assert r.json()["items"] == []
