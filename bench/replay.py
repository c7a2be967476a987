"""Replays many simulated Batam days against the pure dispatch functions, fast: engine vs closest-idle.

`tanggap simulate` plays one day through the real HTTP API in about 12 minutes; a day has ~28 incidents and
the noise between days swamps the difference between the policies. This is a discrete-event simulation of the
same day with no database and no HTTP: the reports, places, priorities and 4CT targets of
`app/simulate/world.plan_day`, the roster of `app/simulate/actors.set_up` (three 8-hour shifts of three
crews, the skills of `world.skills_of`, the vehicles of `world.VEHICLES`), the operators' verification delay
of `actors.operator`, the crews' phones of `actors.Phone`, the dispatch numbers of `app/dispatch/policy.py`,
and a dispatch round built as `app/services/dispatch/rounds.run_round` builds it (`WaitingIncident` with the
temu deadline as `arrive_by`, the crews that declined lately excluded, handed-over cases first; `CrewState`
with `busy_with`), calling `engine.decide` (plus `engine.diversions`) or `engine.closest_idle`.

Both policies play the SAME days (seeds `--seed`, `--seed`+1, ...) with the SAME luck per incident: the answer
to the k-th offer of an incident (silent 3 %, decline 7 %, else accept; its delay), the work on scene and the
driving speeds are drawn from `world.draw(seed, ..., report number, k)`, keyed by the incident and the ask or
visit number, not by the crew, so the two policies face comparable luck. A flat tyre (8 % of crew shifts, as
in actors.py) is keyed by the crew's shift.

It reports over N days, per policy: late arrivals (4CT temu: arrival after the target, or no arrival while the
target passed before the end of the day; hoaxes and merged second callers left out, as summary.judge does),
mean and p90 minutes from the first report to arrival, per priority; and the paired ratios engine/closest-idle
of the totals with a 95 % bootstrap interval over days (the days resampled with replacement, both policies
together).

It also counts, per policy, the late arrivals no policy could have avoided from the state at verification
(`late_unreachable`: no qualified crew on duty, busy or not, could have arrived in time had it set off at
once with this incident's first answer, van delay and speed; `late_no_free_in_time`: no crew free then
could have). Both depend on where that policy's crews were.

Run:  PYTHONPATH=. python -m bench.replay [--days 200] [--seed 1] [--params late_minutes=0 ...]
      PYTHONPATH=. python -m bench.replay --explore      (baseline Params and single-parameter variations)

Simplified (what the HTTP day has and this one has not, or has differently):
- Time: rounds run exactly 250 ms after a change that needs one (verification, decline, expiry, a crew free
  again, back in service, a shift starting or ending, a diversion), every 30 s while an incident waits and
  when an excluded crew may be asked again; the escalation timers that also make rounds due are left out
  (escalations do not change who is offered what; there are no neighbouring teams for mutual aid). Offers
  expire exactly at their deadline (the scheduler ticks every simulated second). HTTP latency is zero.
- Operators: each report is verified at the first 30-s tick of the operators' loop after its triage delay
  (40-150 s, as actors.operator); hoaxes are rejected; a second caller's report is always merged into the
  first (the real operator merges it when the first is among the likely duplicates).
- Priority: `priority.default_priority` lifted by the triage's hint of the description (`with_hint`), as
  intake does; no priority changes later.
- Phones: a phone looks at its offers and its assignment every 6 s from the start of its shift (or of the
  day); it answers after 8-30 s (P1) or 15-60 s, starts work at its next look, 60-180 s to get into the
  van, drives at 22-38 km/h with the positions it sends every ~2 minutes of driving (the position the engine
  sees), 5-20 min on scene, transport for ODGJ/PASUNG/OT/GEL/LUT with p = 0.6 (25-40 km/h to the RSJ or the
  shelter, 10-25 min there) else 10-30 min more (a body: none), then free at once and back to its post at
  35 km/h. The "late step" of a phone without signal does not move the 4CT stamp (the phone's time is kept).
- A diverted crew turns to its new case at its next look without a second van delay, from where it was last
  seen (as actors.Phone does: it looks at its assignment while it works too).
- A flat tyre takes the crew out of service (20-45 min) only when it is free (no offer, no case).
- At the end of a shift a pending offer is withdrawn and an open case handed over; the next crew works a
  handed-over case from the start (drive, scene, maybe transport), its first 4CT temu stamp kept.
- `--params` apply to the engine only (closest-idle keeps the default travel model), so a variation is
  compared with the same baseline.
"""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np

from app.dispatch import engine, fourct, policy, priority, reasons, shifts
from app.dispatch.lifecycle import Stage
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.simulate import world
from app.simulate.actors import OUTCOME_AFTER_TRANSPORT
from app.triage import engine as triage

