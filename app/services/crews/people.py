"""A team's people (TRC staff, BKO with their secondment) and vehicles (seats, capabilities, in or out of
service)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, Unprocessable
from app.models import Crew, CrewMember, Personnel, Role, Team, User, Vehicle
from app.models.base import utcnow
from app.reference import regions
from app.schemas.crews import (
    PersonnelCreate,
    PersonnelPatch,
    VehicleCreate,
    VehiclePatch,
)
from app.services import events, scoped
from app.services.access import Principal, require
from app.services.crews.teams import SEE, require_manager, team_in_reach


async def _check_account(
    session: AsyncSession,
    principal: Principal,
    team: Team,
    user_id: uuid.UUID,
    person_id: uuid.UUID | None,
) -> None:
    """The crew-app account of a person: a crew account of the team's kab/kota, not someone else's. An
    account outside the caller's region is not found."""
    user = await scoped.find(session, principal, User, user_id)
    if user.role != Role.crew or not regions.within(user.region_code, team.region_code):
        raise Unprocessable(
            f"akun {user_id} bukan akun regu di wilayah tim {team.region_code}", field="body.user_id"
        )
    taken = await session.scalar(
        select(Personnel.id).where(Personnel.user_id == user_id, Personnel.id != person_id)
    )
    if taken is not None:
        raise Conflict(f"akun {user.username} sudah dipakai personel lain")


async def add_personnel(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, body: PersonnelCreate
) -> Personnel:
    team = await team_in_reach(session, principal, team_id)
    require_manager(principal, team)
    if body.user_id is not None:
        await _check_account(session, principal, team, body.user_id, None)
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


async def list_personnel(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID
) -> Sequence[Personnel]:
    team = await team_in_reach(session, principal, team_id)
    require(principal, (Role.admin, Role.supervisor, Role.operator), "list personnel")
    _ = team
    return (
        await session.scalars(select(Personnel).where(Personnel.team_id == team_id).order_by(Personnel.name))
    ).all()


Owned = TypeVar("Owned", Personnel, Vehicle)


async def _own(
    session: AsyncSession, principal: Principal, cls: type[Owned], item_id: uuid.UUID
) -> tuple[Owned, Team]:
    item = await scoped.find(session, principal, cls, item_id, lock=True)
    team = await session.get_one(Team, item.team_id)
    require_manager(principal, team)
    return item, team


async def patch_personnel(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, body: PersonnelPatch
) -> tuple[Personnel, Team]:
    """Edit a person (skills, phone, account, secondment, active). Returns the team: its kab/kota gets a
    dispatch round (skills decide who may take what)."""
    person, team = await _own(session, principal, Personnel, person_id)
    changes = body.model_dump(exclude_unset=True)
    if "user_id" in changes and changes["user_id"] is not None:
        await _check_account(session, principal, team, changes["user_id"], person.id)
    before = (person.user_id, person.active)
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
    if before != (person.user_id, person.active):
        await _membership_changed(session, principal, team, person, before)
    return person, team


async def _membership_changed(
    session: AsyncSession,
    principal: Principal,
    team: Team,
    person: Personnel,
    before: tuple[uuid.UUID | None, bool],
) -> None:
    """A person left (inactive) or changed account: the live streams of the accounts concerned follow the
    person's crews of this and later shifts, or stop (app/live/hub.py)."""
    old_user, was_active = before
    left = (
        [str(old_user)]
        if old_user and was_active and (old_user != person.user_id or not person.active)
        else []
    )
    joined = (
        [str(person.user_id)]
        if person.user_id and person.active and (person.user_id != old_user or not was_active)
        else []
    )
    crews = await session.scalars(
        select(Crew.id)
        .join(CrewMember, CrewMember.crew_id == Crew.id)
        .where(CrewMember.personnel_id == person.id, Crew.shift_ends_at > utcnow())
    )
    for crew_id in crews:
        events.record(
            session,
            "crew.members_changed",
            actor=principal,
            crew_id=crew_id,
            region_code=team.region_code,
            data={"personnel_id": str(person.id), "joined_user_ids": joined, "left_user_ids": left},
        )


async def list_vehicles(session: AsyncSession, principal: Principal, team_id: uuid.UUID) -> Sequence[Vehicle]:
    await team_in_reach(session, principal, team_id)
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


async def add_vehicle(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, body: VehicleCreate
) -> Vehicle:
    team = await team_in_reach(session, principal, team_id)
    require_manager(principal, team)
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
