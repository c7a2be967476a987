"""Placement of an incident's subjects in facility units: admission, transfer, discharge, suggestions.

Locks, always in this order: the subject's row, then the units' rows in id order. Under the unit's lock the
rules see who is in it now and `occupied` is read and written: concurrent admissions into one unit queue
there, and the database's check constraint refuses a count above capacity whatever the code does. Each step
is an event on the incident's timeline (with the person's id: his history)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.engine import Point, haversine_km
from app.errors import Conflict
from app.facilities import rules as separation
from app.facilities import suggest
from app.facilities.kinds import (
    DISCHARGE_LABELS,
    FACILITY_LABELS,
    PLACEMENT_LABELS,
    UNIT_GROUP_LABELS,
    DischargeReason,
    FacilityKind,
    PlacementStatus,
    UnitGroup,
    UnitSex,
)
from app.models import Agency, Facility, FacilityUnit, Incident, IncidentSubject, Person, Placement
from app.models.base import utcnow
from app.schemas.facilities import (
    AdmitIn,
    DischargeIn,
    PlacementOut,
    RefusedOut,
    SuggestionOut,
    SuggestionsOut,
    TransferIn,
)
from app.services import audit, events, incidents, referrals, scoped
from app.services.access import TRIAGE, Principal, require
from app.services.facilities import registry
from app.services.persons import records, subjects

CLOSED_INCIDENTS = ("rejected", "cancelled")
ODGJ_CATEGORIES = frozenset({"ODGJ"})
ELDERLY_CATEGORIES = frozenset({"LUT"})


class SeparationRefused(Conflict):
    code, title = "separation-rule", "Aturan pemisahan dilanggar"


class UnitFull(Conflict):
    code, title = "unit-full", "Unit penuh"


# ---- who the rules see ---------------------------------------------------------------------------------


def _age(subject: IncidentSubject, person: Person | None, today: date) -> int | None:
    if person is not None and person.birth_date is not None:
        b = person.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    if subject.approx_age is not None:
        return subject.approx_age
    if person is not None and person.birth_year_min is not None and person.birth_year_max is not None:
        return today.year - (person.birth_year_min + person.birth_year_max) // 2
    return None


def resident(subject: IncidentSubject, person: Person | None, category: str) -> separation.Resident:
    """What the separation rules know of a subject: his person's record first, then what the reports said."""
    flags = set(person.vulnerabilities) if person is not None else set()
    sex = person.sex if person is not None and person.sex in separation.SEX_WORDS else subject.sex
    return separation.Resident(
        age=_age(subject, person, utcnow().date()),
        sex=sex,
        odgj="odgj" in flags or category in ODGJ_CATEGORIES,
        elderly_flag="elderly" in flags or category in ELDERLY_CATEGORIES,
    )


async def _person(session: AsyncSession, subject: IncidentSubject) -> Person | None:
    return await session.get(Person, subject.person_id) if subject.person_id else None


async def occupants(
    session: AsyncSession, unit_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[separation.Resident]]:
    """Who is in each unit now, as the rules see them."""
    out: dict[uuid.UUID, list[separation.Resident]] = {u: [] for u in unit_ids}
    if not unit_ids:
        return out
    rows = (
        await session.execute(
            select(Placement.unit_id, IncidentSubject, Person, Incident.category)
            .join(IncidentSubject, IncidentSubject.id == Placement.subject_id)
            .join(Incident, Incident.id == Placement.incident_id)
            .outerjoin(Person, Person.id == IncidentSubject.person_id)
            .where(Placement.unit_id.in_(unit_ids), Placement.status == PlacementStatus.active)
        )
    ).all()
    for unit_id, subject, person, category in rows:
        out[unit_id].append(resident(subject, person, category))
    return out


def _unit_attrs(unit: FacilityUnit) -> separation.Unit:
    return separation.Unit(sex=UnitSex(unit.sex), group=UnitGroup(unit.group))


# ---- admission, transfer, discharge --------------------------------------------------------------------


