"""A crew answers an offer: accept (the case is its own until it says it is free again) or decline (the
next round offers it elsewhere). A phone that retries gets the first answer again."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.crewflow import CrewStatus, OfferStatus
from app.dispatch.lifecycle import Status
from app.errors import Conflict, Forbidden
from app.models import Crew, Incident, Offer, Team
from app.models.base import utcnow
from app.services import crews, events, scoped
from app.services.access import Principal
from app.services.dispatch import engagements, locks
from app.services.dispatch.clienttime import client_time
from app.services.incidents import move


async def _engaged(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID
) -> tuple[Offer, Crew, Incident]:
    """The offer, its crew and incident, locked in the one order (kab/kota locks, crew, incident, offer),
    once the caller is known to answer for that crew."""
    # In reach: the incident's region, or the caller's own crew (mutual aid across kab/kota).
    offer = await scoped.find(session, principal, Offer, offer_id)
    crew = await session.get_one(Crew, offer.crew_id)
    incident = await session.get_one(Incident, offer.incident_id)
    if not await crews.acts_for(session, principal, crew.id):
        raise Forbidden(f"hanya regu {crew.name} (atau staf konsol wilayahnya) yang menjawab tawaran ini")
    team_region = await session.scalar(select(Team.region_code).where(Team.id == crew.team_id))
    await locks.hold(session, incident.region_code, team_region or incident.region_code)
    locked_crew = await engagements.locked_crew(session, crew.id)
    locked_incident = await engagements.locked_incident(session, incident.id)
    locked_offer = await session.scalar(
        select(Offer).where(Offer.id == offer_id).with_for_update().execution_options(populate_existing=True)
    )
    assert locked_crew is not None and locked_incident is not None and locked_offer is not None
    return locked_offer, locked_crew, locked_incident


async def accept(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, at: datetime | None = None
) -> Offer:
    offer, crew, incident = await _engaged(session, principal, offer_id)
    if offer.status == OfferStatus.accepted:
        return offer  # a retry: the first answer stands
    now = utcnow()
    answered = client_time(at, now, field="body.at")
    if offer.status != OfferStatus.pending:
        raise Conflict(f"tawaran ini sudah {offer.status}", current_status=offer.status)
    # Sent in time from a phone without signal, and not yet expired by the scheduler: it counts.
    if offer.expires_at <= now and (answered is None or answered > offer.expires_at):
        raise Conflict("tawaran ini sudah kedaluwarsa", current_status=OfferStatus.expired)
    offer.status, offer.responded_at, offer.answered_at_client = OfferStatus.accepted, now, answered
    crew.status, crew.status_at = CrewStatus.dispatched, now
    engagements.accepted(session, principal, incident, crew)
    events.record(
        session,
        "offer.accepted",
        actor=principal,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={
            "offer_id": str(offer.id),
            "crew": crew.name,
            "client_at": answered.isoformat() if answered else None,
        },
    )
    if incident.status == Status.verified:
        move(
            session,
            principal,
            incident,
            Status.dispatched,
            reason=f"diterima {crew.name}",
            extra={"crew_id": str(crew.id)},
            crew_id=crew.id,
        )
    return offer


async def decline(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, reason: str, at: datetime | None = None
) -> Offer:
    offer, crew, incident = await _engaged(session, principal, offer_id)
    if offer.status == OfferStatus.declined:
        return offer  # a retry
    now = utcnow()
    answered = client_time(at, now, field="body.at")
    if offer.status != OfferStatus.pending:
        raise Conflict(f"tawaran ini sudah {offer.status}", current_status=offer.status)
    offer.status, offer.responded_at, offer.decline_reason = OfferStatus.declined, now, reason
    offer.answered_at_client = answered
    # A crew that went out of service (or off shift) in the meantime stays so.
    if crew.status == CrewStatus.offered:
        crew.status, crew.status_at = CrewStatus.available, now
    events.record(
        session,
        "offer.declined",
        actor=principal,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={"offer_id": str(offer.id), "crew": crew.name, "reason": reason},
    )
    await locks.round_due(session, incident.region_code)
    team_region = await session.scalar(select(Team.region_code).where(Team.id == crew.team_id))
    if team_region and team_region != locks.regency_of(incident.region_code):
        await locks.round_due(session, team_region)
    return offer
