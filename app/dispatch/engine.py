"""The assignment engine: which crew is offered which waiting incident, and why.

Pure functions over plain data (no database, no HTTP), so that every rule can be tested alone and the whole
engine benchmarked. The dispatch service gathers the data, takes the locks, and writes the offers.

Rules (in order of strength):
1. Hard constraints. A crew must be free (not busy with an offer or a case, not out of service), not have
   declined this incident or let its offer expire lately, cover the incident's region, have the skills and
   vehicle the case needs (an agitated person needs a vehicle fit to carry one safely; an injured person a
   medic; a body a crew trained and equipped for it), be less than `max_travel_minutes` away, and reach
   the case before its shift ends (a case it cannot finish is handed over to the next shift).
2. Cases handed over (a crew left them open) first; then incidents that can still be reached before their
   4CT temu deadline, but not for long, earliest deadline first; then P1 before P2 before P3 before P4,
   the oldest first within a priority when there are fewer crews than incidents. A P1 no free crew can take
   diverts a crew on its way to a P3/P4 case, and a case no free crew can take but that can still be reached
   in time diverts a crew on its way to a case it can no longer reach in time (`diversions`): in simulated
   Batam days most late arrivals come while every crew is busy, so the crew's choice among free crews
   matters little and where busy crews drive matters much (bench/replay.py).
3. Within a group, incidents waiting together are assigned together so that the total cost is minimal
   (scipy's linear_sum_assignment), not greedily one by one.
4. Cost, in minutes: the travel time (haversine distance x road factor / speed) plus penalties: arriving
   after the 4CT temu deadline, no female officer for a child or a woman (when some crew has one), no
   counsellor for an ODGJ case, too few seats for the people to carry, a shift that ends before the
   expected end of the case.
Every decision keeps its candidates, their costs and the reasons (Bahasa Indonesia, with codes), for the
incident's timeline; a decision without a crew says why (app/dispatch/reasons.py).

`closest_idle` is the usual dispatch rule, kept as the baseline the engine is measured against
(`tanggap simulate --policy closest_idle`): first come first served, the nearest free crew that qualifies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from scipy.optimize import linear_sum_assignment

from app.dispatch import reasons
from app.dispatch.reasons import Reason, Refusal, WhyWaiting

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
# What some cases cannot do without (see needs()): a crew is kept for them when it is the last free one.
SCARCE_SKILLS = frozenset({MEDIC, BODY_HANDLING})
SCARCE_VEHICLE = frozenset({SECURE_TRANSPORT, STRETCHER})
INFEASIBLE = 1e9
# Worth more than any cost (minutes), less than INFEASIBLE even summed over a large surge.
MATCH_BONUS = 1e5
CHILD_CATEGORIES = frozenset({"ABT", "AT", "AJ", "AKTK", "ABH", "ADK", "AMPK"})


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
    subject_count: int = 1
    expected_minutes: int = 60
    # Crews that declined or let an offer of this incident expire (lately).
    excluded_crews: frozenset[str] = frozenset()
    # The 4CT temu deadline: arriving later is a late arrival.
    arrive_by: datetime | None = None
    # A case a crew left open (end of shift, out of service): it goes to the next crew first.
    handover: bool = False


@dataclass(frozen=True, slots=True)
class CrewState:
    id: str
    coverage: tuple[str, ...]
    shift_ends_at: datetime
    # app/dispatch/crewflow.py: CrewStatus
    status: str = "available"
    name: str = ""
    position: Point | None = None
    skills: frozenset[str] = frozenset()
    # Capabilities of its vehicle in service (empty without one).
    vehicle: frozenset[str] = frozenset()
    # Seats left for the people it carries (vehicle seats minus the crew); None: no vehicle.
    seats: int | None = None
    # What it is busy with: the incident of its pending offer or assignment.
    busy_with: str | None = None

    @property
    def available(self) -> bool:
        return self.status == "available" and self.busy_with is None


@dataclass(frozen=True, slots=True)
class Params:
    road_factor: float = 1.4
    speed_kmh: float = 30.0
    # Travel time assumed when a position is unknown (crew or incident).
    unknown_travel_minutes: float = 30.0
    max_travel_minutes: float = 150.0
    # A crew must reach the case before its shift ends (the next crew takes it over from there).
    min_shift_minutes_left: float = 0.0
    no_female_officer_minutes: float = 20.0
    no_counsellor_minutes: float = 10.0
    shift_overrun_minutes: float = 30.0
    too_few_seats_minutes: float = 45.0
    # Arriving after the temu deadline costs this much more than arriving in time.
    late_minutes: float = 60.0
    # A P1 already past its deadline takes a diverted crew only this close.
    diversion_late_cap_minutes: float = 30.0
    # Minutes before a crew is on the road (answering the offer, getting into the van): counted before an
    # arrival is judged in time.
    setup_minutes: float = 4.0
    # An incident that can still be reached in time but with less slack than this goes first.
    urgent_slack_minutes: float = 45.0
    # Sending the last free crew that has what some cases need (a secure van for an agitated ODGJ, a
    # stretcher, a medic, body handling) to a case that needs none of it: the next such case would wait.
    last_of_kind_minutes: float = 15.0
    # A crew on its way to a case it cannot reach in time any more is sent on to one it can (diversions).
    rescue: float = 1


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
    # Why each crew could not take it (for escalation and the timeline).
    refusals: dict[str, Refusal] = field(default_factory=dict)
    # Without a crew: why it waits (nobody on duty, all busy, nobody qualified, taken by others).
    why: WhyWaiting | None = None


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
    child = "child" in incident.flags or incident.category in CHILD_CATEGORIES
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


def state_refusal(crew: CrewState) -> Refusal | None:
    """Why the crew cannot take anything now (its status), or None."""
    if crew.status == "out_of_service":
        return Refusal(reasons.OUT_OF_SERVICE, Reason("out_of_service"))
    if crew.status == "off_shift":
        return Refusal(reasons.OFF_SHIFT, Reason("off_shift"))
    if crew.status == "offered" or (crew.busy_with is not None and crew.status == "available"):
        return Refusal(reasons.OFFERED, Reason("offered"))
    if crew.status != "available" or crew.busy_with is not None:
        return Refusal(reasons.BUSY, Reason("busy"))
    return None


def fit_refusal(
    incident: WaitingIncident, need: Needs, crew: CrewState, travel: float, now: datetime, params: Params
) -> Refusal | None:
    """Why the crew could not take the incident even if it were free, or None."""
    if crew.id in incident.excluded_crews:
        return Refusal(reasons.DECLINED, Reason("declined"))
    if not _covers(crew, incident.region_code):
        return Refusal(reasons.OUTSIDE_COVERAGE, Reason("outside_coverage"))
    missing = need.skills - crew.skills
    if missing:
        return Refusal(reasons.LACKS_SKILL, Reason("lacks_skill", skills=tuple(sorted(missing))))
    missing = need.vehicle - crew.vehicle
    if missing:
        return Refusal(reasons.LACKS_VEHICLE, Reason("lacks_vehicle", equipment=tuple(sorted(missing))))
    if travel > params.max_travel_minutes:
        return Refusal(reasons.TOO_FAR, Reason("too_far", minutes=round(travel)))
    left = (crew.shift_ends_at - now).total_seconds() / 60 - travel
    if left < params.min_shift_minutes_left:
        return Refusal(reasons.SHIFT_ENDS, Reason("shift_ends", minutes=round(max(left + travel, 0))))
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
    last_of: frozenset[str] = frozenset(),
) -> tuple[float, tuple[str, ...]]:
    """Minutes: the travel, and what the choice would cost besides (each with a note). `last_of`: scarce
    skills and capabilities of which this crew is the last free holder."""
    total = travel
    notes = [Reason("cost.travel", minutes=round(travel))]
    spare = last_of - need.skills - need.vehicle
    if spare:
        total += params.last_of_kind_minutes
        what = (*sorted(spare & SCARCE_SKILLS), *sorted(spare & SCARCE_VEHICLE))
        notes.append(Reason("cost.last_of_kind", what=what))
    if (
        incident.arrive_by is not None
        and now + timedelta(minutes=travel + params.setup_minutes) > incident.arrive_by
    ):
        total += params.late_minutes
        notes.append(Reason("cost.late"))
    if need.wants_female_officer and female_on_duty and FEMALE_OFFICER not in crew.skills:
        total += params.no_female_officer_minutes
        notes.append(Reason("cost.no_female_officer"))
    if need.wants_counsellor and COUNSELLOR not in crew.skills:
        total += params.no_counsellor_minutes
        notes.append(Reason("cost.no_counsellor"))
    if crew.seats is not None and incident.subject_count > crew.seats:
        total += params.too_few_seats_minutes
        notes.append(Reason("cost.too_few_seats", n=incident.subject_count, m=crew.seats))
    left = (crew.shift_ends_at - now).total_seconds() / 60
    if left < travel + incident.expected_minutes:
        total += params.shift_overrun_minutes
        notes.append(Reason("cost.shift_overrun", minutes=round(left)))
    return total, tuple(notes)


def _groups(
    incidents: Sequence[WaitingIncident], free: Sequence[CrewState], now: datetime, params: Params
) -> list[tuple[str, list[WaitingIncident]]]:
    """The order in which waiting incidents get crews, in groups planned together:
    1. cases a crew had to leave (handed over);
    2. incidents that can still be reached before their temu deadline but not for long (slack under
       `urgent_slack_minutes` from the nearest free crew), earliest deadline first, whatever their priority:
       the crew that saves one of them from being late goes there;
    3. the rest by priority (P1 before P2...), oldest first within each: a P1 already late still goes
       before a P3 with hours to spare."""
    handed = sorted((i for i in incidents if i.handover), key=lambda i: (i.priority, i.waiting_since, i.id))
    urgent: list[WaitingIncident] = []
    rest: list[WaitingIncident] = []
    for i in incidents:
        if i.handover:
            continue
        if i.arrive_by is not None and free:
            # From the nearest free crew that could take it (not one that lacks the van or declined it).
            need = needs(i)
            fits = [
                t
                for c in free
                if fit_refusal(i, need, c, t := travel_minutes(i, c, params), now, params) is None
            ]
            if not fits:
                rest.append(i)
                continue
            slack = (i.arrive_by - now).total_seconds() / 60 - min(fits) - params.setup_minutes
            if 0 <= slack < params.urgent_slack_minutes:
                urgent.append(i)
                continue
        rest.append(i)
    groups: list[tuple[str, list[WaitingIncident]]] = []
    if handed:
        groups.append((Reason("group.handover"), handed))
    if urgent:
        groups.append(
            (Reason("group.in_time"), sorted(urgent, key=lambda i: (i.arrive_by, i.priority, i.id)))
        )
    by_priority: dict[int, list[WaitingIncident]] = {}
    for i in sorted(rest, key=lambda i: (i.priority, i.waiting_since, i.id)):
        by_priority.setdefault(i.priority, []).append(i)
    groups += [(Reason("group.priority", p=p), g) for p, g in by_priority.items()]
    return groups


def _last_of_kind(free: Sequence[CrewState]) -> dict[str, frozenset[str]]:
    """Per free crew, the scarce skills and vehicle capabilities no other free crew has."""
    holders: dict[str, list[str]] = {}
    for crew in free:
        for have in (crew.skills & SCARCE_SKILLS) | (crew.vehicle & SCARCE_VEHICLE):
            holders.setdefault(have, []).append(crew.id)
    out: dict[str, set[str]] = {}
    for have, ids in holders.items():
        if len(ids) == 1:
            out.setdefault(ids[0], set()).add(have)
    return {crew_id: frozenset(haves) for crew_id, haves in out.items()}


def _assign(costs: np.ndarray) -> dict[int, int]:
    """Rows (incidents, most urgent first) to columns (crews) at minimal total cost, as many rows as the
    crews can serve and, when crews are fewer, the first rows before later ones: each matched row earns a
    bonus that dwarfs any cost, a little larger for earlier rows. So no crew stays idle while a row it
    could serve waits, and among as many matches the earlier rows win, then the cheaper plan."""
    rows = [r for r in range(costs.shape[0]) if (costs[r] < INFEASIBLE).any()]
    cols = [c for c in range(costs.shape[1]) if (costs[rows, c] < INFEASIBLE).any()] if rows else []
    if not rows or not cols:
        return {}
    sub = costs[np.ix_(rows, cols)]
    n = len(rows)
    bonus = np.array([MATCH_BONUS * (1 + (n - k) / n) for k in range(n)])[:, None]
    weighted = np.where(sub < INFEASIBLE, sub - bonus, INFEASIBLE)
    picked_rows, picked_cols = linear_sum_assignment(weighted)
    return {rows[r]: cols[c] for r, c in zip(picked_rows, picked_cols, strict=True) if sub[r, c] < INFEASIBLE}


def decide(
    incidents: Sequence[WaitingIncident],
    crews: Sequence[CrewState],
    now: datetime,
    params: Params | None = None,
    *,
    keep_candidates: int = 5,
) -> list[Decision]:
    """Assigns waiting incidents to free crews: one decision per incident; crew None when none fits now,
    with the reason (too few crews: it waits; all busy; nobody qualifies at all)."""
    params = params or Params()
    free = [c for c in crews if c.available]
    column = {c.id: n for n, c in enumerate(free)}
    female_on_duty = any(FEMALE_OFFICER in c.skills for c in free)
    last_of = _last_of_kind(free)
    decisions: list[Decision] = []
    taken: set[str] = set()
    for label, group in _groups(incidents, free, now, params):
        costs = np.full((len(group), len(free)), INFEASIBLE)
        cands: list[list[Candidate]] = []
        refused: list[dict[str, Refusal]] = []
        fit_if_free: list[int] = []
        for r, incident in enumerate(group):
            need = needs(incident)
            row: list[Candidate] = []
            why: dict[str, Refusal] = {}
            would_fit = 0
            for crew in crews:
                travel = travel_minutes(incident, crew, params)
                problem = fit_refusal(incident, need, crew, travel, now, params)
                if problem is None:
                    problem = state_refusal(crew)
                # Busy with a case or an offer, or at the end of its shift: it would do, were it free
                # (capacity, not a lack).
                would_fit += problem is not None and problem.code in reasons.CAPACITY
                if problem is not None:
                    why[crew.id] = problem
                    continue
                total, notes = cost(
                    incident,
                    need,
                    crew,
                    travel,
                    now,
                    params,
                    female_on_duty,
                    last_of.get(crew.id, frozenset()),
                )
                if crew.id not in taken:
                    costs[r, column[crew.id]] = total
                row.append(Candidate(crew.id, round(total, 1), round(travel, 1), notes))
            row.sort(key=lambda cand: cand.cost)
            cands.append(row)
            refused.append(why)
            fit_if_free.append(would_fit)
        # Oldest first when crews are fewer than the incidents that could use them; no crew left idle.
        assigned = _assign(costs)
        for r, incident in enumerate(group):
            top = tuple(cands[r][:keep_candidates])
            if r in assigned:
                crew = free[assigned[r]]
                taken.add(crew.id)
                chosen = next(cand for cand in cands[r] if cand.crew_id == crew.id)
                why_text = [
                    label,
                    Reason("chosen", crew=crew.name or crew.id, cost=chosen.cost, notes=chosen.notes),
                ]
                if top and top[0].crew_id != crew.id:
                    why_text.append(Reason("nearest_given_other", crew=top[0].crew_id))
                chosen_decision = Decision(
                    incident.id, crew.id, chosen.cost, tuple(why_text), top, refused[r]
                )
                decisions.append(chosen_decision)
                continue
            if cands[r]:
                waiting = WhyWaiting(reasons.WAITS_FOR_OTHERS, Reason("waits"))
            else:
                waiting = reasons.summarise(
                    refused[r], on_duty=len(crews), qualified_if_free=fit_if_free[r] + len(cands[r])
                )
            decisions.append(
                Decision(incident.id, None, None, (label, waiting.text), top, refused[r], waiting)
            )
    return decisions


def best_crew(
    incident: WaitingIncident, crews: Sequence[CrewState], now: datetime, params: Params | None = None
) -> Decision:
    """The decision for one incident alone (e.g. the next candidate after a decline)."""
    return decide([incident], crews, now, params)[0]


def closest_idle(
    incidents: Sequence[WaitingIncident],
    crews: Sequence[CrewState],
    now: datetime,
    params: Params | None = None,
) -> list[Decision]:
    """The usual rule, as a baseline: incidents in the order they came in, each to the nearest free crew
    that qualifies (hard constraints only, no penalties, no look at the other incidents)."""
    params = params or Params()
    taken: set[str] = set()
    out = []
    for incident in sorted(incidents, key=lambda i: (i.waiting_since, i.id)):
        need = needs(incident)
        best: tuple[float, CrewState] | None = None
        refused: dict[str, Refusal] = {}
        would_fit = 0
        for crew in crews:
            travel = travel_minutes(incident, crew, params)
            problem = fit_refusal(incident, need, crew, travel, now, params)
            if problem is None:
                problem = state_refusal(crew) or (
                    Refusal(reasons.BUSY, Reason("busy.given_other")) if crew.id in taken else None
                )
            would_fit += problem is not None and problem.code in reasons.CAPACITY
            if problem is not None:
                refused[crew.id] = problem
            elif best is None or travel < best[0]:
                best = (travel, crew)
        if best is None:
            waiting = reasons.summarise(refused, on_duty=len(crews), qualified_if_free=would_fit)
            out.append(
                Decision(
                    incident.id,
                    None,
                    None,
                    (Reason("group.closest_idle"), waiting.text),
                    (),
                    refused,
                    waiting,
                )
            )
            continue
        travel, crew = best
        taken.add(crew.id)
        cand = Candidate(
            crew.id, round(travel, 1), round(travel, 1), (Reason("cost.travel", minutes=round(travel)),)
        )
        why = (Reason("group.closest_idle"), Reason("chosen.closest_idle", crew=crew.name or crew.id))
        out.append(Decision(incident.id, crew.id, cand.cost, why, (cand,)))
    return out


POLICIES = {"engine": decide, "closest_idle": closest_idle}


@dataclass(frozen=True, slots=True)
class Job:
    """What a busy crew is doing, for diversions."""

    crew_id: str
    incident_id: str
    priority: int
    # dispatched or en_route: not yet with the person (only then may it be sent elsewhere)
    stage: str
    # The job's own temu deadline.
    arrive_by: datetime | None
    # Where the job is (to judge whether the crew can still reach it in time).
    location: Point | None = None
    # The job lost a crew to a diversion before: it keeps this one (nobody waits for ever).
    diverted_before: bool = False


@dataclass(frozen=True, slots=True)
class Diversion:
    incident_id: str
    crew_id: str
    from_incident_id: str
    travel_minutes: float
    reason: str


def _lost(job: Job, crew: CrewState, now: datetime, params: Params) -> bool:
    """The crew's own case will be reached after its temu deadline whatever happens now."""
    if job.arrive_by is None or job.location is None or crew.position is None:
        return False
    travel = haversine_km(job.location, crew.position) * params.road_factor / params.speed_kmh * 60
    return now + timedelta(minutes=travel) > job.arrive_by