async def _open_subject(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, action: str
) -> tuple[Incident, IncidentSubject]:
    incident = await incidents.get_visible(session, principal, incident_id)
    require(principal, TRIAGE, action)
    return incident, await subjects.get(session, incident, ordinal, lock=True)


async def _active(session: AsyncSession, subject_id: uuid.UUID) -> Placement | None:
    return await session.scalar(
        select(Placement).where(
            Placement.subject_id == subject_id, Placement.status == PlacementStatus.active
        )
    )


async def _target(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID
) -> tuple[FacilityUnit, Facility]:
    unit = await scoped.find(session, principal, FacilityUnit, unit_id)
    facility = await session.get_one(Facility, unit.facility_id)
    return unit, facility


def _admissible(
    person: separation.Resident,
    unit: FacilityUnit,
    facility: Facility,
    inside: Sequence[separation.Resident],
) -> None:
    """409 naming the rule, or the unit being full or closed; under the unit's lock."""
    if not unit.active or not facility.active:
        raise Conflict(f"unit {unit.name} di {facility.name} tidak aktif")
    refusals = separation.check(person, _unit_attrs(unit), inside, registry.rules_of(facility))
    if refusals:
        first = refusals[0]
        raise SeparationRefused(
            f'aturan pemisahan "{first.label}": {first.detail}',
            rules=[{"rule": r.rule, "label": r.label, "detail": r.detail} for r in refusals],
        )
    if unit.occupied >= unit.capacity:
        raise UnitFull(
            f"unit {unit.name} di {facility.name} penuh "
            f"({unit.occupied}/{unit.capacity} tempat tidur terisi)",
            capacity=unit.capacity,
            occupied=unit.occupied,
        )


async def occupy(session: AsyncSession, unit: FacilityUnit, delta: int) -> None:
    """Count a bed taken or freed as `occupied + delta` in SQL (not a value computed here): even a writer
    that skipped the unit's lock cannot push the count past the check constraint unseen."""
    unit.occupied = FacilityUnit.occupied + delta
    await session.flush()
    await session.refresh(unit, ["occupied"])


async def _person_elsewhere(session: AsyncSession, person_id: uuid.UUID | None) -> None:
    if person_id is None:
        return
    other = await session.scalar(
        select(Placement).where(Placement.person_id == person_id, Placement.status == PlacementStatus.active)
    )
    if other is not None:
        raise Conflict(
            f"klien ini sedang ditempatkan (penempatan {other.id}); pindahkan atau keluarkan dulu",
            placement_id=str(other.id),
        )


async def _refer(
    session: AsyncSession, principal: Principal, incident: Incident, facility: Facility
) -> uuid.UUID | None:
    """A facility run by another agency receives the person through the referral loop."""
    if facility.agency_id is None:
        return None
    agency = await session.get_one(Agency, facility.agency_id)
    referral = await referrals.for_placement(
        session, principal, incident, agency, reason=f"penempatan di {facility.name}"
    )
    return referral.id


def _event(
    session: AsyncSession,
    principal: Principal | str,
    type_: str,
    incident: Incident,
    subject: IncidentSubject,
    placement: Placement,
    facility: Facility,
    unit: FacilityUnit,
    **data: object,
) -> None:
    events.record(
        session,
        type_,
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "placement_id": str(placement.id),
            "subject_id": str(subject.id),
            "ordinal": subject.ordinal,
            "person_id": str(placement.person_id) if placement.person_id else None,
            "facility_id": str(facility.id),
            "facility": facility.name,
            "unit_id": str(unit.id),
            "unit": unit.name,
            "occupied": unit.occupied,
            "capacity": unit.capacity,
            **{k: v for k, v in data.items() if v is not None},
        },
    )


