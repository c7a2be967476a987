"""The crews to choose from when dispatching an incident by hand: the crews on duty of its kab/kota, each
with its distance, travel time and what the engine would say of it (app/dispatch/candidates.py). A read:
no lock is taken, dispatch_manually checks everything again under its locks."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import candidates
from app.dispatch.crewflow import ACTIVE_OFFERS
from app.models import Offer
from app.models.base import utcnow
from app.services.access import TRIAGE, Principal, require
from app.services.dispatch.locks import regency_of
from app.services.dispatch.manual import BY_HAND
from app.services.dispatch.rounds import crew_states, crews_on_duty, waiting_state
from app.services.incidents import get_visible


async def for_incident(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID
) -> list[candidates.HandCandidate]:
    """Empty when the incident cannot be dispatched by hand (closed, rejected, merged)."""
    incident = await get_visible(session, principal, incident_id)
    require(principal, TRIAGE, "dispatch crews")
    if incident.status not in BY_HAND:
        return []
    now = utcnow()
    crews = await crews_on_duty(session, regency_of(incident.region_code), now, lock=False)
    if not crews:
        return []
    busy = dict(
        (
            await session.execute(
                select(Offer.crew_id, Offer.incident_id).where(
                    Offer.crew_id.in_([c.id for c in crews]), Offer.status.in_(ACTIVE_OFFERS)
                )
            )
        ).all()
    )
    states = await crew_states(session, crews, busy)
    return candidates.for_hand(waiting_state(incident, {}), states, now)