LOOK_SECONDS = 6.0
OPERATOR_TICK = 30.0
RETURN_KMH = 35.0
LEG_MINUTES = 2.0
CAPACITY_WAIT = (reasons.ALL_BUSY, reasons.WAITS_FOR_OTHERS)
PRIORITIES = (1, 2, 3, 4)
# DayStats counts of late arrivals that no policy could have avoided (see Incident.reach_any).
UNAVOIDABLE = ("late_unreachable", "late_no_free_in_time")

Policy = Callable[..., list[engine.Decision]]


@lru_cache(maxsize=4096)
def _hint(description: str, landmark: str) -> int | None:
    hint = (
        triage.suggest(description, region_scope=world.BATAM, place_name=landmark).as_dict().get("priority")
    )
    return hint if isinstance(hint, int) else None


def priority_of(plan: world.PlannedReport) -> int:
    """As intake: the rules' priority, made more urgent (never less) by the triage's reading."""
    rules = priority.default_priority(
        category_priority=CATEGORIES[plan.category].default_priority,
        category=plan.category,
        flags=plan.flags,
        approx_age=plan.age,
    ).priority
    hint = _hint(plan.description, plan.place.name)
    return min(rules, hint) if hint is not None else rules


# ---- the world's people -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Move:
    """A drive from a to b over [t0, t1]; the phone sends its position at the end of each ~2-minute leg."""

    a: tuple[float, float]
    b: tuple[float, float]
    t0: float
    t1: float
    legs: int

    def at(self, t: float) -> tuple[float, float]:
        if t >= self.t1:
            return self.b
        if t <= self.t0 or self.t1 <= self.t0:
            return self.a
        k = math.floor((t - self.t0) / (self.t1 - self.t0) * self.legs)
        f = k / self.legs
        return (self.a[0] + (self.b[0] - self.a[0]) * f, self.a[1] + (self.b[1] - self.a[1]) * f)