def _new_placement(
    principal: Principal,
    incident: Incident,
    subject: IncidentSubject,
    facility: Facility,
    unit: FacilityUnit,
    note: str | None,
) -> Placement:
    now = utcnow()
    limit = registry.stay_limit(facility)
    return Placement(
        id=uuid.uuid4(),
        subject_id=subject.id,
        incident_id=incident.id,
        person_id=subject.person_id,
        facility_id=facility.id,
        unit_id=unit.id,
        status=PlacementStatus.active,
        admitted_at=now,
        admitted_by_id=principal.user_id,
        note=note,
        stay_due_at=now + timedelta(days=limit) if limit else None,
    )


async def admit(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, body: AdmitIn
) -> Placement:
    incident, subject = await _open_subject(session, principal, incident_id, ordinal, "place subjects")
    if incident.status in CLOSED_INCIDENTS:
        raise Conflict(f"insiden berstatus {incident.status}; subjeknya tidak ditempatkan")
    found, facility = await _target(session, principal, body.unit_id)
    current = await _active(session, subject.id)
    if current is not None:
        raise Conflict(
            f"subjek {ordinal} sudah ditempatkan (penempatan {current.id}); gunakan pemindahan (transfer)",
            placement_id=str(current.id),
        )
    await _person_elsewhere(session, subject.person_id)
    person = resident(subject, await _person(session, subject), incident.category)
    unit = await registry.locked_unit(session, found.id)
    _admissible(person, unit, facility, (await occupants(session, [unit.id]))[unit.id])
    placement = _new_placement(principal, incident, subject, facility, unit, body.note)
    placement.referral_id = await _refer(session, principal, incident, facility)
    session.add(placement)
    await occupy(session, unit, +1)
    _event(session, principal, "placement.admitted", incident, subject, placement, facility, unit)
    return placement


async def _placement(
    session: AsyncSession, principal: Principal, placement_id: uuid.UUID, action: str
) -> tuple[Placement, Incident, IncidentSubject]:
    found = await scoped.find(session, principal, Placement, placement_id)
    incident = await incidents.get_visible(session, principal, found.incident_id)
    require(principal, TRIAGE, action)
    subject = await subjects.get(session, incident, await _ordinal(session, found.subject_id), lock=True)
    placement = await session.scalar(
        select(Placement).where(Placement.id == found.id).execution_options(populate_existing=True)
    )
    assert placement is not None
    if placement.status != PlacementStatus.active:
        raise Conflict(
            f"penempatan ini sudah {PLACEMENT_LABELS[PlacementStatus(placement.status)]}",
            current_status=placement.status,
        )
    return placement, incident, subject


async def _ordinal(session: AsyncSession, subject_id: uuid.UUID) -> int:
    ordinal = await session.scalar(select(IncidentSubject.ordinal).where(IncidentSubject.id == subject_id))
    assert ordinal is not None
    return ordinal


async def transfer(
    session: AsyncSession, principal: Principal, placement_id: uuid.UUID, body: TransferIn
) -> Placement:
    placement, incident, subject = await _placement(session, principal, placement_id, "transfer placements")
    found, facility = await _target(session, principal, body.unit_id)
    if found.id == placement.unit_id:
        raise Conflict("subjek sudah berada di unit ini")
    old_facility = await session.get_one(Facility, placement.facility_id)
    locked = {u: await registry.locked_unit(session, u) for u in sorted([found.id, placement.unit_id])}
    old, unit = locked[placement.unit_id], locked[found.id]
    person = resident(subject, await _person(session, subject), incident.category)
    _admissible(person, unit, facility, (await occupants(session, [unit.id]))[unit.id])
    now = utcnow()
    placement.status, placement.ended_at, placement.ended_by_id = (
        PlacementStatus.transferred,
        now,
        principal.user_id,
    )
    placement.end_note = body.reason
    placement.destination = f"{facility.name} / {unit.name}"
    # The old placement ends before the new one begins (one active per subject).
    await occupy(session, old, -1)
    moved = _new_placement(principal, incident, subject, facility, unit, body.reason)
    moved.transferred_from_id = placement.id
    if facility.id != old_facility.id:
        moved.referral_id = await _refer(session, principal, incident, facility)
    else:
        moved.referral_id, moved.stay_due_at = placement.referral_id, placement.stay_due_at
        moved.stay_alerted_at = placement.stay_alerted_at
    session.add(moved)
    await occupy(session, unit, +1)
    _event(
        session,
        principal,
        "placement.transferred",
        incident,
        subject,
        moved,
        facility,
        unit,
        from_placement_id=str(placement.id),
        from_facility=old_facility.name,
        from_unit=old.name,
        reason=body.reason,
    )
    return moved


