"""Crews: formed for one shift (by hand or from a roster), with stand-ins by swap. A person works in one crew
at a time, a vehicle serves one crew at a time, BKO only on days of the secondment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import shifts
from app.errors import Conflict, Unprocessable
from app.models import Crew, CrewMember, Personnel, Team, Vehicle
from app.models.base import utcnow
from app.reference import regions
from app.schemas.crews import (
    CrewCreate,
    RosterIn,
    SwapIn,
)
from app.services import events, scoped
from app.services.access import Principal, require
from app.services.crews.teams import SEE, require_manager, team_in_reach


async def form_crew(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, body: CrewCreate
) -> Crew:
    """Forms a regu for one shift. A person works in one crew at a time; BKO only within the secondment."""
    team = await team_in_reach(session, principal, team_id)
    require_manager(principal, team)
    await _check_members(session, team, body.member_ids, body.shift_starts_at, body.shift_ends_at)
    if body.vehicle_id is not None:
        vehicle = await session.get(Vehicle, body.vehicle_id)
        if vehicle is None or vehicle.team_id != team.id:
            raise Unprocessable(f"vehicle {body.vehicle_id} is not this team's", field="vehicle_id")
        clash = await session.scalar(
            select(Crew.name).where(
                Crew.vehicle_id == vehicle.id,
                Crew.shift_starts_at < body.shift_ends_at,
                Crew.shift_ends_at > body.shift_starts_at,
            )
        )
        if clash is not None:
            raise Conflict(f"vehicle {vehicle.name} is already with crew {clash} during that shift")
    coverage = body.coverage or [team.region_code]
    for code in coverage:
        if not regions.within(code, team.region_code):
            raise Unprocessable(
                f"coverage {code} is outside the team's region {team.region_code}", field="coverage"
            )
    crew = Crew(
        team_id=team.id,
        name=body.name,
        shift_starts_at=body.shift_starts_at,
        shift_ends_at=body.shift_ends_at,
        vehicle_id=body.vehicle_id,
        coverage=coverage,
        status="available",
        status_at=utcnow(),
    )
    session.add(crew)
    await session.flush()
    session.add_all([CrewMember(crew_id=crew.id, personnel_id=pid) for pid in body.member_ids])
    await session.flush()
    accounts = await session.scalars(
        select(Personnel.user_id).where(Personnel.id.in_(body.member_ids), Personnel.user_id.is_not(None))
    )
    events.record(
        session,
        "crew.formed",
        actor=principal,
        crew_id=crew.id,
        region_code=team.region_code,
        data={
            "name": crew.name,
            "shift_starts_at": crew.shift_starts_at.isoformat(),
            "shift_ends_at": crew.shift_ends_at.isoformat(),
            "members": len(body.member_ids),
            "joined_user_ids": [str(u) for u in accounts],
        },
    )
    return crew


async def _check_members(
    session: AsyncSession,
    team: Team,
    member_ids: Sequence[uuid.UUID],
    starts: datetime,
    ends: datetime,
    *,
    field: str = "member_ids",
) -> None:
    """Active members of the team, BKO only within their secondment, nobody in two crews at once."""
    people = (await session.scalars(select(Personnel).where(Personnel.id.in_(member_ids)))).all()
    by_id = {p.id: p for p in people}
    # The secondment's dates are the team's local dates (WIB/WITA/WIT): a shift belongs to the day it starts
    # on, so a night shift starting on the last day is within it, and one on the day after is not.
    zone = ZoneInfo(regions.timezone_for(team.region_code))
    first_day = starts.astimezone(zone).date()
    for pid in member_ids:
        person = by_id.get(pid)
        if person is None or person.team_id != team.id or not person.active:
            raise Unprocessable(f"personnel {pid} is not an active member of this team", field=field)
        if (
            person.kind == "bko"
            and person.seconded_from
            and person.seconded_until
            and not (person.seconded_from <= first_day <= person.seconded_until)
        ):
            raise Unprocessable(
                f"{person.name} is seconded only from {person.seconded_from} to {person.seconded_until}",
                field=field,
            )
    busy = (
        await session.execute(
            select(Personnel.name, Crew.name)
            .join(CrewMember, CrewMember.personnel_id == Personnel.id)
            .join(Crew, Crew.id == CrewMember.crew_id)
            .where(Personnel.id.in_(member_ids), Crew.shift_starts_at < ends, Crew.shift_ends_at > starts)
        )
    ).first()
    if busy is not None:
        raise Conflict(f"{busy[0]} is already in crew {busy[1]} during that shift")


async def roster(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, body: RosterIn
) -> list[Crew]:
    """Forms the crews of every shift of `days` days from the team's template, the groups taking the shifts
    in turn (group k works shift k, then the rotation moves on), crew n of a shift taking vehicle n (if any).
    All or nothing: one conflict (a person or a vehicle already in a crew then) refuses the whole roster."""
    team = await team_in_reach(session, principal, team_id)
    require_manager(principal, team)
    plan = shifts.rotation(
        body.start_date,
        body.days,
        shifts.TEMPLATES[body.template or team.shift_template],
        regions.timezone_for(team.region_code),
        len(body.groups),
    )
    formed = []
    for window, group_index in plan:
        group = body.groups[group_index]
        for n in range(body.crews_per_shift):
            members = group[n :: body.crews_per_shift]
            if not members:
                continue
            vehicle = body.vehicle_ids[n] if n < len(body.vehicle_ids) else None
            crew_body = CrewCreate(
                name=f"Regu {window.name} {n + 1}" if body.crews_per_shift > 1 else f"Regu {window.name}",
                shift_starts_at=window.starts_at,
                shift_ends_at=window.ends_at,
                member_ids=members,
                vehicle_id=vehicle,
            )
            formed.append(await form_crew(session, principal, team.id, crew_body))
    return formed


async def swap(session: AsyncSession, principal: Principal, crew_id: uuid.UUID, body: SwapIn) -> Crew:
    """Someone stands in for a member of a crew (sick, on leave): the same checks as forming the crew."""
    crew = await scoped.find(session, principal, Crew, crew_id, lock=True)
    team = await session.get_one(Team, crew.team_id)
    require_manager(principal, team)
    if crew.shift_ends_at <= utcnow():
        raise Conflict(f"crew {crew.name}'s shift has ended")
    member = await session.get(CrewMember, (crew.id, body.out_id))
    if member is None:
        raise Unprocessable(f"personnel {body.out_id} is not in crew {crew.name}", field="body.out_id")
    await _check_members(
        session, team, [body.in_id], crew.shift_starts_at, crew.shift_ends_at, field="body.in_id"
    )
    await session.delete(member)
    await session.flush()
    session.add(CrewMember(crew_id=crew.id, personnel_id=body.in_id))
    await session.flush()
    found = await session.execute(
        select(Personnel.id, Personnel.user_id).where(Personnel.id.in_([body.out_id, body.in_id]))
    )
    accounts = dict(found.all())
    events.record(
        session,
        "crew.swap",
        actor=principal,
        crew_id=crew.id,
        region_code=team.region_code,
        data={
            "out": str(body.out_id),
            "in": str(body.in_id),
            "reason": body.reason,
            # The stand-in's stream starts following the crew, the member's who left stops.
            "joined_user_ids": [str(accounts[body.in_id])] if accounts.get(body.in_id) else [],
            "left_user_ids": [str(accounts[body.out_id])] if accounts.get(body.out_id) else [],
        },
    )
    return crew


async def roster_view(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, since: datetime, until: datetime
) -> Sequence[Crew]:
    """The team's crews whose shift overlaps [since, until): the roster as it stands."""
    await team_in_reach(session, principal, team_id)
    require(principal, SEE, "see the roster")
    if until <= since or until - since > timedelta(days=62):
        raise Unprocessable("give a range of at most 62 days, until after since", field="query.until")
    return (
        await session.scalars(
            select(Crew)
            .where(Crew.team_id == team_id, Crew.shift_starts_at < until, Crew.shift_ends_at > since)
            .order_by(Crew.shift_starts_at, Crew.name)
        )
    ).all()
