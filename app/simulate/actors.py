"""The people of the simulated day, each talking to Tanggap only through its HTTP API: the team set up by an
admin and a supervisor, callers whose reports the operators enter, operators verifying (or rejecting a hoax,
or merging a second caller's report), and each crew's phone: it answers offers (mostly accepting, sometimes
declining, now and then silent), drives at road speed sending its position, reports its steps (late, with
the phone's time, where there was no signal), and sometimes retries a request it never got an answer to."""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.simulate import world
from app.simulate.client import Api, SimClock

PASSWORD = "simulasi-tanggap-1"  # noqa: S105 - accounts of a throwaway database
OUTCOME_AFTER_TRANSPORT = {"ODGJ": "rsj", "PASUNG": "rsj", "OT": "shelter", "GEL": "shelter", "LUT": "panti"}


@dataclass
class CrewInfo:
    id: str
    name: str
    starts: datetime
    ends: datetime
    key: dict[str, str]
    skills: frozenset[str]
    vehicle: frozenset[str]
    seats: int | None


@dataclass
class Stage:
    """What the setup made: accounts' keys, the crews of the roster, the team."""

    team_id: str = ""
    supervisor: dict[str, str] = field(default_factory=dict)
    supervisor_token: str = ""
    operators: list[dict[str, str]] = field(default_factory=list)
    crews: list[CrewInfo] = field(default_factory=list)
    # report n -> incident id
    incidents: dict[int, str] = field(default_factory=dict)


async def _ok(r: Any, what: str) -> Any:
    if r.status_code >= 300:
        raise RuntimeError(f"setup failed at {what}: {r.status_code} {r.text[:300]}")
    return r.json() if r.content else None