async def discharge(
    session: AsyncSession, principal: Principal, placement_id: uuid.UUID, body: DischargeIn
) -> Placement:
    placement, incident, subject = await _placement(session, principal, placement_id, "discharge placements")
    facility = await session.get_one(Facility, placement.facility_id)
    unit = await registry.locked_unit(session, placement.unit_id)
    placement.status, placement.ended_at = PlacementStatus.discharged, utcnow()
    placement.ended_by_id = principal.user_id
    placement.discharge_reason = body.reason
    placement.destination = body.destination
    placement.destination_region_code = body.destination_region_code
    placement.end_note = body.note
    await occupy(session, unit, -1)
    _event(
        session,
        principal,
        "placement.discharged",
        incident,
        subject,
        placement,
        facility,
        unit,
        reason=body.reason,
        reason_label=DISCHARGE_LABELS[body.reason],
        destination=body.destination,
        destination_region_code=body.destination_region_code,
    )
    return placement


# ---- reading -------------------------------------------------------------------------------------------


async def render_many(session: AsyncSession, rows: Sequence[Placement]) -> list[PlacementOut]:
    if not rows:
        return []
    units = {
        u.id: u
        for u in await session.scalars(
            select(FacilityUnit).where(FacilityUnit.id.in_({p.unit_id for p in rows}))
        )
    }
    facilities = {
        f.id: f
        for f in await session.scalars(select(Facility).where(Facility.id.in_({p.facility_id for p in rows})))
    }
    found = await session.execute(
        select(IncidentSubject.id, IncidentSubject.ordinal).where(
            IncidentSubject.id.in_({p.subject_id for p in rows})
        )
    )
    ordinals = {row.id: row.ordinal for row in found}
    return [
        PlacementOut(
            id=p.id,
            incident_id=p.incident_id,
            subject_id=p.subject_id,
            ordinal=ordinals[p.subject_id],
            person_id=p.person_id,
            facility_id=p.facility_id,
            facility=facilities[p.facility_id].name,
            unit_id=p.unit_id,
            unit=units[p.unit_id].name,
            status=p.status,
            status_label=PLACEMENT_LABELS[PlacementStatus(p.status)],
            admitted_at=p.admitted_at,
            note=p.note,
            transferred_from_id=p.transferred_from_id,
            referral_id=p.referral_id,
            ended_at=p.ended_at,
            discharge_reason=p.discharge_reason,
            discharge_label=DISCHARGE_LABELS[DischargeReason(p.discharge_reason)]
            if p.discharge_reason
            else None,
            destination=p.destination,
            destination_region_code=p.destination_region_code,
            end_note=p.end_note,
            stay_due_at=p.stay_due_at,
            stay_alerted_at=p.stay_alerted_at,
        )
        for p in rows
    ]


def _audit(
    session: AsyncSession, principal: Principal, rows: Sequence[Placement], region: str, why: str
) -> None:
    # Where a person is placed (an ODGJ ward, a children's home) is specific personal data (UU PDP).
    for p in rows:
        audit.record(
            session,
            principal,
            action="read",
            entity_type="placement",
            entity_id=p.id,
            fields=["facility", "unit", "discharge"],
            region_code=region,
            purpose=why,
        )


async def of_subject(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int
) -> list[PlacementOut]:
    incident = await incidents.get_visible(session, principal, incident_id)
    require(principal, TRIAGE, "read placements")
    subject = await subjects.get(session, incident, ordinal)
    rows = (
        await session.scalars(
            select(Placement).where(Placement.subject_id == subject.id).order_by(Placement.admitted_at)
        )
    ).all()
    _audit(session, principal, rows, incident.region_code, "subject placements")
    return await render_many(session, rows)