def drive(a: tuple[float, float], b: tuple[float, float], t0: float, kmh: float) -> Move:
    minutes = world.km(a, b) * 1.4 / kmh * 60
    return Move(a, b, t0, t0 + minutes * 60, max(int(minutes // LEG_MINUTES), 1))


@dataclass(slots=True)
class Crew:
    id: str
    name: str
    starts: float
    ends: float
    skills: frozenset[str]
    vehicle: frozenset[str]
    seats: int | None
    post: tuple[float, float]
    look0: float = 0.0
    status: str = "off_shift"
    job: int | None = None  # the incident of its pending offer or assignment
    accepted: bool = False
    move: Move | None = None
    epoch: int = 0  # bumped when its work is cut short (diversion, end of shift): stale events are dropped
    tyre_at: float | None = None
    tyre_minutes: float = 0.0

    def position(self, t: float) -> tuple[float, float]:
        return self.move.at(t) if self.move is not None else self.post

    def freeze(self, t: float) -> None:
        """Stops where it was last seen (a drive cut short)."""
        self.move = Move(self.position(t), self.position(t), t, t, 1)

    def next_look(self, t: float) -> float:
        return self.look0 + math.floor((t - self.look0) / LOOK_SECONDS + 1) * LOOK_SECONDS


def roster(day: world.Day) -> list[Crew]:
    """The crews of actors.set_up and services/crews/forming.roster that work during the day."""
    zone = regions.timezone_for(world.BATAM)
    start_day = day.start.astimezone(day.start.tzinfo).date()
    groups = [list(range(world.STAFF + world.BKO))[g::3] for g in range(3)]
    plan = shifts.rotation(
        start_day - timedelta(days=1), int(day.hours // 24) + 3, shifts.THREE_EIGHTS, zone, len(groups)
    )
    end = day.start + timedelta(hours=day.hours)
    out = []
    for window, g in plan:
        if window.ends_at <= day.start or window.starts_at >= end:
            continue
        for n in range(world.CREWS_PER_SHIFT):
            members = groups[g][n :: world.CREWS_PER_SHIFT]
            if not members:
                continue
            van = world.VEHICLES[n] if n < len(world.VEHICLES) else None
            name = f"Regu {window.name} {n + 1}"
            skills = frozenset(s for m in members for s in world.skills_of(m))
            crew = Crew(
                id=f"{name} {window.starts_at:%Y-%m-%dT%H}",
                name=name,
                starts=(window.starts_at - day.start).total_seconds(),
                ends=(window.ends_at - day.start).total_seconds(),
                skills=skills,
                vehicle=frozenset(cast("list[str]", van["capabilities"])) if van else frozenset(),
                seats=cast(int, van["seats"]) - len(members) if van else None,
                post=world.POSTS[(n + 1) % len(world.POSTS)],
            )
            crew.look0 = max(crew.starts, 0.0)
            key = (day.seed, name, window.starts_at.isoformat())
            if world.draw(*key, "tyre").random() < 0.08:
                crew.tyre_at = crew.starts + world.draw(*key, "tyre-at").uniform(1, 6) * 3600
                crew.tyre_minutes = world.draw(*key, "tyre-for").uniform(20, 45)
            out.append(crew)
    return out


@dataclass(slots=True)
class Incident:
    n: int
    plan: world.PlannedReport
    priority: int
    received: float
    temu: float
    state: str = "received"  # received, waiting, offered, assigned, resolved, rejected, merged
    status: str = "received"  # the incident's status, for diversions (verified, dispatched, en_route, ...)
    handover: bool = False
    found: float | None = None
    asks: int = 0
    visits: int = 0
    token: int = 0  # identifies the current offer
    diverted: int = 0  # times its crew was sent elsewhere
    excluded: dict[str, float] = field(default_factory=dict)
    # At verification, the earliest arrival of any qualified crew on duty (wherever it was, busy or not) and
    # of any qualified crew then free, had it been sent at once with this incident's first answer and
    # drive (the same draws as the run): a late arrival no policy could have avoided, or only by a crew
    # that was busy.
    reach_any: float = math.inf
    reach_free: float = math.inf


@dataclass
class DayStats:
    seed: int
    incidents: int = 0
    late: int = 0
    arrivals: list[float] = field(default_factory=list)
    by_priority: dict[int, list[int]] = field(default_factory=dict)  # p -> [incidents, late]
    arrivals_by_priority: dict[int, list[float]] = field(default_factory=dict)
    offers: int = 0
    declined: int = 0
    expired: int = 0
    handovers: int = 0
    diversions: int = 0
    rounds: int = 0
    # Late arrivals no qualified crew on duty could have avoided (reach_any after the target), and those no
    # crew free at verification could have avoided.
    late_unreachable: int = 0
    late_no_free_in_time: int = 0


# ---- the simulation ---------------------------------------------------------------------------------------


class Sim:
    def __init__(
        self,
        day: world.Day,
        decide: Policy,
        params: engine.Params,
        *,
        divert: bool,
    ) -> None:
        self.day = day
        self.decide = decide
        self.params = params
        self.divert = divert
        self.end = day.hours * 3600
        self.crews = roster(day)
        self.by_crew = {c.id: c for c in self.crews}
        self.incidents: dict[int, Incident] = {}
        self.queue: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self.seq = 0
        self.round_at: float | None = None
        self.stats = DayStats(day.seed)
        targets = fourct.TARGET_MINUTES
        for plan in day.reports:
            p = priority_of(plan)
            received = plan.at.total_seconds()
            inc = Incident(plan.n, plan, p, received, received + targets[p][Stage.temu] * 60)
            self.incidents[plan.n] = inc
            if plan.hoax:
                inc.state = "rejected"
            elif plan.duplicate_of is not None:
                inc.state = "merged"
            else:
                delay = world.draw(day.seed, "triage", plan.n).uniform(40, 150)
                self.push(math.ceil((received + delay) / OPERATOR_TICK) * OPERATOR_TICK, "verify", plan.n)
        for crew in self.crews:
            self.push(max(crew.starts, 0.0), "shift_start", crew.id)
            self.push(crew.ends, "shift_end", crew.id)

    def dt(self, t: float) -> datetime:
        return self.day.start + timedelta(seconds=t)

    def push(self, t: float, kind: str, *args: Any) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (t, self.seq, kind, args))

    def due(self, t: float) -> None:
        if self.round_at is None or t < self.round_at:
            self.round_at = t
            self.push(t, "round")

    def run(self) -> DayStats:
        while self.queue:
            t, _, kind, args = heapq.heappop(self.queue)
            if t >= self.end:
                break
            getattr(self, "on_" + kind)(t, *args)
        return self.judge()

    def judge(self) -> DayStats:
        s = self.stats
        for inc in self.incidents.values():
            if inc.state in ("rejected", "merged"):
                continue
            s.incidents += 1
            counts = s.by_priority.setdefault(inc.priority, [0, 0])
            counts[0] += 1
            if inc.found is not None:
                minutes = (inc.found - inc.received) / 60
                s.arrivals.append(minutes)
                s.arrivals_by_priority.setdefault(inc.priority, []).append(minutes)
            if (inc.found is not None and inc.found > inc.temu) or (
                inc.found is None and inc.temu <= self.end
            ):
                s.late += 1
                counts[1] += 1
                s.late_unreachable += inc.reach_any > inc.temu
                s.late_no_free_in_time += inc.reach_free > inc.temu
        return s

    # -- operators, shifts, tyres

    def on_verify(self, t: float, n: int) -> None:
        inc = self.incidents[n]
        inc.state, inc.status = "waiting", "verified"
        self.reach(inc, t)
        self.due(t + policy.ROUND_DELAY.total_seconds())

    def reach(self, inc: Incident, t: float) -> None:
        """Incident.reach_any and reach_free: the first offer answered with this incident's first draw, the
        first visit's van delay and speed, from the nearest qualified crew (no look delays: a bound)."""
        answer = world.draw(self.day.seed, "answer", inc.n, 1)
        answer.random()
        wait = answer.uniform(8, 30) if inc.priority == 1 else answer.uniform(15, 60)
        work = world.draw(self.day.seed, "work", inc.n, 1)
        van, speed = work.uniform(60, 180), work.uniform(22, 38)
        need = engine.needs(self.waiting_state(inc, t))
        spot = (inc.plan.lat, inc.plan.lon)
        for crew in self.crews:
            if not (crew.starts <= t < crew.ends) or crew.status in ("off_shift", "out_of_service"):
                continue
            if not (need.skills <= crew.skills and need.vehicle <= crew.vehicle):
                continue
            at = t + policy.ROUND_DELAY.total_seconds() + wait + van
            at += world.km(crew.position(t), spot) * 1.4 / speed * 3600
            inc.reach_any = min(inc.reach_any, at)
            if crew.status == "available" and crew.job is None:
                inc.reach_free = min(inc.reach_free, at)

    def on_shift_start(self, t: float, crew_id: str) -> None:
        crew = self.by_crew[crew_id]
        crew.status = "available"
        if crew.tyre_at is not None:
            self.push(max(crew.tyre_at, t), "tyre", crew_id)
        self.due(t)

    def on_shift_end(self, t: float, crew_id: str) -> None:
        crew = self.by_crew[crew_id]
        if crew.job is not None:
            inc = self.incidents[crew.job]
            inc.token += 1
            if inc.state == "assigned":
                inc.handover = True
                self.stats.handovers += 1
            inc.state = "waiting"
        crew.job, crew.accepted, crew.status = None, False, "off_shift"
        crew.epoch += 1
        self.due(t)

    def on_tyre(self, t: float, crew_id: str) -> None:
        crew = self.by_crew[crew_id]
        if crew.tyre_at is None or crew.status == "off_shift":
            return
        if crew.status != "available" or crew.job is not None:
            return  # tried again when the crew is free (free())
        crew.tyre_at = None
        crew.status = "out_of_service"
        crew.freeze(t)
        self.push(t + crew.tyre_minutes * 60, "back_in_service", crew_id)

    def on_back_in_service(self, t: float, crew_id: str) -> None:
        crew = self.by_crew[crew_id]
        if crew.status == "out_of_service":
            crew.status = "available"
            self.due(t + policy.ROUND_DELAY.total_seconds())

    def free(self, crew: Crew, t: float) -> None:
        crew.job, crew.accepted, crew.status = None, False, "available"
        if crew.tyre_at is not None and t >= crew.tyre_at:
            self.push(t, "tyre", crew.id)
        self.due(t + policy.ROUND_DELAY.total_seconds())

    # -- offers and answers

    def offer(self, t: float, inc: Incident, crew: Crew) -> None:
        inc.asks += 1
        inc.token += 1
        inc.state = "offered"
        crew.job, crew.accepted, crew.status = inc.n, False, "offered"
        self.stats.offers += 1
        self.push(t + policy.offer_lifetime(inc.priority).total_seconds(), "expire", inc.n, inc.token)
        rng = world.draw(self.day.seed, "answer", inc.n, inc.asks)
        roll = rng.random()
        if roll < 0.03:
            return  # silent: the offer expires
        seen = crew.next_look(t)
        wait = rng.uniform(8, 30) if inc.priority == 1 else rng.uniform(15, 60)
        self.push(seen + wait, "answer", inc.n, inc.token, roll >= 0.10)

    def on_expire(self, t: float, n: int, token: int) -> None:
        inc = self.incidents[n]
        if inc.token != token or inc.state != "offered":
            return
        crew = self._holder(n)
        self.stats.expired += 1
        inc.excluded[crew.id] = t + policy.reoffer_after(inc.priority, unanswered=True).total_seconds()
        inc.state = "waiting"
        inc.token += 1
        self.free(crew, t)

    def on_answer(self, t: float, n: int, token: int, accept: bool) -> None:
        inc = self.incidents[n]
        if inc.token != token or inc.state != "offered":
            return
        crew = self._holder(n)
        if not accept:
            self.stats.declined += 1
            inc.excluded[crew.id] = t + policy.reoffer_after(inc.priority, unanswered=False).total_seconds()
            inc.state = "waiting"
            inc.token += 1
            self.free(crew, t)
            return
        self.assign(t, inc, crew)

    def _holder(self, n: int) -> Crew:
        return next(c for c in self.crews if c.job == n)

    def assign(self, t: float, inc: Incident, crew: Crew, *, diverted: bool = False) -> None:
        inc.state = "assigned"
        if inc.status == "verified":
            inc.status = "dispatched"
        crew.job, crew.accepted, crew.status = inc.n, True, "dispatched"
        crew.epoch += 1
        self.push(crew.next_look(t), "work", crew.id, crew.epoch, diverted)

    # -- the crew at work (actors.Phone.work)

    def on_work(self, t: float, crew_id: str, epoch: int, diverted: bool) -> None:
        crew = self.by_crew[crew_id]
        if crew.epoch != epoch or crew.job is None:
            return
        inc = self.incidents[crew.job]
        inc.visits += 1
        rng = world.draw(self.day.seed, "work", inc.n, inc.visits)
        crew.freeze(t)
        crew.status = "en_route"
        if inc.status in ("verified", "dispatched"):
            inc.status = "en_route"
        van = rng.uniform(60, 180)
        speed = rng.uniform(22, 38)
        depart = t if diverted else t + van
        crew.move = drive(crew.position(t), (inc.plan.lat, inc.plan.lon), depart, speed)
        rng.random()  # the late step's draw
        on_scene = rng.uniform(5, 20) * 60
        transport = inc.plan.category in OUTCOME_AFTER_TRANSPORT and rng.random() < 0.6
        speed2, at_facility = rng.uniform(25, 40), rng.uniform(10, 25) * 60
        rest = 0.0 if inc.plan.category == "JENAZAH" else rng.uniform(10, 30) * 60
        self.push(crew.move.t1, "arrive", crew_id, epoch, on_scene, transport, speed2, at_facility, rest)

    def on_arrive(
        self,
        t: float,
        crew_id: str,
        epoch: int,
        on_scene: float,
        transport: bool,
        speed2: float,
        at_facility: float,
        rest: float,
    ) -> None:
        crew = self.by_crew[crew_id]
        if crew.epoch != epoch or crew.job is None:
            return
        inc = self.incidents[crew.job]
        if inc.found is None:
            inc.found = t
        inc.status = "on_scene"
        crew.status = "on_scene"
        if transport and inc.plan.category != "JENAZAH":
            facility = world.FACILITIES[
                "rsj" if OUTCOME_AFTER_TRANSPORT[inc.plan.category] == "rsj" else "shelter"
            ]
            crew.move = drive((inc.plan.lat, inc.plan.lon), facility, t + on_scene, speed2)
            done = crew.move.t1 + at_facility
        else:
            done = t + on_scene + rest

        self.push(done, "resolve", crew_id, epoch)

    def on_resolve(self, t: float, crew_id: str, epoch: int) -> None:
        crew = self.by_crew[crew_id]
        if crew.epoch != epoch or crew.job is None:
            return
        inc = self.incidents[crew.job]
        inc.state, inc.status = "resolved", "resolved"
        crew.move = drive(crew.position(t), crew.post, t, RETURN_KMH)
        self.free(crew, t)

    # -- the round (rounds.run_round)

    def waiting_state(self, inc: Incident, t: float) -> engine.WaitingIncident:
        excluded = frozenset(c for c, until in inc.excluded.items() if until > t)
        return engine.WaitingIncident(
            id=str(inc.n),
            priority=inc.priority,
            waiting_since=self.dt(inc.received),
            category=inc.plan.category,
            region_code=inc.plan.place.code,
            location=engine.Point(inc.plan.lat, inc.plan.lon),
            flags=frozenset(inc.plan.flags),
            subject_sex=inc.plan.sex,
            subject_count=inc.plan.count,
            expected_minutes=policy.expected_minutes(inc.plan.category),
            excluded_crews=excluded,
            arrive_by=self.dt(inc.temu) if inc.found is None else None,
            handover=inc.handover,
        )

    def crew_state(self, crew: Crew, t: float, *, busy: bool = True) -> engine.CrewState:
        lat, lon = crew.position(t)
        return engine.CrewState(
            id=crew.id,
            coverage=(world.BATAM,),
            shift_ends_at=self.dt(crew.ends),
            status=crew.status,
            name=crew.name,
            position=engine.Point(lat, lon),
            skills=crew.skills,
            vehicle=crew.vehicle,
            seats=crew.seats,
            busy_with=str(crew.job) if busy and crew.job is not None else None,
        )

    def on_round(self, t: float) -> None:
        if self.round_at != t:
            return
        self.round_at = None
        waiting = [i for i in self.incidents.values() if i.state == "waiting"]
        if not waiting:
            return
        on_duty = [c for c in self.crews if c.starts <= t < c.ends and c.status != "off_shift"]
        free = any(c.status == "available" and c.job is None for c in on_duty)
        due: list[float] = []
        p1_waiting = self.divert and any(not i.handover for i in waiting)
        if not free and not p1_waiting:
            # Nobody free: the engine would offer nothing; the round comes back in 30 s.
            for inc in waiting:
                due.append(t + policy.ROUND_EVERY_WHILE_WAITING.total_seconds())
                due += [u for u in inc.excluded.values() if u > t]
            self.due(max(min(due), t + policy.ROUND_DELAY.total_seconds()))
            return
        self.stats.rounds += 1
        now = self.dt(t)
        states = [self.waiting_state(i, t) for i in waiting]
        decisions = self.decide(states, [self.crew_state(c, t) for c in on_duty], now, self.params)
        diverted = self.diversions(t, decisions, waiting, states, on_duty) if p1_waiting else set()
        if diverted:
            due.append(t + policy.ROUND_DELAY.total_seconds())
        for d in decisions:
            n = int(d.incident_id)
            if n in diverted:
                continue
            inc = self.incidents[n]
            if d.crew_id is not None:
                crew = self.by_crew[d.crew_id]
                if inc.handover:
                    self.assign(t, inc, crew)
                else:
                    self.offer(t, inc, crew)
                continue
            due.append(t + policy.ROUND_EVERY_WHILE_WAITING.total_seconds())
            due += [u for u in inc.excluded.values() if u > t]
        if due:
            self.due(max(min(due), t + policy.ROUND_DELAY.total_seconds()))

    def diversions(
        self,
        t: float,
        decisions: list[engine.Decision],
        waiting: list[Incident],
        states: list[engine.WaitingIncident],
        on_duty: list[Crew],
    ) -> set[int]:
        """rounds._divert: incidents that wait for capacity take a crew on its way to another case."""
        stuck = {
            d.incident_id for d in decisions if d.crew_id is None and d.why and d.why.code in CAPACITY_WAIT
        }
        p1 = [s for s, i in zip(states, waiting, strict=True) if s.id in stuck and not i.handover]
        if not p1:
            return set()
        jobs: dict[str, engine.Job] = {}
        for crew in on_duty:
            if crew.job is None or not crew.accepted:
                continue
            inc = self.incidents[crew.job]
            jobs[crew.id] = engine.Job(
                crew.id,
                str(inc.n),
                inc.priority,
                inc.status,
                self.dt(inc.temu) if inc.found is None else None,
                engine.Point(inc.plan.lat, inc.plan.lon),
                inc.diverted > 0,
            )
        if not jobs:
            return set()
        crews = [self.crew_state(c, t, busy=False) for c in on_duty if c.id in jobs]
        served: set[int] = set()
        for d in engine.diversions(p1, crews, jobs, self.dt(t), self.params):
            crew = self.by_crew[d.crew_id]
            lesser = self.incidents[int(d.from_incident_id)]
            if lesser.status not in ("dispatched", "en_route") or crew.job != lesser.n:
                continue
            lesser.state, lesser.status = "waiting", "verified"
            lesser.diverted += 1
            lesser.token += 1
            crew.freeze(t)
            target = self.incidents[int(d.incident_id)]
            self.assign(t, target, crew, diverted=True)
            self.stats.diversions += 1
            served.add(target.n)
        return served


# ---- many days, two policies ------------------------------------------------------------------------------


def play(
    seeds: Sequence[int],
    start: datetime,
    hours: float,
    name: str,
    params: engine.Params,
    *,
    surges: bool = True,
    divert: bool = True,
    progress: bool = False,
) -> list[DayStats]:
    where = world.places()
    decide = engine.POLICIES[name]
    out = []
    began = time.monotonic()
    for k, seed in enumerate(seeds):
        day = world.plan_day(start, hours, seed, where, surges=surges)
        out.append(Sim(day, decide, params, divert=divert and name == "engine").run())
        if progress and (k + 1) % 50 == 0:
            print(f"  {name}: {k + 1}/{len(seeds)} days, {time.monotonic() - began:.0f} s", file=sys.stderr)
    return out


def p90(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * 0.9), len(ordered) - 1)]


@dataclass
class Totals:
    incidents: int
    late: int
    mean: float
    p90: float
    by_priority: dict[int, tuple[int, int, float]]  # p -> incidents, late, mean arrival

    @property
    def late_pct(self) -> float:
        return 100 * self.late / self.incidents if self.incidents else 0.0


def totals(days: Sequence[DayStats]) -> Totals:
    arrivals = [a for d in days for a in d.arrivals]
    by_p = {}
    for p in PRIORITIES:
        n = sum(d.by_priority.get(p, [0, 0])[0] for d in days)
        late = sum(d.by_priority.get(p, [0, 0])[1] for d in days)
        arr = [a for d in days for a in d.arrivals_by_priority.get(p, [])]
        by_p[p] = (n, late, statistics.fmean(arr) if arr else float("nan"))
    return Totals(
        sum(d.incidents for d in days),
        sum(d.late for d in days),
        statistics.fmean(arrivals) if arrivals else float("nan"),
        p90(arrivals),
        by_p,
    )


def _ratio_ci(
    num: np.ndarray, den: np.ndarray, num_n: np.ndarray, den_n: np.ndarray, rng: np.random.Generator, b: int
) -> tuple[float, float, float]:
    """(sum num / sum num_n) / (sum den / sum den_n), and its 95 % bootstrap interval over days (paired)."""

    def ratio(idx: np.ndarray) -> np.ndarray:
        top = num[idx].sum(axis=-1) / np.maximum(num_n[idx].sum(axis=-1), 1)
        bottom = den[idx].sum(axis=-1) / np.maximum(den_n[idx].sum(axis=-1), 1)
        return np.asarray(top / np.where(bottom == 0, np.nan, bottom))

    days = len(num)
    point = float(ratio(np.arange(days)))
    boot = ratio(rng.integers(0, days, size=(b, days)))
    lo, hi = np.nanpercentile(boot, [2.5, 97.5])
    return point, float(lo), float(hi)


def compare(
    engine_days: Sequence[DayStats], baseline_days: Sequence[DayStats], *, b: int = 2000
) -> dict[str, Any]:
    """Paired ratios engine / closest-idle with 95 % bootstrap intervals over days."""
    rng = np.random.default_rng(12345)
    ones = np.ones(len(engine_days))
    e_late = np.array([d.late for d in engine_days], float)
    c_late = np.array([d.late for d in baseline_days], float)
    out: dict[str, Any] = {"late": _ratio_ci(e_late, c_late, ones, ones, rng, b)}
    e_sum = np.array([sum(d.arrivals) for d in engine_days])
    c_sum = np.array([sum(d.arrivals) for d in baseline_days])
    e_n = np.array([len(d.arrivals) for d in engine_days], float)
    c_n = np.array([len(d.arrivals) for d in baseline_days], float)
    out["mean"] = _ratio_ci(e_sum, c_sum, e_n, c_n, rng, b)
    # p90: bootstrap by pooling the resampled days' arrivals.
    pooled_e = [np.array(d.arrivals) for d in engine_days]
    pooled_c = [np.array(d.arrivals) for d in baseline_days]
    point = p90([a for d in engine_days for a in d.arrivals]) / max(
        p90([a for d in baseline_days for a in d.arrivals]), 1e-9
    )
    ratios = []
    for _ in range(min(b, 500)):
        idx = rng.integers(0, len(engine_days), len(engine_days))
        pe = np.percentile(np.concatenate([pooled_e[i] for i in idx]), 90)
        pc = np.percentile(np.concatenate([pooled_c[i] for i in idx]), 90)
        ratios.append(pe / pc)
    lo, hi = np.percentile(ratios, [2.5, 97.5])
    out["p90"] = (point, float(lo), float(hi))
    for p in PRIORITIES:
        e = np.array([d.by_priority.get(p, [0, 0])[1] for d in engine_days], float)
        c = np.array([d.by_priority.get(p, [0, 0])[1] for d in baseline_days], float)
        out[f"late_P{p}"] = _ratio_ci(e, c, ones, ones, rng, b) if c.sum() else (float("nan"),) * 3
    diff = e_late - c_late
    out["days"] = {
        "better": int((diff < 0).sum()),
        "same": int((diff == 0).sum()),
        "worse": int((diff > 0).sum()),
    }
    out["late_diff_per_day"] = (float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(len(diff))))
    return out


