"""Teams, personnel, vehicles and crews per shift; who is on duty; crew status and position."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import fourct, shifts
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models import Crew, CrewMember, CrewPosition, Incident, Personnel, Role, Team, User, Vehicle
from app.models.base import utcnow
from app.reference import regions
from app.schemas.crews import (
    CrewCreate,
    CrewOut,
    PersonnelCreate,
    PersonnelOut,
    PersonnelPatch,
    RosterIn,
    StatusIn,
    SwapIn,
    TeamPatch,
    VehicleCreate,
    VehicleOut,
    VehiclePatch,
)
from app.services import events, timers
from app.services.access import Principal, in_region, require

MANAGE = (Role.admin, Role.supervisor)
SEE = (Role.admin, Role.supervisor, Role.operator, Role.crew)
# Positions closer together in time than this are not kept in the history (the last one still is).
POSITION_EVERY = timedelta(seconds=10)


async def create_team(session: AsyncSession, principal: Principal, name: str, region_code: str) -> Team:
    require(principal, (Role.admin,), "create teams")
    if region_code.count(".") != 1:
        raise Unprocessable("a team belongs to a kab/kota: give a code like 21.71", field="region_code")
    if not principal.sees_region(region_code):
        raise Forbidden(f"region {region_code} is outside your region")
    team = Team(name=name, region_code=region_code)
    session.add(team)
    await session.flush()
    return team


async def teams(session: AsyncSession, principal: Principal) -> Sequence[Team]:
    require(principal, SEE, "list teams")
    q = select(Team).order_by(Team.region_code, Team.name)
    if principal.region_code:
        q = q.where(
            or_(
                in_region(Team.region_code, principal.region_code),
                Team.region_code == principal.region_code[:5],
            )
        )
    return (await session.scalars(q)).all()


async def _team(session: AsyncSession, principal: Principal, team_id: uuid.UUID) -> Team:
    team = await session.get(Team, team_id)
    if team is None or not (
        principal.sees_region(team.region_code) or regions.within(principal.region_code, team.region_code)
    ):
        raise NotFound(f"team {team_id} not found")
    return team


async def patch_team(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, body: TeamPatch
) -> Team:
    team = await _team(session, principal, team_id)
    _manages(principal, team)
    if body.name is not None:
        team.name = body.name
    if body.shift_template is not None:
        team.shift_template = body.shift_template
    if body.four_ct_targets is not None:
        given: dict[str, dict[str, int]] = {
            str(p): {k: v for k, v in stages.model_dump().items() if v is not None}
            for p, stages in body.four_ct_targets.items()
        }
        overrides: dict[str, Any] = {p: s for p, s in given.items() if s}
        wrong = fourct.problems(fourct.merge(overrides))
        if wrong:
            raise Unprocessable("; ".join(wrong), field="body.four_ct_targets")
        team.four_ct_targets = overrides
        await session.flush()
        await timers.load_targets(session)
        # Open incidents of the kab/kota get their next deadline from the new targets.
        for incident in await session.scalars(
            select(Incident).where(
                in_region(Incident.region_code, team.region_code), Incident.four_ct_next_due.is_not(None)
            )
        ):
            timers.refresh(incident)
        events.record(
            session,
            "team.targets_changed",
            actor=principal,
            region_code=team.region_code,
            data={"team_id": str(team.id), "four_ct_targets": overrides},
        )
    return team


def _manages(principal: Principal, team: Team) -> None:
    require(principal, MANAGE, "manage teams")
    if not principal.sees_region(team.region_code):
        raise Forbidden(f"team {team.name} is outside your region")


async def add_personnel(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, body: PersonnelCreate
) -> Personnel:
    team = await _team(session, principal, team_id)
    _manages(principal, team)
    if body.user_id is not None:
        await _check_account(session, team, body.user_id, None)
    person = Personnel(
        team_id=team.id,
        name=body.name,
        kind=body.kind,
        home_unit=body.home_unit,
        seconded_from=body.seconded_from,
        seconded_until=body.seconded_until,
        skills=sorted(set(body.skills)),
        phone=body.phone,
        user_id=body.user_id,
    )
    session.add(person)
    await session.flush()
    return person


async def _check_account(
    session: AsyncSession, team: Team, user_id: uuid.UUID, person_id: uuid.UUID | None
) -> None:
    """The crew-app account of a person: a crew account of the team's kab/kota, not someone else's."""
    user = await session.get(User, user_id)
    if user is None or user.role != Role.crew or not regions.within(user.region_code, team.region_code):
        raise Unprocessable(
            f"akun {user_id} bukan akun regu di wilayah tim {team.region_code}", field="body.user_id"
        )
    taken = await session.scalar(
        select(Personnel.id).where(Personnel.user_id == user_id, Personnel.id != person_id)
    )
    if taken is not None:
        raise Conflict(f"akun {user.username} sudah dipakai personel lain")


async def list_personnel(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID
) -> Sequence[Personnel]:
    team = await _team(session, principal, team_id)
    require(principal, (Role.admin, Role.supervisor, Role.operator), "list personnel")
    _ = team
    return (
        await session.scalars(select(Personnel).where(Personnel.team_id == team_id).order_by(Personnel.name))
    ).all()


Owned = TypeVar("Owned", Personnel, Vehicle)


async def _own(
    session: AsyncSession, principal: Principal, cls: type[Owned], item_id: uuid.UUID
) -> tuple[Owned, Team]:
    item = await session.get(cls, item_id, with_for_update=True)
    team = await _team(session, principal, item.team_id) if item else None
    if item is None or team is None:
        raise NotFound(f"{'personel' if cls is Personnel else 'kendaraan'} {item_id} tidak ditemukan")
    _manages(principal, team)
    return item, team


async def patch_personnel(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, body: PersonnelPatch
) -> tuple[Personnel, Team]:
    """Edit a person (skills, phone, account, secondment, active). Returns the team: its kab/kota gets a
    dispatch round (skills decide who may take what)."""
    person, team = await _own(session, principal, Personnel, person_id)
    changes = body.model_dump(exclude_unset=True)
    if "user_id" in changes and changes["user_id"] is not None:
        await _check_account(session, team, changes["user_id"], person.id)
    for name, value in changes.items():
        setattr(person, name, sorted(set(value)) if name == "skills" and value is not None else value)
    if person.kind == "bko" and not (person.home_unit and person.seconded_from and person.seconded_until):
        raise Unprocessable("BKO personnel need home_unit, seconded_from and seconded_until", field="body")
    if person.seconded_from and person.seconded_until and person.seconded_until < person.seconded_from:
        raise Unprocessable("seconded_until is before seconded_from", field="body.seconded_until")
    events.record(
        session,
        "personnel.changed",
        actor=principal,
        region_code=team.region_code,
        data={"personnel_id": str(person.id), "changed": sorted(changes)},
    )
    return person, team


async def list_vehicles(session: AsyncSession, principal: Principal, team_id: uuid.UUID) -> Sequence[Vehicle]:
    await _team(session, principal, team_id)
    require(principal, SEE, "list vehicles")
    return (
        await session.scalars(select(Vehicle).where(Vehicle.team_id == team_id).order_by(Vehicle.name))
    ).all()


async def patch_vehicle(
    session: AsyncSession, principal: Principal, vehicle_id: uuid.UUID, body: VehiclePatch
) -> tuple[Vehicle, Team]:
    """Edit a vehicle, or take it out of service with a reason (no fuel, flat tyre, repair) and back. The
    engine does not offer what needs it to its crew while it is out; its kab/kota gets a round."""
    vehicle, team = await _own(session, principal, Vehicle, vehicle_id)
    changes = body.model_dump(exclude_unset=True)
    before = vehicle.in_service
    for name, value in changes.items():
        setattr(vehicle, name, sorted(set(value)) if name == "capabilities" and value is not None else value)
    if vehicle.in_service:
        vehicle.out_of_service_reason = None
    if before != vehicle.in_service:
        events.record(
            session,
            "vehicle.status_changed",
            actor=principal,
            region_code=team.region_code,
            data={
                "vehicle_id": str(vehicle.id),
                "name": vehicle.name,
                "in_service": vehicle.in_service,
                "reason": vehicle.out_of_service_reason,
            },
        )
    return vehicle, team


async def roster_view(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, since: datetime, until: datetime
) -> Sequence[Crew]:
    """The team's crews whose shift overlaps [since, until): the roster as it stands."""
    await _team(session, principal, team_id)
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


