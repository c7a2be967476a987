"""Triage acts that change what waits for a crew: verifying (the incident joins the next round), rejecting
or merging (its pending offer is withdrawn), changing category or priority (the plan may change), and an
agency's answer that resolves it. Each takes the kab/kota's dispatch lock first."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.crewflow import OfferStatus
from app.dispatch.lifecycle import OPEN_STATUSES, Status
from app.models import Crew, Incident, Offer, Referral, Team
from app.models.base import utcnow
from app.schemas.agencies import AnswerIn, AnswerOnBehalfIn
from app.schemas.incidents import IncidentPatch, LocationPatch, MergeIn, RejectIn
from app.services import incidents as incident_service
from app.services import referrals
from app.services.access import TRIAGE, Principal, in_region, require
from app.services.dispatch import engagements, locks


async def verify(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, note: str | None
) -> Incident:
    """Verifies an incident; the kab/kota's next round (within a second) offers it or escalates it."""
    seen = await incident_service.get_visible(session, principal, incident_id)
    await locks.hold(session, seen.region_code)
    incident = await incident_service.verify(session, principal, incident_id, note)
    await referrals.route(session, principal, incident)
    await locks.round_due(session, incident.region_code)
    return incident


async def relocate(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: LocationPatch
) -> Incident:
    """Corrects an incident's place: referrals follow it (those made by rules to agencies that no longer
    cover it are cancelled, the rules applied again) and the kab/kota gets a round (the nearest crew may
    be another one now)."""
    seen = await incident_service.get_visible(session, principal, incident_id)
    await locks.hold(session, seen.region_code)
    incident = await incident_service.relocate(session, principal, incident_id, body)
    if incident.status != Status.received:
        await referrals.reroute(session, principal, incident)
    await locks.round_due(session, incident.region_code)
    return incident


async def _withdraw_pending(
    session: AsyncSession, principal: Principal, incident: Incident, why: str
) -> None:
    pending = await engagements.active_offer_of_incident(session, incident.id, lock=True)
    if pending is None or pending.status != OfferStatus.pending:
        return
    crew = await engagements.locked_crew(session, pending.crew_id)
    assert crew is not None
    engagements.withdraw(session, principal, pending, crew, incident, utcnow(), why=why)
    await locks.round_due(session, incident.region_code)


async def _offered_elsewhere(session: AsyncSession, incident_ids: list[uuid.UUID]) -> list[str]:
    """The kab/kota of crews holding pending offers of these incidents (mutual aid): locked too."""
    rows = await session.scalars(
        select(Team.region_code)
        .join(Crew, Crew.team_id == Team.id)
        .join(Offer, Offer.crew_id == Crew.id)
        .where(Offer.incident_id.in_(incident_ids), Offer.status == OfferStatus.pending)
    )
    return list(rows)


async def reject(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: RejectIn
) -> Incident:
    seen = await incident_service.get_visible(session, principal, incident_id)
    await locks.hold(session, seen.region_code, *await _offered_elsewhere(session, [seen.id]))
    incident = await incident_service.reject(session, principal, incident_id, body)
    await _withdraw_pending(session, principal, incident, f"insiden ditolak: {body.reason}")
    return incident


async def merge(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: MergeIn
) -> Incident:
    seen = await incident_service.get_visible(session, principal, incident_id)
    await locks.hold(session, seen.region_code, *await _offered_elsewhere(session, [seen.id]))
    target = await incident_service.merge(session, principal, incident_id, body)
    source = await session.get(Incident, incident_id)
    assert source is not None
    await _withdraw_pending(session, principal, source, f"digabung ke {target.id}")
    return target


async def patch(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: IncidentPatch
) -> Incident:
    seen = await incident_service.get_visible(session, principal, incident_id)
    await locks.hold(session, seen.region_code)
    incident = await incident_service.patch(session, principal, incident_id, body)
    if incident.status == Status.verified:
        await locks.round_due(session, incident.region_code)
    return incident


async def answer_referral(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, body: AnswerIn
) -> Referral:
    """An agency's answer. When it resolves the incident, the crew on it stays with it until the crew says
    it is free (it may still be carrying the person)."""
    referral, _incident, _resolved = await referrals.answer(session, principal, referral_id, body)
    return referral


async def answer_referral_on_behalf(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, body: AnswerOnBehalfIn
) -> Referral:
    """The console records an agency's answer received by phone (or another way) on its behalf."""
    referral, _incident, _resolved = await referrals.answer_on_behalf(session, principal, referral_id, body)
    return referral


async def escalations(session: AsyncSession, principal: Principal) -> list[Incident]:
    """Incidents no crew has taken that a supervisor must look at, most urgent first."""
    require(principal, TRIAGE, "read escalations")
    q = (
        select(Incident)
        .where(
            Incident.escalated_at.is_not(None),
            Incident.status.in_(list(OPEN_STATUSES)),
        )
        .order_by(Incident.priority, Incident.escalated_at)
    )
    if principal.region_code:
        q = q.where(in_region(Incident.region_code, principal.region_code))
    return list((await session.scalars(q)).all())


async def capacity_changed(session: AsyncSession, region: str) -> None:
    """Something that decides who may take what changed (a vehicle back in service, a person's skills): the
    kab/kota's waiting incidents get a round."""
    await locks.hold(session, region)
    await locks.round_due(session, region)
