"""Placement of an incident's subjects in facility units: admission, transfer, discharge, reading.

Locks, always in this order: the subject's row, then the units' rows in id order. Under the unit's lock the
rules see who is in it now and `occupied` is read and written: concurrent admissions into one unit queue
there, and the database's check constraint refuses a count above capacity whatever the code does. Each step
is an event on the incident's timeline (with the person's id: his history)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.facilities import rules as separation
from app.facilities.kinds import DISCHARGE_LABELS, PLACEMENT_LABELS, DischargeReason, PlacementStatus
from app.models import Agency, Facility, FacilityUnit, Incident, IncidentSubject, Person, Placement
from app.models.base import utcnow
from app.schemas.facilities import AdmitIn, DischargeIn, PlacementOut, TransferIn
from app.services import audit, events, incidents, referrals, scoped
from app.services.access import TRIAGE, Principal, require
from app.services.facilities import registry, residents
from app.services.persons import records, subjects

CLOSED_INCIDENTS = ("rejected", "cancelled")


class SeparationRefused(Conflict):
    code, title = "separation-rule", "Aturan pemisahan dilanggar"


class UnitFull(Conflict):
    code, title = "unit-full", "Unit penuh"


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
    refusals = separation.check(person, residents.unit_attrs(unit), inside, registry.rules_of(facility))
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
    person = residents.resident(subject, await residents.person_of(session, subject), incident.category)
    unit = await registry.locked_unit(session, found.id)
    _admissible(person, unit, facility, (await residents.occupants(session, [unit.id]))[unit.id])
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
    person = residents.resident(subject, await residents.person_of(session, subject), incident.category)
    _admissible(person, unit, facility, (await residents.occupants(session, [unit.id]))[unit.id])
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
            select(Placement)
            .join(IncidentSubject, IncidentSubject.id == Placement.subject_id)
            # Placed before the subject was linked to him, or linked since: both are his.
            .where(or_(Placement.person_id == person.id, IncidentSubject.person_id == person.id))
            .order_by(Placement.admitted_at)
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
