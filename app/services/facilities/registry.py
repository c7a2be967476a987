"""Facilities and their units: registered and changed by the region's supervisors and admins, read by its
operators and crews (a crew needs to know where a bed is free before bringing someone in)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, Unprocessable
from app.facilities.kinds import (
    FACILITY_LABELS,
    STAY_LIMIT_DAYS,
    UNIT_GROUP_LABELS,
    UNIT_SEX_LABELS,
    FacilityKind,
    UnitGroup,
    UnitSex,
)
from app.facilities.rules import RULE_LABELS, Rule
from app.models import Agency, Facility, FacilityUnit, Role
from app.models.base import utcnow
from app.schemas.facilities import FacilityIn, FacilityOut, FacilityPatch, RuleOut, UnitIn, UnitOut, UnitPatch
from app.services import events, scoped
from app.services.access import READ_INCIDENTS, Principal, in_region, require, require_region

MANAGE = (Role.admin, Role.supervisor)
READ = READ_INCIDENTS


def stay_limit(facility: Facility) -> int | None:
    """Days before the length-of-stay alert: the facility's own (0: none), else its kind's."""
    if facility.stay_limit_days is not None:
        return facility.stay_limit_days or None
    return STAY_LIMIT_DAYS[FacilityKind(facility.kind)]


def rules_of(facility: Facility) -> frozenset[Rule]:
    return frozenset(Rule(r) for r in facility.rules)


def render_unit(unit: FacilityUnit) -> UnitOut:
    return UnitOut(
        id=unit.id,
        facility_id=unit.facility_id,
        name=unit.name,
        sex=unit.sex,
        sex_label=UNIT_SEX_LABELS[UnitSex(unit.sex)],
        group=unit.group,
        group_label=UNIT_GROUP_LABELS[UnitGroup(unit.group)],
        capacity=unit.capacity,
        occupied=unit.occupied,
        free=max(unit.capacity - unit.occupied, 0) if unit.active else 0,
        notes=unit.notes,
        active=unit.active,
    )


def render(facility: Facility, units: Sequence[FacilityUnit]) -> FacilityOut:
    shown = [render_unit(u) for u in units]
    return FacilityOut(
        id=facility.id,
        name=facility.name,
        kind=facility.kind,
        kind_label=FACILITY_LABELS[FacilityKind(facility.kind)],
        region_code=facility.region_code,
        agency_id=facility.agency_id,
        address=facility.address,
        lat=facility.lat,
        lon=facility.lon,
        rules=[RuleOut(code=r, label=RULE_LABELS[Rule(r)]) for r in facility.rules],
        stay_limit_days=stay_limit(facility),
        active=facility.active,
        capacity=sum(u.capacity for u in shown if u.active),
        occupied=sum(u.occupied for u in shown),
        free=sum(u.free for u in shown),
        units=shown,
    )


async def units_of(session: AsyncSession, facility_ids: Sequence[uuid.UUID]) -> list[FacilityUnit]:
    if not facility_ids:
        return []
    rows = await session.scalars(
        select(FacilityUnit)
        .where(FacilityUnit.facility_id.in_(facility_ids))
        .order_by(FacilityUnit.facility_id, FacilityUnit.name)
    )
    return list(rows.all())


async def _agency(session: AsyncSession, principal: Principal, agency_id: uuid.UUID | None) -> None:
    if agency_id is None:
        return
    agency = await scoped.find(session, principal, Agency, agency_id)
    if not agency.active:
        raise Conflict(f"instansi {agency.name} tidak aktif (the agency is inactive)")


def _unit(facility: Facility, body: UnitIn) -> FacilityUnit:
    return FacilityUnit(
        id=uuid.uuid4(),
        facility_id=facility.id,
        name=body.name,
        sex=body.sex,
        group=body.group,
        capacity=body.capacity,
        occupied=0,
        notes=body.notes,
    )


async def create(session: AsyncSession, principal: Principal, body: FacilityIn) -> FacilityOut:
    require(principal, MANAGE, "manage facilities")
    require_region(principal, body.region_code)
    if body.region_code.count(".") < 1:
        raise Unprocessable("fasilitas berada di sebuah kab/kota atau di bawahnya", field="region_code")
    await _agency(session, principal, body.agency_id)
    now = utcnow()
    facility = Facility(
        id=uuid.uuid4(),
        name=body.name,
        kind=body.kind,
        region_code=body.region_code,
        agency_id=body.agency_id,
        address=body.address,
        lat=body.lat,
        lon=body.lon,
        rules=sorted({str(r) for r in body.rules}),
        stay_limit_days=body.stay_limit_days,
        created_at=now,
        updated_at=now,
        created_by_id=principal.user_id,
    )
    session.add(facility)
    await session.flush()
    units = [_unit(facility, u) for u in body.units]
    session.add_all(units)
    await session.flush()
    _event(session, principal, facility, "facility.created", units=len(units))
    return render(facility, units)


def _event(
    session: AsyncSession, principal: Principal, facility: Facility, type_: str, **data: object
) -> None:
    events.record(
        session,
        type_,
        actor=principal,
        region_code=facility.region_code,
        data={"facility_id": str(facility.id), "facility": facility.name, "kind": facility.kind, **data},
    )


async def get(session: AsyncSession, principal: Principal, facility_id: uuid.UUID) -> Facility:
    facility = await scoped.find(session, principal, Facility, facility_id)
    require(principal, READ, "read facilities")
    return facility


async def detail(session: AsyncSession, principal: Principal, facility_id: uuid.UUID) -> FacilityOut:
    facility = await get(session, principal, facility_id)
    return render(facility, await units_of(session, [facility.id]))


async def listing(
    session: AsyncSession,
    principal: Principal,
    *,
    region: str | None,
    kind: FacilityKind | None,
    include_inactive: bool,
) -> list[FacilityOut]:
    """Facilities in the caller's region (and those of the kab/kota his smaller region lies in)."""
    require(principal, READ, "read facilities")
    q = select(Facility).order_by(Facility.region_code, Facility.name)
    if region:
        require_region(principal, region)
        q = q.where(in_region(Facility.region_code, region))
    if kind is not None:
        q = q.where(Facility.kind == kind)
    if not include_inactive:
        q = q.where(Facility.active)
    rows = [f for f in (await session.scalars(q)).all() if await scoped.reaches(session, principal, f)]
    units = await units_of(session, [f.id for f in rows])
    return [render(f, [u for u in units if u.facility_id == f.id]) for f in rows]


