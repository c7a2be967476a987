"""Crews in the field: who is on duty, positions from the phone, who acts for a crew, and how a crew is
shown (members, vehicle, skills in two queries)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Forbidden, NotFound
from app.models import Crew, CrewMember, CrewPosition, Personnel, Role, Team, Vehicle
from app.models.base import utcnow
from app.reference import regions
from app.schemas.crews import (
    CrewOut,
    PersonnelOut,
    VehicleOut,
)
from app.services import events, scoped
from app.services.access import Principal, in_region, require
from app.services.crews.teams import SEE

POSITION_EVERY = timedelta(seconds=10)


async def render(session: AsyncSession, crews: Sequence[Crew]) -> list[CrewOut]:
    """Crews with their members and vehicles, in two queries whatever their number."""
    ids = [c.id for c in crews]
    members: dict[uuid.UUID, list[Personnel]] = {i: [] for i in ids}
    for crew_id, person in await session.execute(
        select(CrewMember.crew_id, Personnel)
        .join(Personnel, Personnel.id == CrewMember.personnel_id)
        .where(CrewMember.crew_id.in_(ids))
        .order_by(Personnel.name)
    ):
        members[crew_id].append(person)
    vehicle_ids = [c.vehicle_id for c in crews if c.vehicle_id]
    vehicles = {v.id: v for v in (await session.scalars(select(Vehicle).where(Vehicle.id.in_(vehicle_ids))))}
    out = []
    for c in crews:
        vehicle = vehicles.get(c.vehicle_id) if c.vehicle_id else None
        out.append(
            CrewOut(
                id=c.id,
                team_id=c.team_id,
                name=c.name,
                shift_starts_at=c.shift_starts_at,
                shift_ends_at=c.shift_ends_at,
                vehicle=VehicleOut.model_validate(vehicle) if vehicle else None,
                members=[PersonnelOut.model_validate(p) for p in members[c.id]],
                skills=sorted({s for p in members[c.id] for s in p.skills}),
                coverage=c.coverage,
                status=c.status,
                status_reason=c.status_reason,
                status_at=c.status_at,
                last_lat=c.last_lat,
                last_lon=c.last_lon,
                last_seen_at=c.last_seen_at,
            )
        )
    return out


async def on_duty(
    session: AsyncSession, principal: Principal, *, region: str | None, at: datetime | None
) -> Sequence[Crew]:
    """Crews whose shift covers `at` (now) and whose team works in `region` (the caller's region)."""
    require(principal, SEE, "see crews")
    when = at or utcnow()
    scope = region or principal.region_code
    if region and not (principal.sees_region(region) or regions.within(principal.region_code, region)):
        raise NotFound(f"region {region} is outside your region")
    q = (
        select(Crew)
        .join(Team, Team.id == Crew.team_id)
        .where(Crew.shift_starts_at <= when, Crew.shift_ends_at > when, Crew.status != "off_shift")
        .order_by(Team.region_code, Crew.name)
    )
    if scope:
        # A team of kab/kota 21.71 is on duty for 21.71.06 too, and a province scope sees its teams.
        q = q.where(or_(in_region(Team.region_code, scope), and_(Team.region_code == scope[:5])))
    return (await session.scalars(q)).all()


async def _crew_for_update(
    session: AsyncSession, principal: Principal, crew_id: uuid.UUID
) -> tuple[Crew, Team]:
    crew = await scoped.find(session, principal, Crew, crew_id, lock=True)
    team = await session.get_one(Team, crew.team_id)
    if not await acts_for(session, principal, crew.id):
        raise Forbidden("a crew member acts only for his own crew; others need a console role")
    return crew, team


async def acts_for(session: AsyncSession, principal: Principal, crew_id: uuid.UUID) -> bool:
    """Whether the caller may act for this crew: an active member of it, or console staff whose region holds
    the crew's team."""
    if principal.role in (Role.admin, Role.supervisor, Role.operator):
        region = await session.scalar(
            select(Team.region_code).join(Crew, Crew.team_id == Team.id).where(Crew.id == crew_id)
        )
        return region is not None and principal.sees_region(region)
    if principal.role != Role.crew:
        return False
    member = await session.scalar(
        select(CrewMember.crew_id)
        .join(Personnel, Personnel.id == CrewMember.personnel_id)
        .where(CrewMember.crew_id == crew_id, Personnel.user_id == principal.user_id, Personnel.active)
    )
    return member is not None


async def ping(
    session: AsyncSession,
    principal: Principal,
    crew_id: uuid.UUID,
    lat: float,
    lon: float,
    at: datetime | None,
) -> bool:
    """Records a position; returns whether it went into the history (pings closer than POSITION_EVERY only
    move the last known position)."""
    crew, team = await _crew_for_update(session, principal, crew_id)
    when = min(at or utcnow(), utcnow())
    if crew.last_seen_at is not None and when <= crew.last_seen_at:
        return False
    kept = crew.last_seen_at is None or when - crew.last_seen_at >= POSITION_EVERY
    crew.last_lat, crew.last_lon, crew.last_seen_at = lat, lon, when
    if kept:
        session.add(CrewPosition(crew_id=crew.id, at=when, lat=lat, lon=lon))
        events.record(
            session,
            "crew.position",
            actor=principal,
            crew_id=crew.id,
            region_code=team.region_code,
            data={"lat": lat, "lon": lon, "at": when.isoformat()},
        )
    return kept


async def get_crew(session: AsyncSession, principal: Principal, crew_id: uuid.UUID) -> Crew:
    crew = await scoped.find(session, principal, Crew, crew_id)
    require(principal, SEE, "see crews")
    return crew
