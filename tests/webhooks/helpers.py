"""Setting up an agency with an endpoint and a routing rule through the API, as a supervisor would."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories
from tests.conftest import Actor
from tests.receiver import Receiver


async def call(
    client: httpx.AsyncClient,
    actor: Actor,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    expect: int = 200,
) -> Any:
    r = await client.request(method, f"/api/v1{path}", json=body, headers=actor.headers)
    assert r.status_code == expect, r.text
    return r.json() if r.content else None


async def police(client: httpx.AsyncClient, actors: dict[str, Actor]) -> dict[str, Any]:
    """The agency the `agency` actor acts for (Polresta Barelang, 21.71)."""
    found = await call(client, actors["supervisor"], "GET", "/agencies?kind=police")
    return next(a for a in found if a["name"] == "Polresta Barelang")


async def wire_police(
    client: httpx.AsyncClient,
    actors: dict[str, Actor],
    receiver: Receiver,
    *,
    category: str = "OT",
    endpoint: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An endpoint of the police pointing at the receiver, and a rule sending `category` to the police.
    Returns (agency, endpoint)."""
    agency = await police(client, actors)
    sup = actors["supervisor"]
    created = await call(
        client,
        sup,
        "POST",
        f"/agencies/{agency['id']}/webhooks",
        {"url": receiver.url, **(endpoint or {})},
        expect=201,
    )
    receiver.secrets.append(created["secret"])
    await call(
        client,
        sup,
        "POST",
        "/routing-rules",
        {
            "name": f"{category} to police",
            "region_code": "21.71",
            "category": category,
            "agency_kind": "police",
        },
        expect=201,
    )
    return agency, created


async def verified_incident(
    client: httpx.AsyncClient, actors: dict[str, Actor], *, category: str = "OT", **report: Any
) -> str:
    """A report of `category` in Batam, verified by the operator; returns the incident id."""
    subject = {"count": 1, "approx_age": 50, "sex": "male", "flags": [], **report.pop("subject", {})}
    body = factories.report(
        category=category,
        description="Bapak tua tidur di halte berhari-hari, tampak bingung",
        subject=subject,
        **report,
    )
    op = actors["operator"]
    created = await call(client, op, "POST", "/reports", body, expect=201)
    incident_id = str(created["incident_id"])
    await call(client, op, "POST", f"/incidents/{incident_id}/verify", {})
    return incident_id
