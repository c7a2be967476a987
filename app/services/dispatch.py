"""Where a crew is chosen: gathers waiting incidents and crews on duty, asks the engine
(app/dispatch/engine.py), and writes offers, escalations and their events. Runs under a lock on the region's
crews, so two concurrent dispatches never book one crew twice."""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import engine
from app.dispatch.lifecycle import OPEN_STATUSES, Status
from app.errors import Conflict, Forbidden, NotFound
from app.models import Crew, CrewMember, Incident, Offer, Personnel, Referral, Role, Team, Vehicle
from app.models.base import utcnow
from app.schemas.agencies import AnswerIn
from app.schemas.crews import StatusIn
from app.schemas.incidents import TransitionIn
from app.services import crews, events, referrals
from app.services import incidents as incident_service
from app.services.access import Principal, in_region
from app.services.incidents import move

OFFER_SECONDS = {1: 60, 2: 120, 3: 300, 4: 600}
MAX_ATTEMPTS = 3
# Expected handling time by category, minutes (the engine avoids crews whose shift ends sooner).
EXPECTED_MINUTES = {"ODGJ": 120, "PASUNG": 180, "JENAZAH": 180, "KBA": 240}


async def verify(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, note: str | None
) -> Incident:
    """Verifies an incident and, in the same transaction, offers it to a crew (or escalates it)."""
    incident = await incident_service.verify(session, principal, incident_id, note)
    await session.flush()
    await referrals.route(session, principal, incident)
    await run(session, principal, regency_of(incident.region_code))
    return incident


async def answer_referral(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, body: AnswerIn
) -> Referral:
    """An agency's answer to a referral; when it resolves the incident, the crew is released as after any
    other resolution."""
    referral, incident, resolved = await referrals.answer(session, principal, referral_id, body)
    if resolved:
        await _crew_follows(session, principal, incident)
    return referral


def regency_of(region_code: str) -> str:
    return ".".join(region_code.split(".")[:2])


async def _crews_on_duty(session: AsyncSession, regency: str, now: datetime) -> list[Crew]:
    """The regency's crews on shift now, locked: whoever holds them is the only dispatcher there."""
    q = (
        select(Crew)
        .join(Team, Team.id == Crew.team_id)
        .where(Team.region_code == regency, Crew.shift_starts_at <= now, Crew.shift_ends_at > now)
        .order_by(Crew.id)
        .with_for_update(of=Crew)
    )
    return list((await session.scalars(q)).all())


async def _crew_states(session: AsyncSession, crews: list[Crew]) -> list[engine.CrewState]:
    ids = [c.id for c in crews]
    skills: dict[uuid.UUID, set[str]] = defaultdict(set)
    for crew_id, person_skills in await session.execute(
        select(CrewMember.crew_id, Personnel.skills)
        .join(Personnel, Personnel.id == CrewMember.personnel_id)
        .where(CrewMember.crew_id.in_(ids), Personnel.active)
    ):
        skills[crew_id].update(person_skills)
    vehicles = {
        v.id: v
        for v in await session.scalars(
            select(Vehicle).where(Vehicle.id.in_([c.vehicle_id for c in crews if c.vehicle_id]))
        )
    }
    open_cases: dict[uuid.UUID, int] = {
        crew_id: n
        for crew_id, n in await session.execute(
            select(Incident.assigned_crew_id, func.count())
            .where(Incident.assigned_crew_id.in_(ids), Incident.status.in_(list(OPEN_STATUSES)))
            .group_by(Incident.assigned_crew_id)
        )
        if crew_id is not None
    }
    states = []
    for c in crews:
        vehicle = vehicles.get(c.vehicle_id) if c.vehicle_id else None
        states.append(
            engine.CrewState(
                id=str(c.id),
                available=c.status == "available",
                coverage=tuple(c.coverage),
                shift_ends_at=c.shift_ends_at,
                position=engine.Point(c.last_lat, c.last_lon)
                if c.last_lat is not None and c.last_lon is not None
                else None,
                skills=frozenset(skills[c.id]),
                vehicle=frozenset(vehicle.capabilities) if vehicle and vehicle.in_service else frozenset(),
                open_cases=open_cases.get(c.id, 0),
            )
        )
    return states


