"""Building blocks for dispatch tests through the API: a team with crews on duty, verified incidents, and
waiting for what the dispatcher does in the background."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Offer
from tests import factories
from tests.conftest import Actor

LAT, LON = factories.BATAM_POS
T = TypeVar("T")


async def post(
    client: httpx.AsyncClient,
    actor: Actor | dict[str, str],
    path: str,
    body: dict[str, Any] | None = None,
    expect: int | None = 201,
) -> dict[str, Any]:
    headers = actor.headers if isinstance(actor, Actor) else actor
    r = await client.post(path, json=body if body is not None else {}, headers=headers)
    if expect is not None:
        assert r.status_code == expect, r.text
    return dict(r.json()) if r.content else {}


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, within: float = 10.0, what: str = "condition"
) -> T:
    """Polls `check` until it returns something truthy (the background dispatcher takes a moment)."""
    deadline = time.monotonic() + within
    while True:
        got = await check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Shift:
    """A Batam team with `n` crews on duty, each with one person (a user of its own) and a van, placed
    1, 2, 3... km north of the demo kelurahan."""

    def __init__(self, client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
        self.client = client
        self.actors = actors
        self.team: dict[str, Any] = {}
        self.crews: list[dict[str, Any]] = []
        self.crew_headers: dict[str, dict[str, str]] = {}
        self.people: list[dict[str, Any]] = []

    @property
    def base(self) -> str:
        return f"/api/v1/teams/{self.team['id']}"

    async def start(
        self,
        n: int,
        *,
        skills: list[list[str]] | None = None,
        starts: datetime | None = None,
        hours: float = 7,
        vans: bool = True,
    ) -> Shift:
        admin, sup = self.actors["admin"], self.actors["supervisor"]
        if not self.team:
            self.team = await post(
                self.client, admin, "/api/v1/teams", {"name": "TRC Batam", "region_code": "21.71"}
            )
        now = datetime.now(UTC)
        begin = starts or now - timedelta(hours=1)
        for i in range(n):
            k = len(self.crews)
            username = f"regu{k}.{uuid.uuid4().hex[:6]}"
            user = await post(
                self.client,
                admin,
                "/api/v1/users",
                {"username": username, "role": "crew", "region_code": "21.71", "password": "regu-12345678"},
            )
            token = (
                await self.client.post(
                    "/api/v1/auth/token", data={"username": username, "password": "regu-12345678"}
                )
            ).json()["access_token"]
            person = await post(
                self.client,
                sup,
                f"{self.base}/personnel",
                {
                    "name": f"Petugas {k}",
                    "skills": (skills[i] if skills else ["driver", "medic", "counsellor"]),
                    "user_id": user["id"],
                },
            )
            self.people.append(person)
            body: dict[str, Any] = {
                "name": f"Regu {k}",
                "shift_starts_at": begin.isoformat(),
                "shift_ends_at": (begin + timedelta(hours=hours)).isoformat(),
                "member_ids": [person["id"]],
            }
            if vans:
                van = await post(
                    self.client,
                    sup,
                    f"{self.base}/vehicles",
                    {"name": f"URC {k}", "seats": 6, "capabilities": ["secure_transport", "stretcher"]},
                )
                body["vehicle_id"] = van["id"]
            crew = await post(self.client, sup, f"{self.base}/crews", body)
            self.crews.append(crew)
            self.crew_headers[crew["id"]] = {"Authorization": f"Bearer {token}"}
            r = await self.client.post(
                f"/api/v1/crews/{crew['id']}/location",
                headers=self.actors["operator"].headers,
                json={"lat": LAT + (k + 1) / 111.2, "lon": LON},
            )
            assert r.status_code in (200, 202), r.text
        return self

    def ids(self) -> list[str]:
        return [c["id"] for c in self.crews]

    async def report(self, **overrides: Any) -> str:
        body = factories.report(**{"category": "GEL", "subject": {"flags": []}, **overrides})
        created = await post(self.client, self.actors["operator"], "/api/v1/reports", body)
        return str(created["incident_id"])

    async def verify(self, incident_id: str) -> None:
        await post(
            self.client, self.actors["operator"], f"/api/v1/incidents/{incident_id}/verify", {}, expect=200
        )

    async def crew(self, crew_id: str) -> dict[str, Any]:
        r = await self.client.get(f"/api/v1/crews/{crew_id}", headers=self.actors["operator"].headers)
        return dict(r.json())

    async def incident(self, incident_id: str) -> dict[str, Any]:
        r = await self.client.get(f"/api/v1/incidents/{incident_id}", headers=self.actors["operator"].headers)
        assert r.status_code == 200, r.text
        return dict(r.json())


async def offers(
    db: async_sessionmaker[AsyncSession], *, incident_id: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Offers straight from the table, oldest first."""
    q = select(Offer).order_by(Offer.offered_at)
    if incident_id:
        q = q.where(Offer.incident_id == uuid.UUID(incident_id))
    if status:
        q = q.where(Offer.status == status)
    async with db() as session:
        rows = (await session.scalars(q)).all()
    return [
        {"id": str(o.id), "incident_id": str(o.incident_id), "crew_id": str(o.crew_id), "status": o.status}
        for o in rows
    ]


async def pending_offer(db: async_sessionmaker[AsyncSession], incident_id: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        found = await offers(db, incident_id=incident_id, status="pending")
        return found[0] if found else None

    return await eventually(check, what=f"a pending offer for {incident_id}")


async def settle(db: async_sessionmaker[AsyncSession], seconds: float = 1.0) -> None:
    """Gives the background dispatcher time to act (used before asserting that nothing happens)."""
    await asyncio.sleep(seconds)