async def set_up(api: Api, clock: SimClock, day: world.Day, admin_token: str) -> Stage:
    """The team of Kota Batam as it is (14 TRC, 12 BKO in three rotating groups, three crews a shift, three
    vehicles), its accounts, and the roster from the day before the start to the day after the end."""
    admin = {"Authorization": f"Bearer {admin_token}"}
    stage = Stage()

    async def account(username: str, role: str) -> dict[str, str]:
        user = await _ok(
            await api.request(
                "POST",
                "/users",
                auth=admin,
                json={"username": username, "role": role, "region_code": world.BATAM, "password": PASSWORD},
            ),
            f"user {username}",
        )
        key = await _ok(
            await api.request(
                "POST", "/api-keys", auth=admin, json={"user_id": user["id"], "name": "simulasi"}
            ),
            f"key {username}",
        )
        return {"X-API-Key": key["key"], "_user_id": user["id"]}

    stage.supervisor = await account("sim.supervisor", "supervisor")
    r = await api.http.post("/auth/token", data={"username": "sim.supervisor", "password": PASSWORD})
    stage.supervisor_token = (await _ok(r, "supervisor login"))["access_token"]
    stage.operators = [await account(f"sim.operator{i}", "operator") for i in range(2)]
    sup = {"X-API-Key": stage.supervisor["X-API-Key"]}
    team = await _ok(
        await api.request(
            "POST", "/teams", auth=admin, json={"name": "TRC Kota Batam", "region_code": world.BATAM}
        ),
        "team",
    )
    stage.team_id = team["id"]
    base = f"/teams/{team['id']}"
    start_day = clock.now().astimezone(day.start.tzinfo).date()
    people = []
    keys: dict[str, dict[str, str]] = {}
    for i in range(world.STAFF + world.BKO):
        acc = await account(f"sim.petugas{i:02d}", "crew")
        body: dict[str, Any] = {
            "name": f"Petugas {i:02d}",
            "skills": world.skills_of(i),
            "user_id": acc["_user_id"],
        }
        if i >= world.STAFF:
            body |= {
                "kind": "bko",
                "home_unit": "Satpol PP" if i % 2 else "Tagana",
                "seconded_from": (start_day - timedelta(days=30)).isoformat(),
                "seconded_until": (start_day + timedelta(days=60)).isoformat(),
            }
        person = await _ok(await api.request("POST", f"{base}/personnel", auth=sup, json=body), "personnel")
        people.append(person)
        keys[person["id"]] = {"X-API-Key": acc["X-API-Key"]}
    vans = [
        await _ok(await api.request("POST", f"{base}/vehicles", auth=sup, json=v), "vehicle")
        for v in world.VEHICLES
    ]
    groups = [[p["id"] for p in people[g::3]] for g in range(3)]
    days = int(day.hours // 24) + 3
    roster = await _ok(
        await api.request(
            "POST",
            f"{base}/roster",
            auth=sup,
            json={
                "template": "3x8",
                "start_date": (start_day - timedelta(days=1)).isoformat(),
                "days": days,
                "groups": groups,
                "crews_per_shift": world.CREWS_PER_SHIFT,
                "vehicle_ids": [v["id"] for v in vans],
            },
        ),
        "roster",
    )
    for crew in roster:
        member = crew["members"][0]["id"]
        vehicle = crew["vehicle"] or {}
        stage.crews.append(
            CrewInfo(
                crew["id"],
                crew["name"],
                datetime.fromisoformat(crew["shift_starts_at"]),
                datetime.fromisoformat(crew["shift_ends_at"]),
                keys[member],
                frozenset(crew["skills"]),
                frozenset(vehicle.get("capabilities", [])),
                (vehicle["seats"] - len(crew["members"])) if vehicle else None,
            )
        )
    return stage


async def callers(api: Api, clock: SimClock, day: world.Day, stage: Stage) -> None:
    """Each planned report reaches the call center at its time; the operator on the phone enters it."""
    for n, plan in enumerate(day.reports):
        await clock.until(day.start + plan.at)
        body = {
            "channel": plan.channel,
            "received_at": clock.now().isoformat(),
            "category": plan.category,
            "description": plan.description,
            "location": {
                "region_code": plan.place.code,
                "lat": round(plan.lat, 6),
                "lon": round(plan.lon, 6),
                "landmark": plan.place.name,
            },
            "subject": {
                "count": plan.count,
                "approx_age": plan.age,
                "sex": plan.sex,
                "flags": list(plan.flags),
            },
            "reporter": {"name": f"Pelapor {n}", "phone": f"0812{70000000 + n:08d}"},
        }
        r = await api.request(
            "POST",
            "/reports",
            auth=stage.operators[n % 2],
            json=body,
            idempotent=True,
            retry_twice=n % 17 == 0,
        )
        if r.status_code == 201:
            stage.incidents[n] = r.json()["incident_id"]


async def operator(api: Api, clock: SimClock, day: world.Day, stage: Stage, me: int, end: datetime) -> None:
    """Looks at the queue every half minute; each new report is handled a minute or three after it came in:
    a hoax rejected, a second caller's report merged into the first, the rest verified."""
    auth = stage.operators[me]
    by_incident = {}
    handled: set[str] = set()
    while clock.now() < end:
        by_incident = {iid: day.reports[n] for n, iid in stage.incidents.items()}
        r = await api.request(
            "GET", "/incidents", auth=auth, params={"status": "received", "order": "priority", "limit": 200}
        )
        for item in r.json().get("items", []) if r.status_code == 200 else []:
            iid = item["id"]
            if iid in handled or int(iid.replace("-", ""), 16) % 2 != me:
                continue
            received = datetime.fromisoformat(item["first_received_at"])
            delay = world.draw(day.seed, "triage", iid).uniform(40, 150)
            if (clock.now() - received).total_seconds() < delay:
                continue
            handled.add(iid)
            plan = by_incident.get(iid)
            await _triage(api, auth, stage, iid, plan)
        await clock.sleep(30)


async def _triage(
    api: Api, auth: dict[str, str], stage: Stage, iid: str, plan: world.PlannedReport | None
) -> None:
    if plan is not None and plan.hoax:
        await api.request(
            "POST", f"/incidents/{iid}/reject", auth=auth, json={"reason": "hoax", "note": "laporan palsu"}
        )
        return
    if plan is not None and plan.duplicate_of is not None:
        first = stage.incidents.get(plan.duplicate_of)
        detail = await api.request("GET", f"/incidents/{iid}", auth=auth)
        near = (
            {d["id"] for d in detail.json().get("likely_duplicates", [])}
            if detail.status_code == 200
            else set()
        )
        if first and first in near:
            r = await api.request(
                "POST",
                f"/incidents/{iid}/merge",
                auth=auth,
                json={"into_incident_id": first, "note": "penelepon kedua"},
            )
            if r.status_code == 200:
                return
    await api.request("POST", f"/incidents/{iid}/verify", auth=auth, json={}, idempotent=True)


@dataclass
class Phone:
    """One crew's phone for its shift."""

    api: Api
    clock: SimClock
    day: world.Day
    crew: CrewInfo
    post: tuple[float, float] = world.OFFICE
    position: tuple[float, float] = world.OFFICE
    working: asyncio.Task[None] | None = None
    returning: asyncio.Task[None] | None = None
    answered: set[str] = field(default_factory=set)
    asked: dict[str, int] = field(default_factory=dict)
    worked: set[str] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def rng(self, *parts: object) -> random.Random:
        return world.draw(self.day.seed, self.crew.name, self.crew.starts.isoformat(), *parts)

    async def run(self, end: datetime) -> None:
        number = self.crew.name.rsplit(" ", 1)[-1]
        self.post = world.POSTS[int(number) % len(world.POSTS)] if number.isdigit() else world.OFFICE
        self.position = self.post
        await self.clock.until(self.crew.starts)
        if self.clock.now() >= min(self.crew.ends, end):
            return
        await self.ping()
        flat_tyre = self.rng("tyre").random() < 0.08
        tyre_at = self.crew.starts + timedelta(hours=self.rng("tyre-at").uniform(1, 6))
        try:
            while self.clock.now() < min(self.crew.ends, end):
                await self.look()
                if flat_tyre and self.clock.now() >= tyre_at and self.idle():
                    flat_tyre = False
                    await self.out_of_service(self.rng("tyre-for").uniform(20, 45))
                await self.clock.sleep(6)
        finally:
            for task in list(self.tasks):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def idle(self) -> bool:
        return self.working is None or self.working.done()

    def spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def look(self) -> None:
        r = await self.api.request("GET", "/me/offers", auth=self.crew.key)
        for offer in r.json() if r.status_code == 200 else []:
            if offer["id"] not in self.answered:
                self.answered.add(offer["id"])
                self.spawn(self.answer(offer))
        # Also while working: the round may divert the crew to another case before it is with the person
        # (engine.diversions); the phone then turns to the new case from where it is, already in the van.
        r = await self.api.request("GET", "/me/assignment", auth=self.crew.key)
        job = r.json() if r.status_code == 200 else {}
        if job.get("offer") and job["offer"]["id"] not in self.worked:
            self.worked.add(job["offer"]["id"])
            diverted = not self.idle()
            if self.working is not None and diverted:
                self.working.cancel()
            if self.returning is not None:
                self.returning.cancel()
            self.working = self.spawn(self.work(job["incident"], diverted=diverted))

    async def answer(self, offer: dict[str, Any]) -> None:
        # The n-th time this crew is offered this incident: the same draw in both policies' days, and a crew
        # asked again later is not bound to answer as it did the first time.
        self.asked[offer["incident_id"]] = self.asked.get(offer["incident_id"], 0) + 1
        rng = self.rng("answer", offer["incident_id"], self.asked[offer["incident_id"]])
        roll = rng.random()
        if roll < 0.03:
            return  # the phone stays silent: the offer expires
        p1 = offer["incident"]["priority"] == 1
        await self.clock.sleep(rng.uniform(8, 30) if p1 else rng.uniform(15, 60))
        at = self.clock.now().isoformat()
        if roll < 0.10:
            await self.api.request(
                "POST",
                f"/offers/{offer['id']}/decline",
                auth=self.crew.key,
                json={
                    "reason": rng.choice(
                        ["sedang isi bensin", "masih di lokasi lain", "kendaraan bermasalah"]
                    ),
                    "at": at,
                },
                idempotent=True,
            )
            return
        await self.api.request(
            "POST",
            f"/offers/{offer['id']}/accept",
            auth=self.crew.key,
            json={"at": at},
            idempotent=True,
            retry_twice=rng.random() < 0.1,
        )

    async def ping(self) -> None:
        lat, lon = self.position
        await self.api.request(
            "POST",
            f"/crews/{self.crew.id}/location",
            auth=self.crew.key,
            json={"lat": round(lat, 6), "lon": round(lon, 6)},
        )

    async def step(self, status: str, *, late: float = 0.0, reason: str | None = None) -> bool:
        """Reports a step; where there was no signal, `late` minutes later with the time it was taken."""
        taken = self.clock.now()
        if late:
            await self.clock.sleep(late * 60)
        body: dict[str, Any] = {"status": status, "at": taken.isoformat()}
        if reason:
            body["reason"] = reason
        r = await self.api.request(
            "POST", f"/crews/{self.crew.id}/status", auth=self.crew.key, json=body, idempotent=True,
            retry_twice=self.rng("retry", status, taken.isoformat()).random() < 0.05,
        )  # fmt: skip
        return r.status_code == 200

    async def drive(self, to: tuple[float, float], speed_kmh: float) -> None:
        minutes = world.km(self.position, to) * 1.4 / speed_kmh * 60
        legs = max(int(minutes // 2), 1)
        start = self.position
        for k in range(1, legs + 1):
            await self.clock.sleep(minutes * 60 / legs)
            f = k / legs
            self.position = (start[0] + (to[0] - start[0]) * f, start[1] + (to[1] - start[1]) * f)
            await self.ping()

    async def work(self, incident: dict[str, Any], *, diverted: bool = False) -> None:
        rng = self.rng("work", incident["id"])
        where = (incident["lat"], incident["lon"]) if incident.get("lat") else world.OFFICE
        if not await self.step("en_route"):
            return
        van = rng.uniform(60, 180)
        if not diverted:
            await self.clock.sleep(van)  # getting into the van
        await self.drive(where, rng.uniform(22, 38))
        if not await self.step("on_scene", late=rng.uniform(1, 5) if rng.random() < 0.1 else 0):
            return
        await self.clock.sleep(rng.uniform(5, 20) * 60)
        if not await self.step("handling"):
            return
        outcome = "handled_on_site"
        if incident["category"] == "JENAZAH":
            outcome = "body_handed_over"
        elif incident["category"] in OUTCOME_AFTER_TRANSPORT and rng.random() < 0.6:
            outcome = OUTCOME_AFTER_TRANSPORT[incident["category"]]
            if not await self.step("transporting"):
                return
            facility = world.FACILITIES["rsj" if outcome == "rsj" else "shelter"]
            await self.drive(facility, rng.uniform(25, 40))
            if not await self.step("at_facility"):
                return
            await self.clock.sleep(rng.uniform(10, 25) * 60)
        else:
            await self.clock.sleep(rng.uniform(10, 30) * 60)
            if rng.random() < 0.3:
                outcome = "reunified"
        r = await self.api.request(
            "POST",
            f"/incidents/{incident['id']}/transitions",
            auth=self.crew.key,
            json={"to": "resolved", "outcome": outcome, "at": self.clock.now().isoformat()},
            idempotent=True,
        )
        if r.status_code not in (200, 403, 409):
            return
        if await self.step("available"):
            self.returning = self.spawn(self.drive(self.post, 35))

    async def out_of_service(self, minutes: float) -> None:
        if await self.step("out_of_service", reason="ban bocor"):
            await self.clock.sleep(minutes * 60)
            await self.step("available")