def diversions(
    waiting: Sequence[WaitingIncident],
    crews: Sequence[CrewState],
    jobs: dict[str, Job],
    now: datetime,
    params: Params | None = None,
    *,
    min_slack_minutes: float = 60.0,
) -> list[Diversion]:
    """Incidents no free crew can take (the caller passes those waiting for capacity) go to a crew on its
    way to another case, when that crew is not yet with the person and either
    - the incident is a P1, the crew's case a P3 or P4 that can wait (its own temu deadline at least
      `min_slack_minutes` away), and the crew reaches the P1 within the time its temu target leaves or
      within `diversion_late_cap_minutes`, whichever is longer (a P1 reached a little late beats one left
      waiting); or
    - the crew's case is already lost (the crew cannot reach it before its temu deadline), it is not more
      urgent (its priority is the same or lower), it did not lose a crew so before (it keeps its second
      crew), and the crew reaches the incident in time (Params.rescue;
      Jagtenberg, Bhulai & van der Mei 2017: a crew serves best where it can still be in time).
    The case left goes back to the waiting list. Earliest deadline first (P1 first); each crew diverted once;
    the nearest crew that qualifies."""
    params = params or Params()
    # Per crew on its way to a case: may a P1 take it (a P3/P4 that can wait), may a case in time take it
    # (its own case lost, not robbed before)? Judged once, not per incident.
    open_to: list[tuple[CrewState, Job, bool, bool]] = []
    for crew in crews:
        job = jobs.get(crew.id)
        if job is None or job.stage not in ("dispatched", "en_route"):
            continue
        for_p1 = job.priority >= 3 and (
            job.arrive_by is None or (job.arrive_by - now).total_seconds() / 60 >= min_slack_minutes
        )
        lost = bool(params.rescue) and not job.diverted_before and _lost(job, crew, now, params)
        if for_p1 or lost:
            open_to.append((crew, job, for_p1, lost))
    taken: set[str] = set()
    out = []
    far = datetime.max.replace(tzinfo=now.tzinfo)
    for incident in sorted(
        waiting, key=lambda i: (i.priority > 1, i.arrive_by or far, i.waiting_since, i.id)
    ):
        if not open_to or incident.handover or (incident.priority != 1 and not params.rescue):
            continue
        need = needs(incident)
        left = (incident.arrive_by - now).total_seconds() / 60 if incident.arrive_by else None
        best: tuple[float, CrewState, Job, Reason] | None = None
        for crew, job, for_p1, lost in open_to:
            if crew.id in taken:
                continue
            travel = travel_minutes(incident, crew, params)
            if best is not None and travel >= best[0]:
                continue
            why: Reason | None = None
            if (
                for_p1
                and incident.priority == 1
                and travel <= max(left if left is not None else travel, params.diversion_late_cap_minutes)
            ):
                why = Reason("diverted.for_p1", p=job.priority)
            elif lost and left is not None and travel <= left and job.priority >= incident.priority:
                why = Reason("diverted.in_time", p=job.priority, q=incident.priority)
            if why is not None and fit_refusal(incident, need, crew, travel, now, params) is None:
                best = (travel, crew, job, why)
        if best is not None:
            travel, crew, job, chosen_why = best
            taken.add(crew.id)
            out.append(
                Diversion(
                    incident.id,
                    crew.id,
                    job.incident_id,
                    round(travel, 1),
                    Reason("diverted.travel", why=chosen_why, minutes=round(travel)),
                )
            )
    return out