async def _waiting(session: AsyncSession, regency: str) -> list[Incident]:
    pending = select(Offer.incident_id).where(Offer.status == "pending")
    q = (
        select(Incident)
        .where(
            Incident.status == Status.verified,
            Incident.assigned_crew_id.is_(None),
            in_region(Incident.region_code, regency),
            Incident.id.not_in(pending),
        )
        .order_by(Incident.priority, Incident.first_received_at)
        .with_for_update()
    )
    return list((await session.scalars(q)).all())


async def run(session: AsyncSession, actor: Principal | None, regency: str) -> list[Offer]:
    """One dispatch round for a kab/kota: offers for every waiting incident a crew can take now."""
    now = utcnow()
    crews = await _crews_on_duty(session, regency, now)
    waiting = await _waiting(session, regency)
    if not waiting:
        return []
    excluded: dict[uuid.UUID, set[str]] = defaultdict(set)
    for incident_id, crew_id in await session.execute(
        select(Offer.incident_id, Offer.crew_id).where(
            Offer.incident_id.in_([i.id for i in waiting]), Offer.status.in_(["declined", "expired"])
        )
    ):
        excluded[incident_id].add(str(crew_id))
    by_id = {str(i.id): i for i in waiting}
    crews_by_id = {str(c.id): c for c in crews}
    decisions = engine.decide(
        [_waiting_state(i, excluded[i.id]) for i in waiting],
        await _crew_states(session, crews),
        now,
    )
    offers = []
    nobody: list[Incident] = []
    for d in decisions:
        incident = by_id[d.incident_id]
        explained = _explain(d)
        if d.crew_id is not None and incident.dispatch_attempts < MAX_ATTEMPTS:
            crew = crews_by_id[d.crew_id]
            offers.append(_offer(session, actor, incident, crew, now, explained))
        elif d.crew_id is None and not d.candidates:
            why = "no crew on duty" if not crews else "no crew on duty qualifies"
            _escalate(session, actor, incident, why, explained)
            nobody.append(incident)
        elif incident.dispatch_attempts >= MAX_ATTEMPTS:
            _escalate(session, actor, incident, f"{incident.dispatch_attempts} offers not taken", explained)
    if nobody:
        offers += await _mutual_aid(session, actor, regency, nobody, excluded, now)
    return offers


async def _mutual_aid(
    session: AsyncSession,
    actor: Principal | None,
    regency: str,
    incidents: list[Incident],
    excluded: dict[uuid.UUID, set[str]],
    now: datetime,
) -> list[Offer]:
    """Escalated incidents no crew of the kab/kota can take are offered to free crews of the other teams of
    the province, as if the kab/kota were in their coverage. Their crews are locked with SKIP LOCKED: a crew
    its own region is dispatching right now is not waited for (nor ever booked twice)."""
    province = regency.split(".")[0]
    q = (
        select(Crew, Team)
        .join(Team, Team.id == Crew.team_id)
        .where(
            Team.region_code != regency,
            Team.region_code.startswith(province + ".", autoescape=True),
            Crew.shift_starts_at <= now,
            Crew.shift_ends_at > now,
            Crew.status == "available",
        )
        .order_by(Crew.id)
        .with_for_update(of=Crew, skip_locked=True)
    )
    rows = list((await session.execute(q)).all())
    if not rows:
        return []
    teams = {crew.id: team for crew, team in rows}
    neighbours = [crew for crew, _ in rows]
    states = [
        dataclasses.replace(state, coverage=(*state.coverage, regency))
        for state in await _crew_states(session, neighbours)
    ]
    by_id = {str(i.id): i for i in incidents}
    crews_by_id = {str(c.id): c for c in neighbours}
    decisions = engine.decide(
        [_waiting_state(i, excluded[i.id]) for i in incidents],
        states,
        now,
    )
    offers = []
    for d in decisions:
        if d.crew_id is None or by_id[d.incident_id].dispatch_attempts >= MAX_ATTEMPTS:
            continue
        crew = crews_by_id[d.crew_id]
        explained = {
            **_explain(d),
            "mutual_aid": {"team": teams[crew.id].name, "region": teams[crew.id].region_code},
        }
        offers.append(_offer(session, actor, by_id[d.incident_id], crew, now, explained))
    return offers


