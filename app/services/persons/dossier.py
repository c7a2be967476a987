"""One person's whole file: the detail the console reads (with his placements), and the subject-access
export (UU PDP art. 32: everything held on him, NIK and KK unmasked, for the authorised reader of his
kab/kota). Both are audited as reads of personal data; the export as an "export" with its own purpose."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.lifecycle import STATUS_LABELS, Status
from app.facilities.kinds import DISCHARGE_LABELS, PLACEMENT_LABELS, DischargeReason, PlacementStatus
from app.models import (
    Assessment,
    AuditEntry,
    Facility,
    FacilityUnit,
    Handover,
    Incident,
    IncidentSubject,
    MatchRejection,
    Person,
    PersonCorrection,
    PersonLink,
    PersonMerge,
    Placement,
    Repatriation,
    TracingContact,
    User,
)
from app.models.base import utcnow
from app.reference.categories import CATEGORIES
from app.schemas.family import HandoverOut, TraceOut
from app.schemas.person_export import (
    AccessOut,
    CorrectionOut,
    ExportIncident,
    ExportSubject,
    PersonExport,
    RejectionOut,
)
from app.schemas.persons import MergeOut, PersonDetail, PlacementSummary
from app.services import audit, scoped
from app.services.access import Principal, require
from app.services.facilities import assessments, placements
from app.services.family import handovers, repatriations, tracing
from app.services.persons import links, records, subjects

EXPORT_PURPOSE = "akses subjek data (UU PDP)"
# The access log in an export: the newest entries (a person read daily for years stays one document).
ACCESS_LIMIT = 2000


async def _placements(session: AsyncSession, person_id: uuid.UUID) -> list[Placement]:
    """His placements, newest first: placed before his subject was linked to him, or linked since."""
    rows = await session.scalars(
        select(Placement)
        .join(IncidentSubject, IncidentSubject.id == Placement.subject_id)
        .where(or_(Placement.person_id == person_id, IncidentSubject.person_id == person_id))
        .order_by(Placement.admitted_at.desc())
    )
    return list(rows.all())


def _audit_placements(
    session: AsyncSession, principal: Principal, rows: Sequence[Placement], region: str, why: str
) -> None:
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


async def summaries(session: AsyncSession, rows: Sequence[Placement]) -> list[PlacementSummary]:
    if not rows:
        return []
    names = await session.execute(
        select(FacilityUnit.id, FacilityUnit.name, Facility.name.label("facility"))
        .join(Facility, Facility.id == FacilityUnit.facility_id)
        .where(FacilityUnit.id.in_({p.unit_id for p in rows}))
    )
    unit_of = {row.id: (row.facility, row.name) for row in names}
    found = await session.execute(
        select(IncidentSubject.id, IncidentSubject.ordinal).where(
            IncidentSubject.id.in_({p.subject_id for p in rows})
        )
    )
    ordinals = {row.id: row.ordinal for row in found}
    return [
        PlacementSummary(
            id=p.id,
            incident_id=p.incident_id,
            ordinal=ordinals[p.subject_id],
            facility_id=p.facility_id,
            facility=unit_of[p.unit_id][0],
            unit=unit_of[p.unit_id][1],
            status=p.status,
            status_label=PLACEMENT_LABELS[PlacementStatus(p.status)],
            admitted_at=p.admitted_at,
            ended_at=p.ended_at,
            discharge_label=DISCHARGE_LABELS[DischargeReason(p.discharge_reason)]
            if p.discharge_reason
            else None,
            current=p.status == PlacementStatus.active,
        )
        for p in rows
    ]


async def _merges(session: AsyncSession, person_id: uuid.UUID) -> list[MergeOut]:
    rows = await session.scalars(
        select(PersonMerge)
        .where((PersonMerge.kept_id == person_id) | (PersonMerge.absorbed_id == person_id))
        .order_by(PersonMerge.merged_at)
    )
    return [MergeOut.model_validate(m) for m in rows]


async def detail(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, *, reveal: bool
) -> PersonDetail:
    person = await scoped.find(session, principal, Person, person_id)
    require(principal, records.HANDLE, "read persons")
    records.audit_read(session, principal, person, reveal=reveal, purpose="person record")
    history = (await records.histories(session, [person.id]))[person.id]
    placed = await _placements(session, person.id)
    _audit_placements(session, principal, placed, person.region_code, "person record")
    return PersonDetail(
        **records.render(person, reveal=reveal).model_dump(),
        history=history,
        merges=await _merges(session, person.id),
        placements=await summaries(session, placed),
    )


async def _incidents(session: AsyncSession, person_id: uuid.UUID) -> list[ExportIncident]:
    rows = await session.execute(
        select(IncidentSubject, Incident)
        .join(Incident, Incident.id == IncidentSubject.incident_id)
        .where(IncidentSubject.person_id == person_id)
        .order_by(Incident.first_received_at.desc())
    )
    out = []
    for subject, incident in rows:
        category = CATEGORIES.get(incident.category)
        shown = subjects.render(subject, reveal=True).model_dump()
        out.append(
            ExportIncident(
                id=incident.id,
                category=incident.category,
                category_label=category.name_id if category else incident.category,
                status=incident.status,
                status_label=STATUS_LABELS[Status(incident.status)],
                region_code=incident.region_code,
                first_received_at=incident.first_received_at,
                found_at=incident.found_at,
                responded_at=incident.responded_at,
                acted_at=incident.acted_at,
                completed_at=incident.completed_at,
                outcome=incident.outcome,
                subject=ExportSubject(**{**shown, "nik": subject.nik}, outcome_note=subject.outcome_note),
            )
        )
    return out


async def _access_log(session: AsyncSession, entity_ids: Sequence[uuid.UUID]) -> list[AccessOut]:
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_id.in_(list(entity_ids)))
        .order_by(AuditEntry.id.desc())
        .limit(ACCESS_LIMIT)
    )
    return [AccessOut.model_validate(a) for a in rows]


async def _family(
    session: AsyncSession, person_ids: Sequence[uuid.UUID]
) -> tuple[list[TracingContact], list[Handover], list[Repatriation]]:
    """The family tracing, handovers and repatriations held on him: made on his record (or a record merged
    into it), or on an incident subject linked to him."""
    his = select(IncidentSubject.id).where(IncidentSubject.person_id.in_(list(person_ids)))
    traced = await session.scalars(
        select(TracingContact)
        .where(or_(TracingContact.person_id.in_(list(person_ids)), TracingContact.subject_id.in_(his)))
        .order_by(TracingContact.contacted_at, TracingContact.id)
    )
    handed = await session.scalars(
        select(Handover)
        .where(or_(Handover.person_id.in_(list(person_ids)), Handover.subject_id.in_(his)))
        .order_by(Handover.handed_over_at, Handover.id)
    )
    returned = await session.scalars(
        select(Repatriation)
        .where(or_(Repatriation.person_id.in_(list(person_ids)), Repatriation.subject_id.in_(his)))
        .order_by(Repatriation.requested_at, Repatriation.id)
    )
    return list(traced.all()), list(handed.all()), list(returned.all())


async def _render_family(
    session: AsyncSession, traced: list[TracingContact], handed: list[Handover]
) -> tuple[list[TraceOut], list[HandoverOut]]:
    """Third parties' data in his own copy (UU PDP art. 32 gives him his data, not his family's): who was
    sought or received him, their relation, how, what came of it, when and where, in full; a family
    member's phone and NIK masked (HandoverOut masks them; the tracing phone likewise)."""
    ordinals = {
        row.id: (row.ordinal, row.outcome)
        for row in (
            await session.execute(
                select(IncidentSubject.id, IncidentSubject.ordinal, IncidentSubject.outcome).where(
                    IncidentSubject.id.in_(
                        {t.subject_id for t in traced if t.subject_id} | {h.subject_id for h in handed}
                    )
                )
            )
        ).all()
    }
    traces = [
        tracing.render(t, reveal=False, ordinal=ordinals[t.subject_id][0] if t.subject_id else None)
        for t in traced
    ]
    return traces, [handovers.render(h, *ordinals[h.subject_id]) for h in handed]


