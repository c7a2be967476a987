"""Where a crew is chosen: the dispatch round of one kab/kota.

A round gathers the kab/kota's crews on duty and its waiting incidents (verified ones without an offer, and
open cases a crew had to leave), asks the engine (app/dispatch/engine.py) for the best plan of all of them
together, and writes offers, handovers and escalations. Rounds are not run inside the requests that make
them necessary: those mark the kab/kota due (locks.round_due) and the dispatcher of some worker runs the
round a moment later, so verifications arriving together are planned together, and a request never waits
for a plan. Anything that can free a crew or add work marks it due: a verification, a decline or expiry, a
crew free again or back in service, a shift starting or ending, a vehicle back in service.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock, metrics
from app.db import unit_of_work
from app.dispatch import engine, fourct, policy, reasons
from app.dispatch.crewflow import ACTIVE_OFFERS, ENGAGED, CrewStatus, OfferStatus, ReleaseReason
from app.dispatch.lifecycle import Stage, Status
from app.models import Crew, CrewMember, DispatchRegion, Incident, Offer, Personnel, Team, Vehicle
from app.models.base import utcnow
from app.services import events, timers
from app.services.access import in_region
from app.services.dispatch import engagements, locks
from app.services.incidents import move

log = logging.getLogger("tanggap.dispatch")
OPEN_CASE = (Status.dispatched, Status.en_route, Status.on_scene, Status.handling)


@dataclass
class RoundResult:
    offers: int = 0
    handovers: int = 0
    escalations: int = 0
    waiting: int = 0
    next_due: datetime | None = None
    decisions: list[engine.Decision] = field(default_factory=list)


async def crews_on_duty(session: AsyncSession, regency: str, now: datetime, *, lock: bool) -> list[Crew]:
    q = (
        select(Crew)
        .join(Team, Team.id == Crew.team_id)
        .where(
            Team.region_code == regency,
            Crew.shift_starts_at <= now,
            Crew.shift_ends_at > now,
            Crew.status != CrewStatus.off_shift,
        )
        .order_by(Crew.id)
    )
    if lock:
        q = q.with_for_update(of=Crew).execution_options(populate_existing=True)
    return list((await session.scalars(q)).all())


async def crew_states(
    session: AsyncSession, crews: Sequence[Crew], busy: dict[uuid.UUID, uuid.UUID]
) -> list[engine.CrewState]:
    """What the engine needs to know of each crew: skills of its active members, its vehicle in service,
    the seats left beside the crew, what it is busy with."""
    ids = [c.id for c in crews]
    skills: dict[uuid.UUID, set[str]] = defaultdict(set)
    members: dict[uuid.UUID, int] = defaultdict(int)
    for crew_id, person_skills in await session.execute(
        select(CrewMember.crew_id, Personnel.skills)
        .join(Personnel, Personnel.id == CrewMember.personnel_id)
        .where(CrewMember.crew_id.in_(ids), Personnel.active)
    ):
        skills[crew_id].update(person_skills)
        members[crew_id] += 1
    vehicles = {
        v.id: v
        for v in await session.scalars(
            select(Vehicle).where(Vehicle.id.in_([c.vehicle_id for c in crews if c.vehicle_id]))
        )
    }
    states = []
    for c in crews:
        vehicle = vehicles.get(c.vehicle_id) if c.vehicle_id else None
        usable = vehicle is not None and vehicle.in_service
        states.append(
            engine.CrewState(
                id=str(c.id),
                name=c.name,
                status=c.status,
                coverage=tuple(c.coverage),
                shift_ends_at=c.shift_ends_at,
                position=engine.Point(c.last_lat, c.last_lon)
                if c.last_lat is not None and c.last_lon is not None
                else None,
                skills=frozenset(skills[c.id]),
                vehicle=frozenset(vehicle.capabilities) if vehicle and usable else frozenset(),
                seats=max(vehicle.seats - members[c.id], 0) if vehicle and usable else None,
                busy_with=str(busy[c.id]) if c.id in busy else None,
            )
        )
    return states


async def _busy(session: AsyncSession, crew_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = await session.execute(
        select(Offer.crew_id, Offer.incident_id).where(
            Offer.crew_id.in_(crew_ids), Offer.status.in_(ACTIVE_OFFERS)
        )
    )
    return dict(rows.all())


async def _waiting(session: AsyncSession, regency: str) -> list[Incident]:
    """Verified incidents without an offer, and open cases without a crew (to hand over); locked in id
    order (the lock order: crews, then incidents)."""
    engaged = exists().where(Offer.incident_id == Incident.id, Offer.status.in_(ACTIVE_OFFERS))
    # An open case without a crew waits for one when a crew had it before (handed over, out of service, or
    # reopened after its crew finished); moved by hand with no crew ever, someone was sent outside Tanggap.
    left = exists().where(Offer.incident_id == Incident.id, Offer.status == OfferStatus.released)
    q = (
        select(Incident)
        .where(
            or_(Incident.status == Status.verified, and_(Incident.status.in_(OPEN_CASE), left)),
            in_region(Incident.region_code, regency),
            ~engaged,
        )
        .order_by(Incident.id)
        .with_for_update(of=Incident)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(q)).all())


async def _refused_lately(
    session: AsyncSession, incidents: list[Incident], now: datetime
) -> dict[uuid.UUID, dict[str, datetime]]:
    """Per incident, the crews that declined it (or did not answer its offer) lately, and until when they
    are not asked again (policy.reoffer_after)."""
    out: dict[uuid.UUID, dict[str, datetime]] = defaultdict(dict)
    priority = {i.id: i.priority for i in incidents}
    for incident_id, crew_id, status, at in await session.execute(
        select(Offer.incident_id, Offer.crew_id, Offer.status, Offer.responded_at).where(
            Offer.incident_id.in_(list(priority)),
            Offer.status.in_([OfferStatus.declined, OfferStatus.expired]),
            Offer.responded_at > now - policy.REOFFER_AFTER,
        )
    ):
        if at is None:
            continue
        until = at + policy.reoffer_after(priority[incident_id], unanswered=status == OfferStatus.expired)
        if until > now:
            out[incident_id][str(crew_id)] = max(until, out[incident_id].get(str(crew_id), until))
    return out


async def _left_by(session: AsyncSession, incidents: list[Incident]) -> dict[uuid.UUID, Crew]:
    """For cases to hand over: the crew that had them last."""
    ids = [i.id for i in incidents if i.status != Status.verified]
    if not ids:
        return {}
    last = (
        select(Offer.incident_id, func.max(Offer.released_at).label("at"))
        .where(Offer.incident_id.in_(ids), Offer.status == OfferStatus.released)
        .group_by(Offer.incident_id)
        .subquery()
    )
    rows = await session.execute(
        select(Offer.incident_id, Crew)
        .join(last, and_(last.c.incident_id == Offer.incident_id, last.c.at == Offer.released_at))
        .join(Crew, Crew.id == Offer.crew_id)
    )
    return dict(rows.all())


def waiting_state(i: Incident, refused: dict[str, datetime]) -> engine.WaitingIncident:
    temu = fourct.deadlines(i.priority, i.first_received_at, timers.targets_for(i.region_code))[Stage.temu]
    return engine.WaitingIncident(
        id=str(i.id),
        priority=i.priority,
        waiting_since=i.first_received_at,
        category=i.category,
        region_code=i.region_code,
        location=engine.Point(i.lat, i.lon) if i.lat is not None and i.lon is not None else None,
        flags=frozenset(i.subject_flags),
        subject_sex=i.subject_sex,
        subject_count=i.subject_count,
        expected_minutes=policy.expected_minutes(i.category),
        excluded_crews=frozenset(refused),
        arrive_by=temu if i.found_at is None else None,
        handover=i.status != Status.verified,
    )


def explain(d: engine.Decision) -> dict[str, Any]:
    return {
        "reasons": list(d.reasons),
        # The same with their codes and values, for the console's translations (app/dispatch/reasons.py).
        "reasons_why": reasons.data_of(d.reasons),
        "candidates": [
            {
                "crew_id": c.crew_id,
                "cost_min": c.cost,
                "travel_min": c.travel_minutes,
                "notes": list(c.notes),
                "notes_why": reasons.data_of(c.notes),
            }
            for c in d.candidates
        ],
        "refusals": {crew: r.as_dict() for crew, r in d.refusals.items()},
    }


async def run_round(
    session: AsyncSession, regency: str, now: datetime, *, policy_name: str = "engine"
) -> RoundResult:
    """One round for a kab/kota whose dispatch lock the caller holds."""
    result = RoundResult()
    # Written at once (not through the ORM): the round makes its next one due below, with SQL of its own.
    await session.execute(
        update(DispatchRegion)
        .where(DispatchRegion.region_code == regency)
        .values(due_at=None, last_round_at=now)
        .execution_options(synchronize_session=False)
    )
    crews = await crews_on_duty(session, regency, now, lock=True)
    busy = await _busy(session, [c.id for c in crews])
    _heal(session, crews, busy, regency, now)
    waiting = await _waiting(session, regency)
    result.waiting = len(waiting)
    if not waiting:
        return result
    refused = await _refused_lately(session, waiting, now)
    left_by = await _left_by(session, waiting)
    by_id = {str(i.id): i for i in waiting}
    crews_by_id = {str(c.id): c for c in crews}
    decide = engine.POLICIES[policy_name]
    decisions = decide(
        [waiting_state(i, refused[i.id]) for i in waiting], await crew_states(session, crews, busy), now
    )
    result.decisions = decisions
    diverted: set[str] = set()
    if policy_name == "engine":
        diverted = await _divert(session, decisions, waiting, refused, crews, busy, now)
        result.handovers += len(diverted)
    nobody: list[Incident] = []
    due: list[datetime] = [now + policy.ROUND_DELAY] if diverted else []
    for d in decisions:
        if d.incident_id in diverted:
            continue
        incident = by_id[d.incident_id]
        explained = explain(d)
        if d.crew_id is not None:
            crew = crews_by_id[d.crew_id]
            if incident.status == Status.verified:
                made = engagements.offer(session, incident, crew, now, explained)
                await engagements.announce_offer(session, made, crew, incident)
                result.offers += 1
                if incident.dispatch_attempts > policy.ESCALATE_AFTER_OFFERS:
                    why = reasons.offers_not_taken(incident.dispatch_attempts - 1)
                    if engagements.escalate(
                        session, incident, now, code=why.code, reason=why.text, details=explained
                    ):
                        result.escalations += 1
                        await engagements.announce_escalation(session, incident, why.text)
            else:
                await _hand_over(session, incident, crew, left_by.get(incident.id), now, explained)
                result.handovers += 1
            continue
        assert d.why is not None
        due += [now + policy.ROUND_EVERY_WHILE_WAITING]
        due += list(refused[incident.id].values())
        waited = now - (incident.verified_at or incident.first_received_at)
        patience = (
            policy.ESCALATE_WHEN_BUSY[incident.priority]
            if incident.status == Status.verified
            else timedelta(0)
        )
        capacity = d.why.code in (reasons.ALL_BUSY, reasons.WAITS_FOR_OTHERS)
        code, text = d.why.code, d.why.text
        if incident.dispatch_attempts >= policy.ESCALATE_AFTER_OFFERS:
            code, text = (
                reasons.OFFERS_NOT_TAKEN,
                reasons.several(reasons.offers_not_taken(incident.dispatch_attempts).text, text),
            )
        elif capacity and waited < patience:
            due.append(now + (patience - waited))
            continue
        if incident.status != Status.verified:
            text = reasons.Reason("handover.waits", why=text)
        if engagements.escalate(session, incident, now, code=code, reason=text, details=explained):
            result.escalations += 1
            await engagements.announce_escalation(session, incident, text)
        nobody.append(incident)
    if nobody:
        result.offers += await _mutual_aid(session, regency, nobody, refused, left_by, now, policy_name)
    if not due:
        return result
    result.next_due = max(min(due), now + policy.ROUND_DELAY)
    await locks.round_due(session, regency, at=result.next_due)
    return result


async def _divert(
    session: AsyncSession,
    decisions: list[engine.Decision],
    waiting: list[Incident],
    refused: dict[uuid.UUID, dict[str, datetime]],
    crews: list[Crew],
    busy: dict[uuid.UUID, uuid.UUID],
    now: datetime,
) -> set[str]:
    """Incidents no free crew can take: a crew on its way to another case is sent on to one of them instead
    (the engine's `diversions`: a P1 takes a crew from a P3/P4 case that can wait; a case that can still be
    reached in time takes a crew from one it can no longer reach in time), and the case left waits for the
    next crew. Returns the incidents so served."""
    capacity = (reasons.ALL_BUSY, reasons.WAITS_FOR_OTHERS)
    stuck = {
        d.incident_id for d in decisions if d.crew_id is None and d.why is not None and d.why.code in capacity
    }
    takers = [i for i in waiting if str(i.id) in stuck and i.status == Status.verified]
    if not takers:
        return set()
    jobs_of = dict(busy)
    rows = (
        await session.execute(
            select(Offer, Incident)
            .join(Incident, Incident.id == Offer.incident_id)
            .where(Offer.crew_id.in_(list(jobs_of)), Offer.status == OfferStatus.accepted)
        )
    ).all()
    # Cases that lost a crew to a diversion before keep the one they have.
    diverted_before = set(
        (
            await session.scalars(
                select(Offer.incident_id).where(
                    Offer.incident_id.in_([incident.id for _, incident in rows]),
                    Offer.release_reason == ReleaseReason.diverted,
                )
            )
        ).all()
    )
    jobs = {}
    for offer, incident in rows:
        if not locks.holds(session, incident.region_code):
            continue  # a neighbour's case taken as mutual aid stays with its crew
        temu = fourct.deadlines(
            incident.priority, incident.first_received_at, timers.targets_for(incident.region_code)
        )
        jobs[str(offer.crew_id)] = engine.Job(
            str(offer.crew_id),
            str(incident.id),
            incident.priority,
            incident.status,
            temu[Stage.temu] if incident.found_at is None else None,
            engine.Point(incident.lat, incident.lon)
            if incident.lat is not None and incident.lon is not None
            else None,
            incident.id in diverted_before,
        )
    plan = engine.diversions(
        [waiting_state(i, refused[i.id]) for i in takers],
        await crew_states(session, [c for c in crews if str(c.id) in jobs], {}),
        jobs,
        now,
    )
    by_crew = {str(c.id): c for c in crews}
    by_incident = {str(i.id): i for i in takers}
    served: set[str] = set()
    for d in plan:
        crew, target = by_crew[d.crew_id], by_incident[d.incident_id]
        lesser = await engagements.locked_incident(session, uuid.UUID(d.from_incident_id))
        job = await engagements.active_offer_of_crew(session, crew.id, lock=True)
        if (
            lesser is None
            or job is None
            or job.status != OfferStatus.accepted
            or lesser.status
            not in (
                Status.dispatched,
                Status.en_route,
            )
        ):
            continue
        engagements.release(
            session, None, job, crew, lesser, now, reason=ReleaseReason.diverted, note=d.reason
        )
        move(
            session,
            events.SYSTEM,
            lesser,
            Status.verified,
            reason=reasons.Reason("diverted.crew", crew=crew.name, why=d.reason),
        )
        await session.flush()  # the release first: one active offer per crew
        made = engagements.assign(
            session,
            None,
            target,
            crew,
            now,
            source="engine",
            decision={
                "reasons": [d.reason],
                "reasons_why": reasons.data_of([d.reason]),
                "diverted_from": d.from_incident_id,
                "travel_min": d.travel_minutes,
            },
        )
        move(session, events.SYSTEM, target, Status.dispatched, reason=d.reason, crew_id=crew.id)
        events.record(
            session,
            "incident.diverted",
            actor=events.SYSTEM,
            incident_id=target.id,
            crew_id=crew.id,
            region_code=target.region_code,
            data={
                "offer_id": str(made.id),
                "crew": crew.name,
                "from_incident_id": d.from_incident_id,
                "reason": d.reason,
                "reason_why": reasons.data(d.reason),
                "incident": engagements.incident_brief(target),
            },
        )
        await engagements.announce_assignment(
            session, made, crew, target, reasons.Reason("diverted.to", p=target.priority)
        )
        served.add(d.incident_id)
    return served


def _heal(
    session: AsyncSession, crews: list[Crew], busy: dict[uuid.UUID, uuid.UUID], regency: str, now: datetime
) -> None:
    """A crew marked busy without an active offer (data written before the invariant) is free."""
    for crew in crews:
        if crew.id not in busy and crew.status in (CrewStatus.offered, *ENGAGED):
            log.warning("crew %s was %s without a job; now available", crew.id, crew.status)
            events.record(
                session,
                "crew.status_changed",
                actor=events.SYSTEM,
                crew_id=crew.id,
                region_code=regency,
                data={**events.change(crew.status, CrewStatus.available), "reason": "tanpa tugas aktif"},
            )
            crew.status, crew.status_at = CrewStatus.available, now


async def _hand_over(
    session: AsyncSession,
    incident: Incident,
    crew: Crew,
    previous: Crew | None,
    now: datetime,
    explained: dict[str, Any],
) -> None:
    made = engagements.assign(session, None, incident, crew, now, source="handover", decision=explained)
    await engagements.announce_assignment(session, made, crew, incident, "alih tugas")
    note = reasons.Reason(
        "handover.from",
        crew=previous.name if previous else reasons.Reason("handover.previous"),
        status=str(incident.status),
    )
    events.record(
        session,
        "incident.handed_over",
        actor=events.SYSTEM,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={
            "offer_id": str(made.id),
            "from_crew_id": str(previous.id) if previous else None,
            "from_crew": previous.name if previous else None,
            "to_crew": crew.name,
            **reasons.why("note", note),
            "note": note,
            "incident": engagements.incident_brief(incident),
            **explained,
        },
    )


async def _mutual_aid(
    session: AsyncSession,
    regency: str,
    incidents: list[Incident],
    refused: dict[uuid.UUID, dict[str, datetime]],
    left_by: dict[uuid.UUID, Crew],
    now: datetime,
    policy_name: str,
) -> int:
    """Escalated incidents no crew of the kab/kota can take are offered to free crews of the other teams of
    the province, as if the kab/kota were in their coverage. Their kab/kota locks are taken with SKIP
    LOCKED: one that is dispatching right now is not waited for (nor ever booked twice)."""
    province = regency.split(".")[0]
    neighbours = list(
        (
            await session.scalars(
                select(Team.region_code)
                .where(
                    Team.region_code != regency, Team.region_code.startswith(province + ".", autoescape=True)
                )
                .distinct()
            )
        ).all()
    )
    got = await locks.try_hold(session, neighbours)
    if not got:
        return 0
    rows = list(
        (
            await session.execute(
                select(Crew, Team)
                .join(Team, Team.id == Crew.team_id)
                .where(
                    Team.region_code.in_(got),
                    Crew.shift_starts_at <= now,
                    Crew.shift_ends_at > now,
                    Crew.status == CrewStatus.available,
                )
                .order_by(Crew.id)
                .with_for_update(of=Crew)
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    busy = await _busy(session, [crew.id for crew, _ in rows])
    free = [(crew, team) for crew, team in rows if crew.id not in busy]
    if not free:
        return 0
    teams = {crew.id: team for crew, team in free}
    helpers = [crew for crew, _ in free]
    states = [
        dataclasses.replace(state, coverage=(*state.coverage, regency))
        for state in await crew_states(session, helpers, {})
    ]
    by_id = {str(i.id): i for i in incidents}
    crews_by_id = {str(c.id): c for c in helpers}
    made = 0
    for d in engine.POLICIES[policy_name]([waiting_state(i, refused[i.id]) for i in incidents], states, now):
        if d.crew_id is None:
            continue
        crew, incident = crews_by_id[d.crew_id], by_id[d.incident_id]
        explained = {
            **explain(d),
            "mutual_aid": {"team": teams[crew.id].name, "region": teams[crew.id].region_code},
        }
        if incident.status == Status.verified:
            offered = engagements.offer(session, incident, crew, now, explained)
            await engagements.announce_offer(session, offered, crew, incident)
        else:
            await _hand_over(session, incident, crew, left_by.get(incident.id), now, explained)
        made += 1
    return made


# ---- the dispatcher: runs the rounds that are due, in every worker --------------------------------------


async def run_due(
    maker: async_sessionmaker[AsyncSession], *, now: datetime | None = None, policy_name: str = "engine"
) -> int:
    """Runs every round that is due (each in its own transaction); returns how many ran. Several workers may
    call it at once: the kab/kota lock lets one run a round, and the other finds it no longer due."""
    when = now or utcnow()
    async with maker() as session:
        due = list(
            (
                await session.scalars(
                    select(DispatchRegion.region_code)
                    .where(DispatchRegion.due_at <= when)
                    .order_by(DispatchRegion.due_at)
                    .limit(100)
                )
            ).all()
        )
    ran = 0
    for regency in due:
        try:
            started = time.perf_counter()
            async with unit_of_work(maker) as session:
                await locks.hold(session, regency)
                region = await session.get(DispatchRegion, regency, populate_existing=True)
                if region is None or region.due_at is None or region.due_at > when:
                    continue
                await run_round(session, regency, now or utcnow(), policy_name=policy_name)
                ran += 1
            metrics.DISPATCH_ROUNDS.observe(time.perf_counter() - started)
        except Exception:  # one kab/kota failing does not hold up the others; it is tried again later
            log.exception("dispatch round of %s failed", regency)
            await _postpone(maker, regency)
    return ran


async def _postpone(maker: async_sessionmaker[AsyncSession], regency: str) -> None:
    with contextlib.suppress(Exception):
        async with unit_of_work(maker) as session:
            await locks.hold(session, regency)
            await locks.round_due(session, regency, at=utcnow() + policy.ROUND_EVERY_WHILE_WAITING)


async def mark_all_due(maker: async_sessionmaker[AsyncSession]) -> None:
    """At start-up: every kab/kota with a team gets a round (what waited while no worker ran, or was
    written before this version, is offered)."""
    async with maker() as session:
        regions = sorted(set((await session.scalars(select(Team.region_code))).all()))
    for regency in regions:
        async with unit_of_work(maker) as session:
            await locks.hold(session, regency)
            await locks.round_due(session, regency, at=utcnow())


async def next_due(maker: async_sessionmaker[AsyncSession]) -> datetime | None:
    async with maker() as session:
        return await session.scalar(select(func.min(DispatchRegion.due_at)))


class Dispatcher:
    """The per-worker loop: wakes when this worker made a round due (app/db.py calls `wake`), and polls
    for rounds other workers or the clock made due."""

    def __init__(
        self, maker: async_sessionmaker[AsyncSession], *, poll_seconds: float, policy_name: str
    ) -> None:
        self.maker = maker
        self.poll_seconds = poll_seconds
        self.policy_name = policy_name
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        with contextlib.suppress(Exception):
            await mark_all_due(self.maker)
        while not stop.is_set():
            self._wake.clear()
            wait = self.poll_seconds
            try:
                await run_due(self.maker, policy_name=self.policy_name)
                upcoming = await next_due(self.maker)
                if upcoming is not None:
                    ahead = clock.real_seconds((upcoming - utcnow()).total_seconds())
                    wait = min(max(ahead, 0.0), self.poll_seconds)
            except Exception:  # the next pass tries again: the due times are rows
                log.exception("dispatch round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
