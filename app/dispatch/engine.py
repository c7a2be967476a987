"""The assignment engine: which crew is offered which waiting incident, and why.

Pure functions over plain data (no database, no HTTP), so that every rule can be tested alone and the whole
engine benchmarked. The dispatch service gathers the data, takes the locks, and writes the offers.

Rules (in order of strength):
1. Hard constraints. A crew must be available, not have declined or let this incident's offer expire,
   cover the incident's region, have the skills and vehicle the case needs (an agitated person needs a
   vehicle fit to carry one safely; an injured person a medic; a body a crew trained and equipped for it),
   and have at least `min_shift_minutes_left` of its shift left after getting there.
2. P1 before P2 before P3 before P4; within a priority the oldest first when there are fewer crews than
   incidents.
3. Within a priority, incidents waiting together are assigned together so that the total cost is minimal
   (scipy's linear_sum_assignment), not greedily one by one.
4. Cost, in minutes: the travel time (haversine distance x road factor / speed) plus penalties: each open case
   the crew already has, no female officer for a child or a woman (when some crew has one), no counsellor for
   an ODGJ case, a shift that ends before the expected end of the case.
Every decision keeps its candidates, their costs and the reasons, for the incident's timeline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.optimize import linear_sum_assignment

# Skills of people, pooled per crew.
DRIVER, MEDIC, COUNSELLOR, FEMALE_OFFICER, BODY_HANDLING = (
    "driver",
    "medic",
    "counsellor",
    "female_officer",
    "body_handling",
)
# Capabilities of vehicles.
SECURE_TRANSPORT, STRETCHER = "secure_transport", "stretcher"
INFEASIBLE = 1e9


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class WaitingIncident:
    id: str
    priority: int
    waiting_since: datetime
    category: str
    region_code: str
    location: Point | None = None
    flags: frozenset[str] = frozenset()
    subject_sex: str = "unknown"
    expected_minutes: int = 60
    # Crews that declined or let an offer of this incident expire.
    excluded_crews: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CrewState:
    id: str
    available: bool
    coverage: tuple[str, ...]
    shift_ends_at: datetime
    position: Point | None = None
    skills: frozenset[str] = frozenset()
    vehicle: frozenset[str] = frozenset()
    open_cases: int = 0


@dataclass(frozen=True, slots=True)
class Params:
    road_factor: float = 1.4
    speed_kmh: float = 30.0
    # Travel time assumed when a position is unknown (crew or incident).
    unknown_travel_minutes: float = 30.0
    min_shift_minutes_left: float = 15.0
    per_open_case_minutes: float = 10.0
    no_female_officer_minutes: float = 20.0
    no_counsellor_minutes: float = 10.0
    shift_overrun_minutes: float = 30.0


@dataclass(frozen=True, slots=True)
class Needs:
    skills: frozenset[str]
    vehicle: frozenset[str]
    wants_female_officer: bool
    wants_counsellor: bool


@dataclass(frozen=True, slots=True)
class Candidate:
    crew_id: str
    cost: float
    travel_minutes: float
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    incident_id: str
    crew_id: str | None
    cost: float | None
    reasons: tuple[str, ...]
    candidates: tuple[Candidate, ...] = ()
    # Why no crew could take it, per refused crew (for escalation and the timeline).
    refusals: dict[str, str] = field(default_factory=dict)


def needs(incident: WaitingIncident) -> Needs:
    skills: set[str] = set()
    vehicle: set[str] = set()
    if "agitated" in incident.flags:
        vehicle.add(SECURE_TRANSPORT)
    if "injured" in incident.flags:
        skills.add(MEDIC)
    if "deceased" in incident.flags or incident.category == "JENAZAH":
        skills.add(BODY_HANDLING)
        vehicle.add(STRETCHER)
    child = "child" in incident.flags or incident.category in {
        "ABT",
        "AT",
        "AJ",
        "AKTK",
        "ABH",
        "ADK",
        "AMPK",
    }
    return Needs(
        skills=frozenset(skills),
        vehicle=frozenset(vehicle),
        wants_female_officer=child or incident.subject_sex == "female",
        wants_counsellor=incident.category in {"ODGJ", "PASUNG"},
    )


def haversine_km(a: Point, b: Point) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _covers(crew: CrewState, region_code: str) -> bool:
    return any(region_code == c or region_code.startswith(c + ".") for c in crew.coverage)


def refusal(
    incident: WaitingIncident, need: Needs, crew: CrewState, travel: float, now: datetime, params: Params
) -> str | None:
    """Why `crew` cannot take `incident`, or None."""
    if not crew.available:
        return "not available"
    if crew.id in incident.excluded_crews:
        return "declined or let the offer expire"
    if not _covers(crew, incident.region_code):
        return "region outside its coverage"
    missing = need.skills - crew.skills
    if missing:
        return "lacks " + ", ".join(sorted(missing))
    missing = need.vehicle - crew.vehicle
    if missing:
        return "vehicle lacks " + ", ".join(sorted(missing))
    left = (crew.shift_ends_at - now).total_seconds() / 60 - travel
    if left < params.min_shift_minutes_left:
        return f"shift ends in {max(left + travel, 0):.0f} min"
    return None


def travel_minutes(incident: WaitingIncident, crew: CrewState, params: Params) -> float:
    if incident.location is None or crew.position is None:
        return params.unknown_travel_minutes
    return haversine_km(incident.location, crew.position) * params.road_factor / params.speed_kmh * 60


def cost(
    incident: WaitingIncident,
    need: Needs,
    crew: CrewState,
    travel: float,
    now: datetime,
    params: Params,
    female_on_duty: bool,
) -> tuple[float, tuple[str, ...]]:
    total = travel
    notes = [f"{travel:.0f} min away"]
    if crew.open_cases:
        total += crew.open_cases * params.per_open_case_minutes
        notes.append(f"{crew.open_cases} open case(s)")
    if need.wants_female_officer and female_on_duty and FEMALE_OFFICER not in crew.skills:
        total += params.no_female_officer_minutes
        notes.append("no female officer")
    if need.wants_counsellor and COUNSELLOR not in crew.skills:
        total += params.no_counsellor_minutes
        notes.append("no counsellor")
    left = (crew.shift_ends_at - now).total_seconds() / 60
    if left < travel + incident.expected_minutes:
        total += params.shift_overrun_minutes
        notes.append(f"shift ends in {left:.0f} min")
    return total, tuple(notes)


def _order(incidents: Iterable[WaitingIncident]) -> list[WaitingIncident]:
    return sorted(incidents, key=lambda i: (i.priority, i.waiting_since, i.id))


def decide(
    incidents: Sequence[WaitingIncident],
    crews: Sequence[CrewState],
    now: datetime,
    params: Params | None = None,
    *,
    keep_candidates: int = 5,
) -> list[Decision]:
    """Assigns waiting incidents to available crews: one decision per incident, crew None when none fits
    now (too few crews: it waits; no crew qualifies at all: `refusals` says why, and it is escalated)."""
    params = params or Params()
    free = [c for c in crews if c.available]
    female_on_duty = any(FEMALE_OFFICER in c.skills for c in free)
    decisions: list[Decision] = []
    taken: set[str] = set()
    ordered = _order(incidents)
    for priority in sorted({i.priority for i in ordered}):
        group = [i for i in ordered if i.priority == priority]
        # Every free crew is a candidate (so a decision can tell "waits" from "nobody qualifies"); crews
        # already given to a higher priority are infeasible in this round's matrix.
        pool = free
        costs = np.full((len(group), len(pool)), INFEASIBLE)
        cands: list[list[Candidate]] = []
        refused: list[dict[str, str]] = []
        for r, incident in enumerate(group):
            need = needs(incident)
            row: list[Candidate] = []
            why: dict[str, str] = {}
            for c, crew in enumerate(pool):
                travel = travel_minutes(incident, crew, params)
                problem = refusal(incident, need, crew, travel, now, params)
                if problem:
                    why[crew.id] = problem
                    continue
                total, notes = cost(incident, need, crew, travel, now, params, female_on_duty)
                if crew.id not in taken:
                    costs[r, c] = total
                row.append(Candidate(crew.id, round(total, 1), round(travel, 1), notes))
            row.sort(key=lambda cand: cand.cost)
            cands.append(row)
            refused.append(why)
        # Oldest first: when crews are fewer than the incidents that could use them, the newest wait.
        feasible_rows = [r for r in range(len(group)) if (costs[r] < INFEASIBLE).any()]
        crews_usable = int((costs < INFEASIBLE).any(axis=0).sum())
        chosen_rows = feasible_rows[:crews_usable]
        assigned: dict[int, int] = {}
        if chosen_rows:
            sub = costs[chosen_rows]
            rows, cols = linear_sum_assignment(sub)
            for r, c in zip(rows, cols, strict=True):
                if sub[r, c] < INFEASIBLE:
                    assigned[chosen_rows[r]] = int(c)
        for r, incident in enumerate(group):
            top = tuple(cands[r][:keep_candidates])
            if r in assigned:
                crew = pool[assigned[r]]
                taken.add(crew.id)
                chosen = next(cand for cand in cands[r] if cand.crew_id == crew.id)
                reasons = [
                    f"P{priority}",
                    f"crew {crew.id}: cost {chosen.cost} min ({'; '.join(chosen.notes)})",
                ]
                if top and top[0].crew_id != crew.id:
                    reasons.append(f"nearest crew {top[0].crew_id} went to an incident it served better")
                decisions.append(Decision(incident.id, crew.id, chosen.cost, tuple(reasons), top))
            elif cands[r]:
                decisions.append(
                    Decision(
                        incident.id,
                        None,
                        None,
                        (
                            f"P{priority}",
                            "waits: qualified crews are taken by older or higher-priority incidents",
                        ),
                        top,
                    )
                )
            else:
                decisions.append(
                    Decision(incident.id, None, None, (f"P{priority}", "no crew qualifies"), (), refused[r])
                )
    return decisions


def best_crew(
    incident: WaitingIncident, crews: Sequence[CrewState], now: datetime, params: Params | None = None
) -> Decision:
    """The decision for one incident alone (e.g. the next candidate after a decline)."""
    return decide([incident], crews, now, params)[0]
