"""Assessments (asesmen) of an incident's subjects: structured, versioned (each new one a whole form, the
earlier ones kept), from the crew working the case (its phone) or the console (the shelter's social worker).
Health data is specific personal data (UU PDP): read only by the console and the crew working the case, and
every write and read is audited; the timeline's event carries no health data."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.facilities.assessment import LABELS
from app.models import Assessment, Incident, IncidentSubject, Person
from app.models.base import utcnow
from app.schemas.facilities import AssessmentIn, AssessmentOut, Labelled
from app.services import audit, events, incidents, scoped
from app.services.access import TRIAGE, Principal, require
from app.services.persons import records, subjects

FORM_FIELDS = (
    "condition",
    "physical_signs",
    "mental_signs",
    "needs",
    "identity_found",
    "identity_note",
    "family_known",
    "family_note",
    "risk",
    "risk_note",
    "consent",
    "legal_basis",
    "notes",
)


async def _may(session: AsyncSession, principal: Principal, incident: Incident, action: str) -> None:
    """The console, or the crew working the incident now."""
    if principal.role in TRIAGE or await incidents.assigned_to_caller(session, principal, incident.id):
        return
    require(principal, TRIAGE, action)


def _audit(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[Assessment],
    region: str,
    action: str,
    why: str,
) -> None:
    for a in rows:
        audit.record(
            session,
            principal,
            action=action,
            entity_type="assessment",
            entity_id=a.id,
            fields=[f for f in FORM_FIELDS if a.form.get(f) not in (None, [], "")],
            region_code=region,
            purpose=why,
        )


async def record(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, body: AssessmentIn
) -> Assessment:
    incident = await incidents.get_visible(session, principal, incident_id)
    await _may(session, principal, incident, "assess subjects")
    # The subject's lock numbers the versions one after another (two assessors at once: 1 and 2).
    subject = await subjects.get(session, incident, ordinal, lock=True)
    last = await session.scalar(
        select(func.max(Assessment.version)).where(Assessment.subject_id == subject.id)
    )
    now = utcnow()
    form: dict[str, Any] = body.model_dump(mode="json", include=set(FORM_FIELDS))
    assessment = Assessment(
        id=uuid.uuid4(),
        subject_id=subject.id,
        incident_id=incident.id,
        person_id=subject.person_id,
        version=(last or 0) + 1,
        place=body.place,
        assessor_name=body.assessor.name,
        assessor_role=body.assessor.role,
        assessed_at=body.assessed_at or now,
        form=form,
        recorded_at=now,
        recorded_by_id=principal.user_id,
    )
    session.add(assessment)
    await session.flush()
    _audit(session, principal, [assessment], incident.region_code, "create", "assessment")
    events.record(
        session,
        "assessment.recorded",
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "assessment_id": str(assessment.id),
            "subject_id": str(subject.id),
            "ordinal": subject.ordinal,
            "person_id": str(subject.person_id) if subject.person_id else None,
            "version": assessment.version,
            "place": assessment.place,
            "assessor_role": assessment.assessor_role,
        },
    )
    return assessment


def _l(code: str) -> Labelled:
    return Labelled(code=code, label=LABELS[code])


async def render(session: AsyncSession, rows: Sequence[Assessment]) -> list[AssessmentOut]:
    if not rows:
        return []
    found = await session.execute(
        select(IncidentSubject.id, IncidentSubject.ordinal).where(
            IncidentSubject.id.in_({a.subject_id for a in rows})
        )
    )
    ordinals = {row.id: row.ordinal for row in found}
    newest = await session.execute(
        select(Assessment.subject_id, func.max(Assessment.version).label("version"))
        .where(Assessment.subject_id.in_({a.subject_id for a in rows}))
        .group_by(Assessment.subject_id)
    )
    latest = {row.subject_id: row.version for row in newest}
    out = []
    for a in rows:
        f = a.form
        out.append(
            AssessmentOut(
                id=a.id,
                incident_id=a.incident_id,
                subject_id=a.subject_id,
                ordinal=ordinals[a.subject_id],
                person_id=a.person_id,
                version=a.version,
                current=latest.get(a.subject_id) == a.version,
                place=_l(a.place),
                assessor_name=a.assessor_name,
                assessor_role=_l(a.assessor_role),
                assessed_at=a.assessed_at,
                recorded_at=a.recorded_at,
                condition=_l(f["condition"]),
                physical_signs=[_l(x) for x in f.get("physical_signs", [])],
                mental_signs=[_l(x) for x in f.get("mental_signs", [])],
                needs=[_l(x) for x in f.get("needs", [])],
                identity_found=f["identity_found"],
                identity_note=f.get("identity_note"),
                family_known=f["family_known"],
                family_note=f.get("family_note"),
                risk=_l(f["risk"]),
                risk_note=f.get("risk_note"),
                consent=_l(f["consent"]),
                legal_basis=_l(f["legal_basis"]),
                notes=f.get("notes"),
            )
        )
    return out


async def of_subject(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int
) -> list[AssessmentOut]:
    """Every version, newest first (the first is the current one)."""
    incident = await incidents.get_visible(session, principal, incident_id)
    await _may(session, principal, incident, "read assessments")
    subject = await subjects.get(session, incident, ordinal)
    rows = (
        await session.scalars(
            select(Assessment).where(Assessment.subject_id == subject.id).order_by(Assessment.version.desc())
        )
    ).all()
    _audit(session, principal, rows, incident.region_code, "read", "subject assessments")
    return await render(session, rows)


async def of_person(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> list[AssessmentOut]:
    """A person's assessments across his incidents, newest first (the console; audited)."""
    person = await scoped.find(session, principal, Person, person_id)
    require(principal, records.HANDLE, "read assessments")
    rows = (
        await session.scalars(
            select(Assessment)
            .join(IncidentSubject, IncidentSubject.id == Assessment.subject_id)
            .where(or_(Assessment.person_id == person.id, IncidentSubject.person_id == person.id))
            .order_by(Assessment.recorded_at.desc(), Assessment.version.desc())
        )
    ).all()
    _audit(session, principal, rows, person.region_code, "read", "person assessments")
    return await render(session, rows)