async def add_vehicle(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, body: VehicleCreate
) -> Vehicle:
    team = await _team(session, principal, team_id)
    _manages(principal, team)
    vehicle = Vehicle(
        team_id=team.id,
        name=body.name,
        plate=body.plate,
        seats=body.seats,
        capabilities=sorted(set(body.capabilities)),
    )
    session.add(vehicle)
    await session.flush()
    return vehicle


async def form_crew(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, body: CrewCreate
) -> Crew:
    """Forms a regu for one shift. A person works in one crew at a time; BKO only within the secondment."""
    team = await _team(session, principal, team_id)
    _manages(principal, team)
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
    team = await _team(session, principal, team_id)
    _manages(principal, team)
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
    crew = await session.get(Crew, crew_id, with_for_update=True)
    team = await _team(session, principal, crew.team_id) if crew else None
    if crew is None or team is None:
        raise NotFound(f"crew {crew_id} not found")
    _manages(principal, team)
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
    crew = await session.scalar(select(Crew).where(Crew.id == crew_id).with_for_update())
    team = await session.get(Team, crew.team_id) if crew else None
    if crew is None or team is None or not principal.sees_region(team.region_code):
        raise NotFound(f"crew {crew_id} not found")
    if not await acts_for(session, principal, crew.id):
        raise Forbidden("a crew member acts only for his own crew; others need a console role")
    return crew, team


async def acts_for(session: AsyncSession, principal: Principal, crew_id: uuid.UUID) -> bool:
    """Whether the caller may act for this crew: one of its members, or console staff (region checked
    by the caller)."""
    if principal.role in (Role.admin, Role.supervisor, Role.operator):
        return True
    if principal.role != Role.crew:
        return False
    member = await session.scalar(
        select(CrewMember.crew_id)
        .join(Personnel, Personnel.id == CrewMember.personnel_id)
        .where(CrewMember.crew_id == crew_id, Personnel.user_id == principal.user_id)
    )
    return member is not None


async def set_status(session: AsyncSession, principal: Principal, crew_id: uuid.UUID, body: StatusIn) -> Crew:
    crew, team = await _crew_for_update(session, principal, crew_id)
    before = crew.status
    crew.status, crew.status_reason, crew.status_at = body.status, body.reason, utcnow()
    events.record(
        session,
        "crew.status_changed",
        actor=principal,
        crew_id=crew.id,
        region_code=team.region_code,
        data={**events.change(before, body.status), "reason": body.reason},
    )
    return crew


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
    require(principal, SEE, "see crews")
    crew = await session.get(Crew, crew_id)
    team = await session.get(Team, crew.team_id) if crew else None
    if crew is None or team is None or not principal.sees_region(team.region_code):
        raise NotFound(f"crew {crew_id} not found")
    return crew