async def export(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> PersonExport:
    """Everything held on one person, unmasked: his record (and the records merged into it), the
    incidents he is a subject of with his subject row and outcome, his assessments (every version), his
    placements, family tracing, handovers and repatriations (third parties' phone and NIK masked), links,
    merges, corrections, rejected proposals, and who read or changed his data."""
    person = await scoped.find(session, principal, Person, person_id)
    require(principal, records.HANDLE, "export a person's data")
    absorbed = list(
        await session.scalars(
            select(Person).where(Person.merged_into_id == person.id).order_by(Person.created_at)
        )
    )
    incidents = await _incidents(session, person.id)
    assessed = list(
        await session.scalars(
            select(Assessment)
            .join(IncidentSubject, IncidentSubject.id == Assessment.subject_id)
            .where(or_(Assessment.person_id == person.id, IncidentSubject.person_id == person.id))
            .order_by(Assessment.recorded_at.desc(), Assessment.version.desc())
        )
    )
    placed = await _placements(session, person.id)
    traced, handed, returned = await _family(session, [person.id, *(a.id for a in absorbed)])
    traces, handover_rows = await _render_family(session, traced, handed)
    linked = list(
        await session.scalars(
            select(PersonLink).where(PersonLink.person_id == person.id).order_by(PersonLink.linked_at)
        )
    )
    corrections = (
        await session.execute(
            select(PersonCorrection, User.username)
            .outerjoin(User, User.id == PersonCorrection.corrected_by_id)
            .where(PersonCorrection.person_id.in_([person.id, *(a.id for a in absorbed)]))
            .order_by(PersonCorrection.corrected_at)
        )
    ).all()
    rejections = (
        await session.execute(
            select(MatchRejection, IncidentSubject.incident_id)
            .join(IncidentSubject, IncidentSubject.id == MatchRejection.subject_id)
            .where(MatchRejection.person_id == person.id)
            .order_by(MatchRejection.rejected_at)
        )
    ).all()
    entity_ids = [
        person.id,
        *(a.id for a in absorbed),
        *(i.subject.id for i in incidents),
        *(a.id for a in assessed),
        *(p.id for p in placed),
        *(t.id for t in traced),
        *(h.id for h in handed),
        *(r.id for r in returned),
    ]
    access = await _access_log(session, entity_ids)
    now = utcnow()
    # The export is itself a read of everything: audited, and shown as the log's newest line.
    fields = sorted(
        {
            *records.personal_fields(person),
            *("incidents", "assessments", "placements", "audit"),
            *("tracing", "handovers", "repatriations"),
        }
    )
    audit.record(
        session,
        principal,
        action="export",
        entity_type="person",
        entity_id=person.id,
        fields=fields,
        region_code=person.region_code,
        purpose=EXPORT_PURPOSE,
    )
    access.insert(
        0,
        AccessOut(
            at=now,
            actor=principal.username,
            actor_role=str(principal.role),
            action="export",
            entity_type="person",
            entity_id=person.id,
            fields=fields,
            purpose=EXPORT_PURPOSE,
        ),
    )
    return PersonExport(
        exported_at=now,
        exported_by=principal.username,
        purpose=EXPORT_PURPOSE,
        person=records.render(person, reveal=True),
        absorbed=[records.render(a, reveal=True) for a in absorbed],
        incidents=incidents,
        assessments=await assessments.render(session, assessed),
        placements=await placements.render_many(session, placed),
        tracing=traces,
        handovers=handover_rows,
        repatriations=[await repatriations.render(session, r) for r in returned],
        links=[links.render_link(link) for link in linked],
        merges=await _merges(session, person.id),
        corrections=[
            CorrectionOut(
                id=c.id, changes=c.changes, reason=c.reason, corrected_at=c.corrected_at, corrected_by=by
            )
            for c, by in corrections
        ],
        rejections=[
            RejectionOut(subject_id=r.subject_id, incident_id=inc, reason=r.reason, rejected_at=r.rejected_at)
            for r, inc in rejections
        ],
        access_log=access,
    )