async def patch(
    session: AsyncSession, principal: Principal, facility_id: uuid.UUID, body: FacilityPatch
) -> FacilityOut:
    facility = await scoped.find(session, principal, Facility, facility_id, lock=True)
    require(principal, MANAGE, "manage facilities")
    require_region(principal, facility.region_code)
    changed = body.model_dump(exclude_unset=True)
    for name in ("name", "address", "lat", "lon", "stay_limit_days", "active"):
        # null clears what may be empty (stay_limit_days: back to the kind's); a name and active stay.
        if name in changed and (changed[name] is not None or name not in ("name", "active")):
            setattr(facility, name, changed[name])
    if body.rules is not None:
        facility.rules = sorted({str(r) for r in body.rules})
    facility.updated_at = utcnow()
    _event(session, principal, facility, "facility.updated", changed=sorted(changed))
    return render(facility, await units_of(session, [facility.id]))


async def add_unit(
    session: AsyncSession, principal: Principal, facility_id: uuid.UUID, body: UnitIn
) -> UnitOut:
    facility = await scoped.find(session, principal, Facility, facility_id, lock=True)
    require(principal, MANAGE, "manage facilities")
    require_region(principal, facility.region_code)
    taken = await session.scalar(
        select(FacilityUnit.id).where(FacilityUnit.facility_id == facility.id, FacilityUnit.name == body.name)
    )
    if taken is not None:
        raise Conflict(f"unit bernama {body.name} sudah ada di {facility.name}")
    unit = _unit(facility, body)
    session.add(unit)
    await session.flush()
    _event(session, principal, facility, "facility.unit_added", unit_id=str(unit.id), unit=unit.name)
    return render_unit(unit)


async def locked_unit(session: AsyncSession, unit_id: uuid.UUID) -> FacilityUnit:
    """The unit's row lock: every change of its occupancy holds it (admissions wait for each other)."""
    unit = await session.scalar(
        select(FacilityUnit)
        .where(FacilityUnit.id == unit_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert unit is not None
    return unit


async def patch_unit(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, body: UnitPatch
) -> UnitOut:
    found = await scoped.find(session, principal, FacilityUnit, unit_id)
    facility = await session.get_one(Facility, found.facility_id)
    require(principal, MANAGE, "manage facilities")
    require_region(principal, facility.region_code)
    unit = await locked_unit(session, found.id)
    changed = body.model_dump(exclude_unset=True)
    if body.capacity is not None and body.capacity < unit.occupied:
        raise Conflict(
            f"kapasitas {body.capacity} lebih kecil dari penghuni saat ini ({unit.occupied}); "
            "pindahkan atau keluarkan penghuni dulu",
            occupied=unit.occupied,
        )
    if ("sex" in changed or "group" in changed) and unit.occupied:
        raise Conflict(
            f"unit {unit.name} berpenghuni ({unit.occupied}); jenis kelamin dan kelompok unit hanya diubah "
            "saat kosong",
            occupied=unit.occupied,
        )
    if body.name is not None and body.name != unit.name:
        taken = await session.scalar(
            select(FacilityUnit.id).where(
                FacilityUnit.facility_id == unit.facility_id, FacilityUnit.name == body.name
            )
        )
        if taken is not None:
            raise Conflict(f"unit bernama {body.name} sudah ada di {facility.name}")
    for name in ("name", "sex", "group", "capacity", "notes", "active"):
        if name in changed and changed[name] is not None:
            setattr(unit, name, changed[name])
    unit.updated_at = utcnow()
    _event(
        session, principal, facility, "facility.unit_updated", unit_id=str(unit.id), changed=sorted(changed)
    )
    return render_unit(unit)