def _waiting_state(i: Incident, excluded: set[str]) -> engine.WaitingIncident:
    return engine.WaitingIncident(
        id=str(i.id),
        priority=i.priority,
        waiting_since=i.first_received_at,
        category=i.category,
        region_code=i.region_code,
        location=engine.Point(i.lat, i.lon) if i.lat is not None and i.lon is not None else None,
        flags=frozenset(i.subject_flags),
        expected_minutes=EXPECTED_MINUTES.get(i.category, 60),
        excluded_crews=frozenset(excluded),
    )


def _explain(d: engine.Decision) -> dict[str, Any]:
    return {
        "reasons": list(d.reasons),
        "candidates": [
            {"crew_id": c.crew_id, "cost_min": c.cost, "travel_min": c.travel_minutes, "notes": list(c.notes)}
            for c in d.candidates
        ],
        "refusals": d.refusals,
    }


def _offer(
    session: AsyncSession,
    actor: Principal | None,
    incident: Incident,
    crew: Crew,
    now: datetime,
    decision: dict[str, Any],
    *,
    source: str = "engine",
) -> Offer:
    incident.dispatch_attempts += 1
    offer = Offer(
        id=uuid.uuid4(),
        incident_id=incident.id,
        crew_id=crew.id,
        attempt=incident.dispatch_attempts,
        offered_at=now,
        expires_at=now + timedelta(seconds=OFFER_SECONDS[incident.priority]),
        source=source,
        decision=decision,
    )
    session.add(offer)
    crew.status, crew.status_at = "offered", now
    events.record(
        session,
        "offer.made",
        actor=actor,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={
            "offer_id": str(offer.id),
            "crew": crew.name,
            "attempt": offer.attempt,
            "expires_at": offer.expires_at.isoformat(),
            **decision,
        },
    )
    return offer


def _escalate(
    session: AsyncSession, actor: Principal | None, incident: Incident, why: str, decision: dict[str, Any]
) -> None:
    """Flags the incident for the supervisors once; the engine keeps offering it when a crew frees up."""
    if incident.escalated_at is not None:
        return
    incident.escalated_at = utcnow()
    events.record(
        session,
        "incident.escalated",
        actor=actor,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={"reason": why, **decision},
    )


async def _locked_offer(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID
) -> tuple[Offer, Crew]:
    offer = await session.scalar(select(Offer).where(Offer.id == offer_id).with_for_update())
    crew = await session.get(Crew, offer.crew_id) if offer else None
    if offer is None or crew is None:
        raise NotFound(f"offer {offer_id} not found")
    if not await crews.acts_for(session, principal, crew.id):
        if principal.role == Role.crew:
            raise NotFound(f"offer {offer_id} not found")
        raise Forbidden(f"role {principal.role} does not answer offers")
    incident = await session.get(Incident, offer.incident_id)
    # A crew member answers his crew's offers wherever the incident is (mutual aid across kab/kota).
    if incident is None or not (principal.sees_region(incident.region_code) or principal.role == Role.crew):
        raise NotFound(f"offer {offer_id} not found")
    if offer.status != "pending":
        raise Conflict(f"the offer is {offer.status}", current_status=offer.status)
    if offer.expires_at <= utcnow():
        raise Conflict("the offer has expired", current_status="expired")
    return offer, crew