async def of_person(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> list[PlacementOut]:
    """A person's placements across incidents (his history), oldest first."""
    person = await scoped.find(session, principal, Person, person_id)
    require(principal, records.HANDLE, "read placements")
    rows = (
        await session.scalars(
            select(Placement).where(Placement.person_id == person.id).order_by(Placement.admitted_at)
        )
    ).all()
    _audit(session, principal, rows, person.region_code, "person placements")
    return await render_many(session, rows)


async def of_unit(session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> list[PlacementOut]:
    """Who is in a unit now (the console: audited)."""
    unit = await scoped.find(session, principal, FacilityUnit, unit_id)
    require(principal, TRIAGE, "list a unit's residents")
    facility = await session.get_one(Facility, unit.facility_id)
    rows = (
        await session.scalars(
            select(Placement)
            .where(Placement.unit_id == unit.id, Placement.status == PlacementStatus.active)
            .order_by(Placement.admitted_at)
        )
    ).all()
    _audit(session, principal, rows, facility.region_code, "unit residents")
    return await render_many(session, rows)


# ---- suggestions ---------------------------------------------------------------------------------------


async def suggestions(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int
) -> SuggestionsOut:
    """The units of the incident's kab/kota the rules allow with a free bed, best first; and why not the
    others. Read by the console and the crew bringing him in."""
    incident = await incidents.get_visible(session, principal, incident_id)
    if principal.role not in TRIAGE and not await incidents.assigned_to_caller(
        session, principal, incident.id
    ):
        require(principal, TRIAGE, "read placement suggestions")
    subject = await subjects.get(session, incident, ordinal)
    person = resident(subject, await _person(session, subject), incident.category)
    regency = records.regency(incident.region_code)
    facilities = {
        f.id: f
        for f in await session.scalars(
            select(Facility).where(
                Facility.active,
                (Facility.region_code == regency)
                | Facility.region_code.startswith(regency + ".", autoescape=True),
            )
        )
    }
    units = [u for u in await registry.units_of(session, list(facilities)) if u.active]
    inside = await occupants(session, [u.id for u in units])
    here = (
        Point(incident.lat, incident.lon) if incident.lat is not None and incident.lon is not None else None
    )
    options = []
    by_key: dict[str, FacilityUnit] = {}
    for u in units:
        f = facilities[u.facility_id]
        far = (
            haversine_km(here, Point(f.lat, f.lon))
            if here is not None and f.lat is not None and f.lon is not None
            else None
        )
        by_key[str(u.id)] = u
        options.append(
            suggest.Option(
                key=str(u.id),
                unit=_unit_attrs(u),
                occupants=inside[u.id],
                free=u.capacity - u.occupied,
                distance_km=round(far, 1) if far is not None else None,
                rules=registry.rules_of(f),
            )
        )
    ok, refused = suggest.rank(person, options)
    return SuggestionsOut(
        subject_id=subject.id,
        suggestions=[
            SuggestionOut(
                unit_id=by_key[s.option.key].id,
                unit=by_key[s.option.key].name,
                facility_id=by_key[s.option.key].facility_id,
                facility=facilities[by_key[s.option.key].facility_id].name,
                kind_label=FACILITY_LABELS[FacilityKind(facilities[by_key[s.option.key].facility_id].kind)],
                group_label=UNIT_GROUP_LABELS[s.option.unit.group],
                free=s.option.free,
                distance_km=s.option.distance_km,
                reasons=s.reasons,
            )
            for s in ok
        ],
        refused=[
            RefusedOut(
                unit_id=by_key[r.option.key].id,
                unit=by_key[r.option.key].name,
                facility=facilities[by_key[r.option.key].facility_id].name,
                full=r.full,
                reasons=[f"{x.label}: {x.detail}" for x in r.refusals] + (["unit penuh"] if r.full else []),
            )
            for r in refused
        ],
    )
