"""Dispatch work the clock brings: offers that expire, shifts that start, shifts that end.

Each finds its work without locks, then handles it per kab/kota in a transaction of its own that takes the
kab/kota's dispatch lock first and checks again what it found (another worker may have done it). So
several workers run this at once without doing anything twice, and never deadlock with requests.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import metrics
from app.db import unit_of_work
from app.dispatch import reasons
from app.dispatch.crewflow import ACTIVE_OFFERS, FINISHED, CrewStatus, OfferStatus, ReleaseReason
from app.dispatch.lifecycle import Status
from app.dispatch.reasons import Reason
from app.models import Crew, Incident, Offer, Team
from app.services import events
from app.services.dispatch import engagements, locks

BATCH = 200


async def expire_offers(maker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Pending offers past their deadline expire; their incidents go to the next round."""
    async with maker() as session:
        rows = (
            await session.execute(
                select(Offer.id, Incident.region_code, Team.region_code)
                .join(Incident, Incident.id == Offer.incident_id)
                .join(Crew, Crew.id == Offer.crew_id)
                .join(Team, Team.id == Crew.team_id)
                .where(Offer.status == OfferStatus.pending, Offer.expires_at <= now)
                .order_by(Offer.expires_at)
                .limit(BATCH)
            )
        ).all()
    groups: dict[tuple[str, ...], list[uuid.UUID]] = defaultdict(list)
    for offer_id, incident_region, team_region in rows:
        key = tuple(sorted({locks.regency_of(incident_region), team_region}))
        groups[key].append(offer_id)
    done = 0
    for regions, ids in sorted(groups.items()):
        expired = 0
        async with unit_of_work(maker) as session:
            await locks.hold(session, *regions)
            for offer_id in ids:
                expired += await _expire(session, offer_id, now)
        metrics.OFFERS_EXPIRED.inc(expired)  # counted once committed
        done += expired
    return done


async def _expire(session: AsyncSession, offer_id: uuid.UUID, now: datetime) -> int:
    offer = await session.get(Offer, offer_id)
    if offer is None:
        return 0
    crew = await engagements.locked_crew(session, offer.crew_id)
    incident = await engagements.locked_incident(session, offer.incident_id)
    offer = await session.scalar(
        select(Offer).where(Offer.id == offer_id).with_for_update().execution_options(populate_existing=True)
    )
    assert crew is not None and incident is not None and offer is not None
    if offer.status != OfferStatus.pending or offer.expires_at > now:
        return 0  # answered meanwhile, or another worker expired it
    offer.status, offer.responded_at = OfferStatus.expired, now
    if crew.status == CrewStatus.offered:
        crew.status, crew.status_at = CrewStatus.available, now
    events.record(
        session,
        "offer.expired",
        actor=events.SYSTEM,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={"offer_id": str(offer.id), "crew": crew.name},
    )
    await locks.round_due(session, incident.region_code)
    home = await session.scalar(select(Team.region_code).where(Team.id == crew.team_id))
    if home and locks.holds(session, home):
        await locks.round_due(session, home)  # the crew is free again at home
    return 1


async def start_shifts(maker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Crews whose shift has begun come on duty: an event, and a round for their kab/kota at once (the
    incidents waiting there are offered to them)."""
    async with maker() as session:
        rows = (
            await session.execute(
                select(Crew.id, Team.region_code)
                .join(Team, Team.id == Crew.team_id)
                .where(Crew.on_duty_at.is_(None), Crew.shift_starts_at <= now, Crew.shift_ends_at > now)
                .limit(BATCH)
            )
        ).all()
    by_region: dict[str, list[uuid.UUID]] = defaultdict(list)
    for crew_id, region in rows:
        by_region[region].append(crew_id)
    done = 0
    for region, ids in sorted(by_region.items()):
        async with unit_of_work(maker) as session:
            await locks.hold(session, region)
            for crew_id in sorted(ids):
                crew = await engagements.locked_crew(session, crew_id)
                if crew is None or crew.on_duty_at is not None:
                    continue
                crew.on_duty_at = now
                events.record(
                    session,
                    "crew.on_duty",
                    actor=events.SYSTEM,
                    crew_id=crew.id,
                    region_code=region,
                    data={
                        "crew": crew.name,
                        "status": crew.status,
                        "shift_ends_at": crew.shift_ends_at.isoformat(),
                    },
                )
                done += 1
            await locks.round_due(session, region, at=now)
    return done


async def end_shifts(maker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """At the end of a shift the crew goes off shift. Its pending offer is withdrawn; a case it still has
    open is released and waits for the next crew: the round of the incident's own kab/kota hands it over
    (to a crew of that kab/kota, so a crew that helped a neighbour hands the case back there), or
    escalates it when nobody is free."""
    async with maker() as session:
        rows = (
            await session.execute(
                select(Crew.id, Team.region_code, Incident.region_code)
                .join(Team, Team.id == Crew.team_id)
                .outerjoin(Offer, (Offer.crew_id == Crew.id) & Offer.status.in_(ACTIVE_OFFERS))
                .outerjoin(Incident, Incident.id == Offer.incident_id)
                .where(Crew.shift_ends_at <= now, Crew.status != CrewStatus.off_shift)
                .limit(BATCH)
            )
        ).all()
    groups: dict[tuple[str, ...], list[uuid.UUID]] = defaultdict(list)
    for crew_id, team_region, incident_region in rows:
        touched = {team_region} | ({locks.regency_of(incident_region)} if incident_region else set())
        groups[tuple(sorted(touched))].append(crew_id)
    done = 0
    for regions, ids in sorted(groups.items()):
        async with unit_of_work(maker) as session:
            await locks.hold(session, *regions)
            for crew_id in sorted(ids):
                done += await _end_shift(session, crew_id, now)
    return done


async def _end_shift(session: AsyncSession, crew_id: uuid.UUID, now: datetime) -> int:
    crew = await engagements.locked_crew(session, crew_id)
    if crew is None or crew.status == CrewStatus.off_shift or crew.shift_ends_at > now:
        return 0
    team_region = await session.scalar(select(Team.region_code).where(Team.id == crew.team_id))
    assert team_region is not None
    job = await engagements.active_offer_of_crew(session, crew.id)
    incident = await engagements.locked_incident(session, job.incident_id) if job else None
    if incident is not None and not locks.holds(session, incident.region_code):
        return 0  # it took an offer elsewhere since the scan: the next pass locks that kab/kota too
    job = await engagements.active_offer_of_crew(session, crew.id, lock=True)
    if job is not None and incident is not None:
        if job.status == OfferStatus.pending:
            engagements.withdraw(session, None, job, crew, incident, now, why=Reason("end_of_shift"))
        else:
            finished = Status(incident.status) in FINISHED
            engagements.release(
                session,
                None,
                job,
                crew,
                incident,
                now,
                reason=ReleaseReason.completed if finished else ReleaseReason.handed_over,
                crew_status=CrewStatus.off_shift,
                note=Reason("end_of_shift.crew", crew=crew.name),
            )
        await locks.round_due(session, incident.region_code, at=now)
    before = crew.status
    ended = Reason("end_of_shift")
    crew.status, crew.status_at, crew.status_reason = CrewStatus.off_shift, now, str(ended)
    events.record(
        session,
        "crew.status_changed",
        actor=events.SYSTEM,
        crew_id=crew.id,
        region_code=team_region,
        data={**events.change(before, CrewStatus.off_shift), "reason": ended, **reasons.why("reason", ended)},
    )
    return 1