async def accept(session: AsyncSession, principal: Principal, offer_id: uuid.UUID) -> Offer:
    offer, crew = await _locked_offer(session, principal, offer_id)
    incident = await session.scalar(
        select(Incident).where(Incident.id == offer.incident_id).with_for_update()
    )
    assert incident is not None
    now = utcnow()
    offer.status, offer.responded_at = "accepted", now
    crew.status, crew.status_at = "dispatched", now
    incident.assigned_crew_id = crew.id
    events.record(
        session,
        "offer.accepted",
        actor=principal,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={"offer_id": str(offer.id), "crew": crew.name},
    )
    move(
        session,
        principal,
        incident,
        Status.dispatched,
        reason=f"accepted by {crew.name}",
        extra={"crew_id": str(crew.id)},
    )
    return offer


async def decline(session: AsyncSession, principal: Principal, offer_id: uuid.UUID, reason: str) -> Offer:
    offer, crew = await _locked_offer(session, principal, offer_id)
    incident = await session.get(Incident, offer.incident_id)
    assert incident is not None
    now = utcnow()
    offer.status, offer.responded_at, offer.decline_reason = "declined", now, reason
    crew.status, crew.status_at = "available", now
    events.record(
        session,
        "offer.declined",
        actor=principal,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={"offer_id": str(offer.id), "crew": crew.name, "reason": reason},
    )
    await session.flush()
    await run(session, principal, regency_of(incident.region_code))
    return offer


