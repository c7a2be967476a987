"""Watches the kab/kota's live stream as a supervisor's console does, and checks the invariants of dispatch
as the day goes: no crew with two jobs; no incident waiting while a free crew that qualifies waits too;
every offer answered, expired or withdrawn; the stream missing nothing of the log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import websockets

from app.dispatch import engine, policy
from app.simulate import world
from app.simulate.actors import CrewInfo
from app.simulate.client import SimClock

# How long (real seconds) an incident may wait while a qualified crew is free before it counts as a stall.
STALL_REAL_SECONDS = 3.0
OPEN = ("verified", "dispatched", "en_route", "on_scene", "handling")
# Events that give a crew a job (their data carries the offer_id).
ASSIGNING = ("offer.made", "incident.handed_over", "incident.dispatched_manually", "incident.diverted")


@dataclass
class CrewView:
    info: CrewInfo
    on_duty: bool = False
    status: str = "available"
    jobs: set[str] = field(default_factory=set)  # active offers (pending or accepted)
    free_since: float | None = None
    position: tuple[float, float] | None = None


@dataclass
class IncidentView:
    id: str
    status: str = "received"
    waiting_since: float | None = None
    stalled: bool = False
    priority: int = 4
    # Crews that declined (or did not answer) and until when they are not asked again.
    excluded: dict[str, datetime] = field(default_factory=dict)


@dataclass
class Monitor:
    ws_url: str
    token: str
    clock: SimClock
    day: world.Day
    crews: dict[str, CrewView] = field(default_factory=dict)
    incidents: dict[str, IncidentView] = field(default_factory=dict)
    plans: dict[str, world.PlannedReport] = field(default_factory=dict)
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)
    seqs: list[int] = field(default_factory=list)
    breaks: list[str] = field(default_factory=list)
    escalations: Counter[str] = field(default_factory=Counter)
    escalation_reasons: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    offers_per_incident: Counter[str] = field(default_factory=Counter)

    @property
    def stall_grace(self) -> timedelta:
        """STALL_REAL_SECONDS in simulated time."""
        return timedelta(seconds=STALL_REAL_SECONDS * self.clock.speed)

    def watch(self, crews: list[CrewInfo]) -> None:
        self.crews = {c.id: CrewView(c) for c in crews}

    def broke(self, what: str) -> None:
        self.breaks.append(f"{self.clock.now().isoformat(timespec='seconds')} {what}")

    async def run(self, stop: asyncio.Event) -> None:
        url = f"{self.ws_url}/api/v1/ws?topic=region:{world.BATAM}&batch=true"
        since: int | None = None
        while not stop.is_set():
            target = url + (f"&since={since}" if since is not None else "")
            try:
                async with websockets.connect(
                    target, additional_headers={"Authorization": f"Bearer {self.token}"}, max_size=2**24
                ) as ws:
                    checker = asyncio.create_task(self._check_loop(stop))
                    try:
                        while not stop.is_set():
                            with contextlib.suppress(TimeoutError):
                                frame = await asyncio.wait_for(ws.recv(), 0.5)
                                for line in str(frame).splitlines():
                                    message = json.loads(line)
                                    if message.get("op") == "event":
                                        self.take(message)
                                        since = message["seq"]
                    finally:
                        checker.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await checker
            except (OSError, websockets.ConnectionClosed) as exc:
                if stop.is_set():
                    return
                self.broke(f"live stream dropped: {exc}")
                await asyncio.sleep(0.5)

    # ---- what the stream says ------------------------------------------------------------------------

    def take(self, event: dict[str, Any]) -> None:
        if self.seqs and event["seq"] <= self.seqs[-1]:
            self.broke(f"stream out of order: {event['seq']} after {self.seqs[-1]}")
        self.seqs.append(event["seq"])
        kind, data = event["type"], event.get("data") or {}
        self.counts[kind] += 1
        crew = self.crews.get(event.get("crew_id") or "")
        incident = self._incident(event.get("incident_id"))
        now = time.monotonic()
        if incident and kind == "incident.created":
            incident.priority = int(data.get("priority", incident.priority))
        elif incident and kind == "incident.priority_changed":
            incident.priority = int(data.get("after", incident.priority))
        if kind == "crew.on_duty" and crew:
            crew.on_duty = True
            self._free(crew, now)
        elif kind == "crew.status_changed" and crew:
            crew.status = data.get("after", crew.status)
            if crew.status == "off_shift":
                crew.on_duty = False
            self._free(crew, now)
        elif kind == "crew.position" and crew:
            crew.position = (data["lat"], data["lon"])
        elif kind in ASSIGNING and crew and incident:
            # A diversion too: the crew's new case is no longer waiting (it was seen as a stall before).
            offer = data["offer_id"]
            self.offers[offer] = {
                "crew": crew.info.id,
                "incident": incident.id,
                "state": "pending" if kind == "offer.made" else "accepted",
                "expires_at": datetime.fromisoformat(data["expires_at"]) if "expires_at" in data else None,
            }
            if kind == "offer.made":
                self.offers_per_incident[incident.id] += 1
            crew.jobs.add(offer)
            if len(crew.jobs) > 1:
                self.broke(f"crew {crew.info.name} holds {len(crew.jobs)} jobs: {sorted(crew.jobs)}")
            crew.free_since = None
            incident.waiting_since = None
        elif kind in ("offer.declined", "offer.expired", "offer.withdrawn", "assignment.released"):
            offer = self.offers.get(data.get("offer_id", ""))
            if offer is not None:
                offer["state"] = kind.split(".")[1]
                holder = self.crews.get(offer["crew"])
                if holder is not None:
                    holder.jobs.discard(data["offer_id"])
                    self._free(holder, now)
                if incident and kind in ("offer.declined", "offer.expired"):
                    wait = policy.reoffer_after(incident.priority, unanswered=kind == "offer.expired")
                    incident.excluded[offer["crew"]] = datetime.fromisoformat(event["occurred_at"]) + wait
                reopened = kind != "assignment.released" or data.get("reason") != "completed"
                if incident and reopened and incident.status in OPEN:
                    incident.waiting_since = now
        elif kind == "offer.accepted":
            offer = self.offers.get(data.get("offer_id", ""))
            if offer is not None:
                offer["state"] = "accepted"
        elif kind == "incident.status_changed" and incident:
            incident.status = data.get("after", incident.status)
            if incident.status == "verified":
                incident.waiting_since = now
            elif incident.status in ("rejected", "cancelled", "resolved", "closed"):
                incident.waiting_since = None
        elif kind == "incident.escalated":
            self.escalations[data.get("reason_code", "?")] += 1
            self.escalation_reasons[str(data.get("reason", ""))[:160]] += 1

    def _incident(self, iid: str | None) -> IncidentView | None:
        if not iid:
            return None
        if iid not in self.incidents:
            self.incidents[iid] = IncidentView(iid)
        return self.incidents[iid]

    def _free(self, crew: CrewView, now: float) -> None:
        free = crew.on_duty and crew.status == "available" and not crew.jobs
        if free and crew.free_since is None:
            crew.free_since = now
        elif not free:
            crew.free_since = None

    # ---- stalls: an incident waits while a crew that qualifies is free -----------------------------------

    async def _check_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(0.5)
            self.check_stalls()

    def check_stalls(self) -> None:
        now_real, now = time.monotonic(), self.clock.now()
        for incident in self.incidents.values():
            if incident.stalled or incident.waiting_since is None:
                continue
            if now_real - incident.waiting_since < STALL_REAL_SECONDS:
                continue
            plan = self.plans.get(incident.id)
            if plan is None:
                continue
            waiting = engine.WaitingIncident(
                id=incident.id,
                priority=1,
                waiting_since=now,
                category=plan.category,
                region_code=plan.place.code,
                location=engine.Point(plan.lat, plan.lon),
                flags=frozenset(plan.flags),
                subject_count=plan.count,
                expected_minutes=policy.expected_minutes(plan.category),
                excluded_crews=frozenset(
                    c
                    for c, until in incident.excluded.items()
                    # The crew may be asked again from `until`: the stall clock starts then.
                    if now < until + self.stall_grace
                ),
            )
            need = engine.needs(waiting)
            for crew in self.crews.values():
                if crew.free_since is None or now_real - crew.free_since < STALL_REAL_SECONDS:
                    continue
                state = engine.CrewState(
                    id=crew.info.id,
                    coverage=(world.BATAM,),
                    shift_ends_at=crew.info.ends,
                    position=engine.Point(*crew.position) if crew.position else None,
                    skills=crew.info.skills,
                    vehicle=crew.info.vehicle,
                )
                travel = engine.travel_minutes(waiting, state, engine.Params())
                if engine.fit_refusal(waiting, need, state, travel, now, engine.Params()) is None:
                    incident.stalled = True
                    self.broke(
                        f"incident {incident.id} ({plan.category}) waited "
                        f"{now_real - incident.waiting_since:.1f} s while crew {crew.info.name} was free and "
                        "qualified"
                    )
                    break

    # ---- at the end ------------------------------------------------------------------------------------

    def unanswered(self, now: datetime) -> list[str]:
        """Offers still pending well after they expired (the scheduler should have expired them)."""
        late = []
        for offer_id, offer in self.offers.items():
            expires = offer["expires_at"]
            if offer["state"] == "pending" and expires is not None and now - expires > timedelta(seconds=30):
                late.append(offer_id)
        return late

    async def replay_matches(self) -> str | None:
        """Reads the region's events again from the start: the live stream must have delivered exactly
        those, in order."""
        url = f"{self.ws_url}/api/v1/ws?topic=region:{world.BATAM}&batch=true&since=0"
        seen: list[int] = []
        async with websockets.connect(
            url, additional_headers={"Authorization": f"Bearer {self.token}"}, max_size=2**24
        ) as ws:
            head = json.loads(await ws.recv())["head"]
            while not seen or seen[-1] < min(head, self.seqs[-1] if self.seqs else 0):
                try:
                    frame = await asyncio.wait_for(ws.recv(), 5)
                except TimeoutError:
                    break
                for line in str(frame).splitlines():
                    message = json.loads(line)
                    if message.get("op") == "event":
                        seen.append(message["seq"])
        first = self.seqs[0] if self.seqs else 0
        seen = [s for s in seen if s >= first]
        live = [s for s in self.seqs if s <= (seen[-1] if seen else 0)]
        if seen != live:
            missing = sorted(set(seen) - set(live))[:10]
            return f"the live stream missed {len(set(seen) - set(live))} events (e.g. {missing})"
        return None


def ordered_counts(counter: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
