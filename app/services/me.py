"""The crew's phone as a client: who am I, which crew and shift, my offers, my current job."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.crewflow import CrewStatus, OfferStatus
from app.models import Crew, CrewMember, Incident, Offer, Personnel, Team
from app.models.base import utcnow
from app.services.access import Principal


async def my_crews(
    session: AsyncSession, principal: Principal, *, current_only: bool = False
) -> Sequence[Crew]:
    """The crews the caller works in whose shift has not ended, the current one first."""
    now = utcnow()
    q = (
        select(Crew)
        .join(CrewMember, CrewMember.crew_id == Crew.id)
        .join(Personnel, Personnel.id == CrewMember.personnel_id)
        .where(
            Personnel.user_id == principal.user_id,
            Personnel.active,
            Crew.shift_ends_at > now,
            Crew.status != CrewStatus.off_shift,
        )
        .order_by(Crew.shift_starts_at)
    )
    if current_only:
        q = q.where(Crew.shift_starts_at <= now)
    return (await session.scalars(q.limit(5))).all()


async def my_crew(session: AsyncSession, principal: Principal) -> tuple[Crew | None, Team | None]:
    crews = await my_crews(session, principal)
    if not crews:
        return None, None
    return crews[0], await session.get(Team, crews[0].team_id)


async def my_offers(session: AsyncSession, principal: Principal) -> list[tuple[Offer, Incident]]:
    """Pending offers of the caller's crews on duty, the soonest to expire first."""
    ids = [c.id for c in await my_crews(session, principal, current_only=True)]
    rows = await session.execute(
        select(Offer, Incident)
        .join(Incident, Incident.id == Offer.incident_id)
        .where(Offer.crew_id.in_(ids), Offer.status == OfferStatus.pending)
        .order_by(Offer.expires_at)
    )
    return [(o, i) for o, i in rows]


async def my_assignment(session: AsyncSession, principal: Principal) -> Offer | None:
    ids: list[uuid.UUID] = [c.id for c in await my_crews(session, principal, current_only=True)]
    return await session.scalar(
        select(Offer).where(Offer.crew_id.in_(ids), Offer.status == OfferStatus.accepted).limit(1)
    )