async def expire_due(session: AsyncSession, now: datetime, *, limit: int = 100) -> int:
    """Expires pending offers past their deadline and offers the incidents on. SKIP LOCKED: several workers
    may run this at once and never handle one offer twice."""
    due = (
        await session.scalars(
            select(Offer)
            .where(Offer.status == "pending", Offer.expires_at <= now)
            .order_by(Offer.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    regencies: set[str] = set()
    for offer in due:
        offer.status, offer.responded_at = "expired", now
        crew = await session.get(Crew, offer.crew_id)
        incident = await session.get(Incident, offer.incident_id)
        assert crew is not None and incident is not None
        if crew.status == "offered":
            crew.status, crew.status_at = "available", now
        events.record(
            session,
            "offer.expired",
            actor=None,
            incident_id=incident.id,
            crew_id=crew.id,
            region_code=incident.region_code,
            data={"offer_id": str(offer.id), "crew": crew.name},
        )
        regencies.add(regency_of(incident.region_code))
    if due:
        await session.flush()
    for regency in sorted(regencies):
        await run(session, None, regency)
    return len(due)


async def escalations(session: AsyncSession, principal: Principal) -> list[Incident]:
    q = (
        select(Incident)
        .where(
            Incident.escalated_at.is_not(None),
            Incident.assigned_crew_id.is_(None),
            Incident.status.in_(list(OPEN_STATUSES)),
        )
        .order_by(Incident.priority, Incident.escalated_at)
    )
    if principal.region_code:
        q = q.where(in_region(Incident.region_code, principal.region_code))
    return list((await session.scalars(q)).all())


async def dispatch_manually(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, crew_id: uuid.UUID, reason: str
) -> Incident:
    """An operator's or supervisor's choice, which always wins over the engine: pending offers are withdrawn,
    a crew already assigned is released, and the chosen crew is dispatched at once."""
    if principal.role not in (Role.admin, Role.supervisor, Role.operator):
        raise Forbidden(f"role {principal.role} may not dispatch")
    incident = await session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())
    if incident is None or not principal.sees_region(incident.region_code):
        raise NotFound(f"incident {incident_id} not found")
    if incident.status not in (Status.verified, Status.dispatched, Status.en_route):
        raise Conflict(
            f"incident is {incident.status}; only verified, dispatched or en_route incidents are "
            "dispatched by hand",
            current_status=incident.status,
        )
    now = utcnow()
    crew = next(
        (c for c in await _crews_on_duty(session, regency_of(incident.region_code), now) if c.id == crew_id),
        None,
    )
    if crew is None:
        raise NotFound(f"crew {crew_id} is not on duty in {regency_of(incident.region_code)}")
    if crew.status in ("out_of_service", "off_shift"):
        raise Conflict(f"crew {crew.name} is {crew.status}", current_status=crew.status)
    if incident.assigned_crew_id == crew.id:
        raise Conflict(f"crew {crew.name} already has this incident", current_status=incident.status)
    for offer in (
        await session.scalars(
            select(Offer).where(Offer.incident_id == incident.id, Offer.status == "pending").with_for_update()
        )
    ).all():
        offer.status, offer.responded_at = "withdrawn", now
        offered = await session.get(Crew, offer.crew_id)
        if offered is not None and offered.status == "offered":
            offered.status, offered.status_at = "available", now
    previous = await session.get(Crew, incident.assigned_crew_id) if incident.assigned_crew_id else None
    if previous is not None:
        previous.status, previous.status_at = "available", now
    incident.dispatch_attempts += 1
    session.add(
        Offer(
            incident_id=incident.id,
            crew_id=crew.id,
            status="accepted",
            attempt=incident.dispatch_attempts,
            offered_at=now,
            expires_at=now,
            responded_at=now,
            source=principal.username,
            decision={"reasons": [f"dispatched by hand: {reason}"]},
        )
    )
    crew.status, crew.status_at = "dispatched", now
    incident.assigned_crew_id = crew.id
    events.record(
        session,
        "incident.dispatched_manually",
        actor=principal,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={
            "crew": crew.name,
            "reason": reason,
            "released_crew_id": str(previous.id) if previous else None,
        },
    )
    if incident.status != Status.dispatched:
        move(session, principal, incident, Status.dispatched, reason=reason, extra={"crew_id": str(crew.id)})
    await session.flush()
    if previous is not None:
        # The released crew may take someone else who is waiting.
        await run(session, principal, regency_of(incident.region_code))
    return incident


async def set_crew_status(
    session: AsyncSession, principal: Principal, crew_id: uuid.UUID, body: StatusIn
) -> Crew:
    """A crew's status; when it becomes available, incidents waiting in its kab/kota are offered at once."""
    crew = await crews.set_status(session, principal, crew_id, body)
    if crew.status == "available":
        team = await session.get(Team, crew.team_id)
        assert team is not None
        await session.flush()
        await run(session, principal, team.region_code)
    return crew


# The crew's status follows its incident; these states of the incident release the crew.
CREW_STATUS_FOR = {Status.en_route: "en_route", Status.on_scene: "on_scene", Status.handling: "on_scene"}
RELEASES_CREW = {Status.resolved, Status.closed, Status.cancelled, Status.verified}


async def transition(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: TransitionIn
) -> Incident:
    """Moves an incident along its lifecycle. A crew member moves only his own crew's incidents; the crew's
    status follows (en route, on scene), and a crew released by the incident is offered waiting ones."""
    if principal.role == Role.crew:
        assigned = await session.scalar(select(Incident.assigned_crew_id).where(Incident.id == incident_id))
        if assigned is None or not await crews.acts_for(session, principal, assigned):
            raise Forbidden("a crew member moves only the incidents of his own crew")
    incident = await incident_service.transition(session, principal, incident_id, body)
    await _crew_follows(session, principal, incident)
    return incident


async def _crew_follows(session: AsyncSession, principal: Principal, incident: Incident) -> None:
    """The assigned crew's status follows its incident's; a released crew is offered waiting incidents."""
    crew = await session.get(Crew, incident.assigned_crew_id) if incident.assigned_crew_id else None
    if crew is None:
        return
    target, now = Status(incident.status), utcnow()
    if target in CREW_STATUS_FOR:
        crew.status, crew.status_at = CREW_STATUS_FOR[target], now
    elif target in RELEASES_CREW:
        crew.status, crew.status_at = "available", now
        if target in (Status.verified, Status.cancelled):
            incident.assigned_crew_id = None  # withdrawn: the incident waits for another crew, or is gone
        await session.flush()
        await run(session, principal, regency_of(incident.region_code))


async def hand_over(session: AsyncSession, now: datetime, *, limit: int = 50) -> int:
    """At the end of a shift the crew goes off shift; its open incidents pass to the least loaded crew on
    duty in the incident's own kab/kota (a crew that helped another kab/kota hands the case back there),
    else in the crew's kab/kota (the mutual aid goes on), with a handover note, and its pending offers are
    withdrawn. With no crew to take them, the incidents are escalated: the supervisors own them. SKIP
    LOCKED: safe with several workers."""
    ended = (
        await session.scalars(
            select(Crew)
            .where(Crew.shift_ends_at <= now, Crew.status != "off_shift")
            .order_by(Crew.shift_ends_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    leaving = {crew.id for crew in ended}
    # Per kab/kota: the crews that can take over, and how many open incidents each has (this pass included).
    on_duty: dict[str, list[Crew]] = {}
    load: dict[uuid.UUID, int] = {}

    async def successors_in(regency: str) -> list[Crew]:
        if regency not in on_duty:
            crews = [
                c
                for c in await _crews_on_duty(session, regency, now)
                if c.id not in leaving and c.status not in ("out_of_service", "off_shift")
            ]
            on_duty[regency] = crews
            load.update({c.id: 0 for c in crews})
            for cid, n in await session.execute(
                select(Incident.assigned_crew_id, func.count())
                .where(
                    Incident.assigned_crew_id.in_([c.id for c in crews]),
                    Incident.status.in_(list(OPEN_STATUSES)),
                )
                .group_by(Incident.assigned_crew_id)
            ):
                if cid is not None:
                    load[cid] = n
        return on_duty[regency]

    regencies: set[str] = set()
    for crew in ended:
        team = await session.get(Team, crew.team_id)
        assert team is not None
        regencies.add(team.region_code)
        crew.status, crew.status_at, crew.status_reason = "off_shift", now, "end of shift"
        events.record(
            session,
            "crew.status_changed",
            actor=None,
            crew_id=crew.id,
            region_code=team.region_code,
            data={"after": "off_shift", "reason": "end of shift"},
        )
        for offer in (
            await session.scalars(
                select(Offer).where(Offer.crew_id == crew.id, Offer.status == "pending").with_for_update()
            )
        ).all():
            offer.status, offer.responded_at = "withdrawn", now
        open_incidents = (
            await session.scalars(
                select(Incident)
                .where(Incident.assigned_crew_id == crew.id, Incident.status.in_(list(OPEN_STATUSES)))
                .with_for_update()
            )
        ).all()
        for incident in open_incidents:
            home = regency_of(incident.region_code)
            regencies.add(home)
            note = f"handover at the end of {crew.name}'s shift; status was {incident.status}"
            successors = await successors_in(home) or await successors_in(team.region_code)
            if not successors:
                incident.assigned_crew_id = None
                _escalate(session, None, incident, "no crew on duty to take over at the end of a shift", {})
                continue
            successor = min(successors, key=lambda c: (load[c.id], c.name))
            load[successor.id] += 1
            incident.assigned_crew_id = successor.id
            if successor.status in ("available", "offered"):
                successor.status, successor.status_at = "dispatched", now
            events.record(
                session,
                "incident.handed_over",
                actor=None,
                incident_id=incident.id,
                crew_id=successor.id,
                region_code=incident.region_code,
                data={
                    "from_crew_id": str(crew.id),
                    "from_crew": crew.name,
                    "to_crew": successor.name,
                    "note": note,
                },
            )
    if ended:
        await session.flush()
    for regency in sorted(regencies):
        await run(session, None, regency)
    return len(ended)