def _fmt_ci(v: tuple[float, float, float]) -> str:
    point, lo, hi = v
    return "-" if math.isnan(point) else f"x{point:.3f} [{lo:.3f}, {hi:.3f}]"


def _row(label: str, *cells: str, widths: Sequence[int] = (16, 16, 26)) -> None:
    print(f"{label:32} " + " ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=False)))


def show(name_e: str, e: Totals, c: Totals, cmp: dict[str, Any], days: int) -> None:
    print(f"\n{days} days; {e.incidents} incidents (without hoaxes and merged second callers)")
    _row("", name_e, "closest_idle", "engine/closest-idle [95% CI]", widths=(16, 16, 32))
    _row(
        "late arrivals (temu)",
        f"{e.late} ({e.late_pct:4.1f}%)",
        f"{c.late} ({c.late_pct:4.1f}%)",
        _fmt_ci(cmp["late"]),
    )
    _row("time to arrival, mean (min)", f"{e.mean:.1f}", f"{c.mean:.1f}", _fmt_ci(cmp["mean"]))
    _row("time to arrival, p90 (min)", f"{e.p90:.1f}", f"{c.p90:.1f}", _fmt_ci(cmp["p90"]))
    for p in PRIORITIES:
        en, el, em = e.by_priority[p]
        cn, cl, cm = c.by_priority[p]
        _row(
            f"P{p}: late/n, mean arrival",
            f"{el}/{en}, {em:.1f}",
            f"{cl}/{cn}, {cm:.1f}",
            _fmt_ci(cmp[f"late_P{p}"]),
        )
    d = cmp["days"]
    m, se = cmp["late_diff_per_day"]
    print(
        f"days with fewer / as many / more late arrivals: {d['better']} / {d['same']} / {d['worse']}; "
        f"late per day engine - closest-idle: {m:+.2f} ± {1.96 * se:.2f}"
    )


def table(c: Totals, rows: Sequence[tuple[str, Totals, dict[str, Any]]]) -> None:
    widths = (7, 7, 26, 6, 26, 6, 26)
    print()
    head = ("late", "late %", "late ratio [95% CI]", "mean", "mean ratio", "p90", "late vs row 1")
    _row("engine Params", *head, widths=widths)
    base = (str(c.late), f"{c.late_pct:.1f}%", "", f"{c.mean:.1f}", "", f"{c.p90:.1f}")
    _row("closest_idle (baseline)", *base, widths=widths)
    for label, e, cmp in rows:
        _row(
            label,
            str(e.late),
            f"{e.late_pct:.1f}%",
            _fmt_ci(cmp["late"]),
            f"{e.mean:.1f}",
            _fmt_ci(cmp["mean"]),
            f"{e.p90:.1f}",
            _fmt_ci(cmp["vs_first"]),
            widths=widths,
        )


def parse_params(items: Sequence[str]) -> dict[str, float]:
    names = {f.name for f in dataclasses.fields(engine.Params)}
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if key not in names or not value:
            raise SystemExit(f"--params {item!r}: expected key=value with key one of {sorted(names)}")
        out[key] = float(value)
    return out


EXPLORE: list[dict[str, float]] = [
    {},
    {"no_female_officer_minutes": 5},
    {"urgent_slack_minutes": 0},
    {"late_minutes": 0},
    {"last_of_kind_minutes": 0},
    {"urgent_slack_minutes": 90},
    {"late_minutes": 120},
]


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1, help="the first day's seed; day k has seed + k")
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--start", default="2026-12-01T06:00:00+07:00")
    ap.add_argument("--no-surges", action="store_true")
    ap.add_argument("--no-diversions", action="store_true", help="the engine without engine.diversions")
    ap.add_argument("--params", nargs="*", default=[], metavar="KEY=VALUE", help="engine Params to change")
    ap.add_argument("--explore", action="store_true", help="baseline Params and single-parameter variations")
    ap.add_argument(
        "--variant", action="append", default=[], metavar="K=V,K=V", help="one more engine Params variation"
    )
    ap.add_argument("--bootstrap", type=int, default=2000)
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = ap.parse_args(argv)
    start = datetime.fromisoformat(args.start)
    seeds = [args.seed + k for k in range(args.days)]
    common = {"surges": not args.no_surges, "divert": not args.no_diversions, "progress": True}
    began = time.monotonic()
    baseline = play(seeds, start, args.hours, "closest_idle", engine.Params(), **common)
    c = totals(baseline)
    variants = EXPLORE if args.explore else [parse_params(args.params)]
    variants = variants + [parse_params(v.split(",")) for v in args.variant]
    report: dict[str, Any] = {
        "days": args.days,
        "seed": args.seed,
        "closest_idle": dataclasses.asdict(c),
        "engine": [],
    }
    rows = []
    first: list[DayStats] = []
    for changes in variants:
        params = dataclasses.replace(engine.Params(), **changes)
        days = play(seeds, start, args.hours, "engine", params, **common)
        e = totals(days)
        cmp = compare(days, baseline, b=args.bootstrap)
        first = first or days
        cmp["vs_first"] = compare(days, first, b=args.bootstrap)["late"]
        label = ", ".join(f"{k}={v:g}" for k, v in changes.items()) or "default Params"
        print(f"\n== engine ({label}) vs closest-idle")
        show("engine", e, c, cmp, args.days)
        extra = {
            k: sum(getattr(d, k) for d in days) / len(days)
            for k in ("offers", "declined", "expired", "handovers", "diversions", "rounds", *UNAVOIDABLE)
        }
        print("per day (engine): " + ", ".join(f"{k} {v:.2f}" for k, v in extra.items()))
        rows.append((label, e, cmp))
        report["engine"].append(
            {"params": changes, "totals": dataclasses.asdict(e), "compare": cmp, "per_day": extra}
        )
    base_extra = {
        k: sum(getattr(d, k) for d in baseline) / len(baseline)
        for k in ("offers", "declined", "expired", "handovers", *UNAVOIDABLE)
    }
    print("per day (closest-idle): " + ", ".join(f"{k} {v:.2f}" for k, v in base_extra.items()))
    if len(rows) > 1:
        table(c, rows)
    print(f"\n{time.monotonic() - began:.0f} s", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
