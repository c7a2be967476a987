"""Dispatch by hand: an operator's or supervisor's choice always wins over the engine. The incident's pending
offer is withdrawn, a crew already on it is relieved, the chosen crew's own pending offer elsewhere is
withdrawn, and the chosen crew is assigned at once. A crew busy with another case is not taken from it
here (409 naming the case): relieve it first, or choose another crew."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.crewflow import CrewStatus, OfferStatus, ReleaseReason
from app.dispatch.lifecycle import Status
from app.errors import Conflict, Forbidden
from app.models import Crew, Incident, Role, Team
from app.models.base import utcnow
from app.services import events, scoped
from app.services.access import Principal
from app.services.dispatch import engagements, locks
from app.services.incidents import get_visible, move

BY_HAND = (
    Status.received,
    Status.verified,
    Status.dispatched,
    Status.en_route,
    Status.on_scene,
    Status.handling,
)


async def dispatch_manually(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, crew_id: uuid.UUID, reason: str
) -> Incident:
    seen = await get_visible(session, principal, incident_id)
    if principal.role not in (Role.admin, Role.supervisor, Role.operator):
        raise Forbidden(f"peran {principal.role} tidak boleh menugaskan regu")
    crew_row = await scoped.find(session, principal, Crew, crew_id)
    team = await session.get_one(Team, crew_row.team_id)
    # The crew's pending offer elsewhere is withdrawn below: its kab/kota is locked with the others.
    elsewhere = await engagements.active_offer_of_crew(session, crew_id)
    other_region = (
        await session.scalar(select(Incident.region_code).where(Incident.id == elsewhere.incident_id))
        if elsewhere
        else None
    )
    # And the kab/kota of the crew the incident is offered to or worked by now: it is relieved below.
    holding = await engagements.active_offer_of_incident(session, incident_id)
    holder_region = (
        await session.scalar(
            select(Team.region_code).join(Crew, Crew.team_id == Team.id).where(Crew.id == holding.crew_id)
        )
        if holding
        else None
    )
    await locks.hold(
        session, seen.region_code, team.region_code, *[r for r in (other_region, holder_region) if r]
    )
    crew = await engagements.locked_crew(session, crew_id)
    incident = await engagements.locked_incident(session, incident_id)
    assert crew is not None and incident is not None
    now = utcnow()
    if incident.status not in BY_HAND:
        raise Conflict(
            f"insiden berstatus {incident.status}; hanya insiden terbuka yang ditugaskan dengan tangan",
            current_status=incident.status,
        )
    if not (crew.shift_starts_at <= now < crew.shift_ends_at) or crew.status == CrewStatus.off_shift:
        raise Conflict(f"regu {crew.name} tidak sedang bertugas", current_status=CrewStatus.off_shift)
    if crew.status == CrewStatus.out_of_service:
        raise Conflict(f"regu {crew.name} tidak beroperasi: {crew.status_reason}", current_status=crew.status)
    current = await engagements.active_offer_of_incident(session, incident.id, lock=True)
    if current is not None and current.crew_id == crew.id and current.status == OfferStatus.accepted:
        raise Conflict(f"regu {crew.name} sudah menangani insiden ini", current_status=incident.status)
    own = await engagements.active_offer_of_crew(session, crew.id, lock=True)
    if own is not None and own.status == OfferStatus.accepted:
        raise Conflict(
            f"regu {crew.name} sedang menangani insiden {own.incident_id}; alihkan dulu kasus itu",
            current_status=crew.status,
            incident_id=str(own.incident_id),
        )
    released: Crew | None = None  # the crew relieved of the case, named on the timeline
    if own is not None and own.id != (current.id if current else None):
        # The crew's pending offer for another incident: withdrawn, that incident goes to the next round.
        other = await engagements.locked_incident(session, own.incident_id)
        assert other is not None
        await locks.hold(session, other.region_code)
        engagements.withdraw(
            session, principal, own, crew, other, now, why=f"regu ditugaskan dengan tangan: {reason}"
        )
        await locks.round_due(session, other.region_code)
    if current is not None:
        holder = (
            crew if current.crew_id == crew.id else await engagements.locked_crew(session, current.crew_id)
        )
        assert holder is not None
        home = await session.scalar(select(Team.region_code).where(Team.id == holder.team_id))
        await locks.hold(session, home or incident.region_code)
        if holder.id != crew.id:
            await locks.round_due(session, home or incident.region_code)  # the holder is free again
        if current.status == OfferStatus.pending:
            engagements.withdraw(
                session, principal, current, holder, incident, now, why=f"ditugaskan dengan tangan: {reason}"
            )
        else:
            engagements.release(
                session,
                principal,
                current,
                holder,
                incident,
                now,
                reason=ReleaseReason.reassigned,
                note=reason,
            )
            released = holder
    # The withdrawals and the release go first: the database allows one active offer per crew and incident.
    await session.flush()
    made = engagements.assign(
        session,
        principal,
        incident,
        crew,
        now,
        source=principal.username,
        decision={"reasons": [f"ditugaskan dengan tangan: {reason}"]},
    )
    await engagements.announce_assignment(
        session, made, crew, incident, f"ditugaskan oleh {principal.username}"
    )
    events.record(
        session,
        "incident.dispatched_manually",
        actor=principal,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={
            "offer_id": str(made.id),
            "crew": crew.name,
            "reason": reason,
            "released_crew_id": str(released.id) if released else None,
            "incident": engagements.incident_brief(incident),
        },
    )
    if incident.status == Status.received:
        move(session, principal, incident, Status.verified, reason=reason)
    if incident.status in (Status.verified, Status.en_route):
        move(
            session,
            principal,
            incident,
            Status.dispatched,
            reason=reason,
            extra={"crew_id": str(crew.id)},
            crew_id=crew.id,
        )
    return incident
