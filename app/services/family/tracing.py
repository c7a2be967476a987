"""Family tracing: the contacts tried for a person (or an incident's subject), listed on the person and on
the incident's timeline. Phones are in full only for those handling the case (the region's console and the
crew working it), each such read audited; the timeline carries them masked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import identity
from app.family.vocab import LABELS, RELATION_LABELS, Relation
from app.models import IncidentSubject, Person, TracingContact
from app.models.base import utcnow
from app.schemas.family import TraceIn, TraceOut
from app.services import audit, events, incidents, scoped
from app.services.access import TRIAGE, Principal, require
from app.services.persons import subjects

PERSONAL = ("contact_name", "phone", "address")


def _fields(row: TracingContact) -> list[str]:
    return [f for f in PERSONAL if getattr(row, f)]


def render(row: TracingContact, *, reveal: bool, ordinal: int | None = None) -> TraceOut:
    return TraceOut(
        id=row.id,
        person_id=row.person_id,
        incident_id=row.incident_id,
        subject_ordinal=ordinal,
        contact_name=row.contact_name,
        relation=row.relation,
        relation_label=RELATION_LABELS[Relation(row.relation)],
        phone=row.phone if reveal else identity.mask_phone(row.phone),
        address=row.address,
        contact_region_code=row.contact_region_code,
        method=row.method,
        method_label=LABELS[row.method],
        result=row.result,
        result_label=LABELS[row.result],
        note=row.note,
        contacted_at=row.contacted_at,
        by_id=row.by_id,
    )


def _new(
    principal: Principal,
    body: TraceIn,
    *,
    region_code: str,
    person_id: uuid.UUID | None,
    subject: IncidentSubject | None,
) -> TracingContact:
    return TracingContact(
        id=uuid.uuid4(),
        person_id=person_id,
        incident_id=subject.incident_id if subject else None,
        subject_id=subject.id if subject else None,
        region_code=region_code,
        contact_name=body.contact_name,
        relation=str(body.relation),
        phone=body.phone,
        address=body.address,
        contact_region_code=body.contact_region_code,
        method=str(body.method),
        result=str(body.result),
        note=body.note,
        contacted_at=body.contacted_at or utcnow(),
        by_id=principal.user_id,
        created_at=utcnow(),
    )


def _event(session: AsyncSession, principal: Principal, row: TracingContact, ordinal: int | None) -> None:
    # No name, address or note in the log (it feeds the live stream and stays for years): the phone masked.
    events.record(
        session,
        "family.contact_tried",
        actor=principal,
        incident_id=row.incident_id,
        region_code=row.region_code,
        data={
            "contact_id": str(row.id),
            "person_id": str(row.person_id) if row.person_id else None,
            "ordinal": ordinal,
            "relation": row.relation,
            "method": row.method,
            "result": row.result,
            "label": f"{LABELS[row.method]}: {LABELS[row.result]}",
            "phone": identity.mask_phone(row.phone),
            "contacted_at": row.contacted_at.isoformat(),
        },
    )


async def for_subject(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, body: TraceIn
) -> TraceOut:
    incident = await incidents.get_visible(session, principal, incident_id, lock=True)
    if principal.role not in TRIAGE and not await incidents.assigned_to_caller(
        session, principal, incident.id
    ):
        require(principal, TRIAGE, "record family tracing for this incident")
    subject = await subjects.get(session, incident, ordinal)
    row = _new(
        principal, body, region_code=incident.region_code, person_id=subject.person_id, subject=subject
    )
    session.add(row)
    audit.record(
        session,
        principal,
        action="create",
        entity_type="tracing_contact",
        entity_id=row.id,
        fields=_fields(row),
        region_code=incident.region_code,
        purpose="family tracing",
    )
    _event(session, principal, row, ordinal)
    await session.flush()
    return render(row, reveal=True, ordinal=ordinal)


async def for_person(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, body: TraceIn
) -> TraceOut:
    person = await scoped.find(session, principal, Person, person_id)
    require(principal, TRIAGE, "record family tracing")
    row = _new(principal, body, region_code=person.region_code, person_id=person.id, subject=None)
    session.add(row)
    audit.record(
        session,
        principal,
        action="create",
        entity_type="tracing_contact",
        entity_id=row.id,
        fields=_fields(row),
        region_code=person.region_code,
        purpose="family tracing",
    )
    _event(session, principal, row, None)
    await session.flush()
    return render(row, reveal=True)


async def _ordinals(session: AsyncSession, rows: Sequence[TracingContact]) -> dict[uuid.UUID, int]:
    ids = {r.subject_id for r in rows if r.subject_id}
    if not ids:
        return {}
    found = await session.execute(
        select(IncidentSubject.id, IncidentSubject.ordinal).where(IncidentSubject.id.in_(ids))
    )
    return {row[0]: row[1] for row in found.all()}


def _audit_reads(
    session: AsyncSession, principal: Principal, rows: Sequence[TracingContact], purpose: str
) -> None:
    for row in rows:
        audit.record(
            session,
            principal,
            action="read",
            entity_type="tracing_contact",
            entity_id=row.id,
            fields=_fields(row),
            region_code=row.region_code,
            purpose=purpose,
        )


async def of_incident(session: AsyncSession, principal: Principal, incident_id: uuid.UUID) -> list[TraceOut]:
    """The console of the region and the crew working the case (both handle it): phones in full, audited."""
    incident = await incidents.get_visible(session, principal, incident_id)
    assigned = await incidents.assigned_to_caller(session, principal, incident.id)
    if principal.role not in TRIAGE and not assigned:
        require(principal, TRIAGE, "read the family tracing of this incident")
    rows = (
        await session.scalars(
            select(TracingContact)
            .where(TracingContact.incident_id == incident.id)
            .order_by(TracingContact.contacted_at, TracingContact.id)
        )
    ).all()
    _audit_reads(session, principal, rows, "assigned crew" if assigned else "family tracing")
    ordinals = await _ordinals(session, rows)
    return [render(r, reveal=True, ordinal=ordinals.get(r.subject_id or r.id)) for r in rows]


async def of_person(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> list[TraceOut]:
    """Every contact tried for a person: on his own record and through the incidents he was a subject of."""
    person = await scoped.find(session, principal, Person, person_id)
    require(principal, TRIAGE, "read persons")
    subject_ids = select(IncidentSubject.id).where(IncidentSubject.person_id == person.id)
    rows = (
        await session.scalars(
            select(TracingContact)
            .where(or_(TracingContact.person_id == person.id, TracingContact.subject_id.in_(subject_ids)))
            .order_by(TracingContact.contacted_at, TracingContact.id)
        )
    ).all()
    _audit_reads(session, principal, rows, "family tracing")
    ordinals = await _ordinals(session, rows)
    return [render(r, reveal=True, ordinal=ordinals.get(r.subject_id or r.id)) for r in rows]
