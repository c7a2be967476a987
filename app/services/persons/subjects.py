"""The subjects of an incident: added one by one or read from a report, listed (masked for the crew)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import identity
from app.dispatch.lifecycle import Status
from app.errors import Forbidden, NotFound, Unprocessable
from app.models import Incident, IncidentSubject, Report
from app.models.base import utcnow
from app.persons.status import OUTCOME_LABELS, SubjectOutcome, SubjectStatus
from app.schemas.persons import OutcomeIn, SubjectOut, SubjectsIn
from app.services import audit, events, incidents
from app.services.access import TRIAGE, Principal, require

MAX_SUBJECTS = 100


def personal_fields(subject: IncidentSubject) -> list[str]:
    return [f for f in ("name", "aliases", "nik", "description") if getattr(subject, f)]


async def get(
    session: AsyncSession, incident: Incident, ordinal: int, *, lock: bool = False
) -> IncidentSubject:
    q = select(IncidentSubject).where(
        IncidentSubject.incident_id == incident.id, IncidentSubject.ordinal == ordinal
    )
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    subject = await session.scalar(q)
    if subject is None:
        raise NotFound(f"subjek {ordinal} dari insiden {incident.id} tidak ditemukan (not found)")
    return subject


async def add(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: SubjectsIn
) -> list[IncidentSubject]:
    incident = await incidents.get_visible(session, principal, incident_id, lock=True)
    require(principal, TRIAGE, "add subjects")
    given = [s.model_dump() for s in body.subjects]
    report_id = None
    if body.from_report_id is not None:
        report = await session.get(Report, body.from_report_id)
        if report is None or report.incident_id != incident.id:
            raise Unprocessable(
                "laporan ini bukan laporan insiden ini (the report is not one of this incident's)",
                field="from_report_id",
            )
        report_id = report.id
        first: dict[str, Any] = {
            "name": report.subject_name,
            "aliases": [],
            "sex": report.subject_sex,
            "approx_age": report.subject_age,
            "nik": report.subject_nik,
            "description": report.description,
        }
        rest = {**first, "name": None, "nik": None}
        given = [first] + [rest] * (min(report.subject_count, MAX_SUBJECTS) - 1)
    last = await session.scalar(
        select(func.max(IncidentSubject.ordinal)).where(IncidentSubject.incident_id == incident.id)
    )
    start = (last or 0) + 1
    if start - 1 + len(given) > MAX_SUBJECTS:
        raise Unprocessable(f"paling banyak {MAX_SUBJECTS} subjek per insiden", field="subjects")
    now = utcnow()
    made = []
    for i, data in enumerate(given):
        subject = IncidentSubject(
            id=uuid.uuid4(),
            incident_id=incident.id,
            ordinal=start + i,
            status=SubjectStatus.open,
            report_id=report_id,
            created_at=now,
            created_by_id=principal.user_id,
            **data,
        )
        session.add(subject)
        made.append(subject)
        audit.record(
            session,
            principal,
            action="create",
            entity_type="incident_subject",
            entity_id=subject.id,
            fields=personal_fields(subject),
            region_code=incident.region_code,
            purpose="incident subject",
        )
        events.record(
            session,
            "subject.added",
            actor=principal,
            incident_id=incident.id,
            region_code=incident.region_code,
            data={"subject_id": str(subject.id), "ordinal": subject.ordinal},
        )
    await session.flush()
    return made


def render(subject: IncidentSubject, *, reveal: bool) -> SubjectOut:
    def m(value: str | None, mask: identity.Masker) -> str | None:
        return value if reveal else mask(value)

    return SubjectOut(
        id=subject.id,
        incident_id=subject.incident_id,
        ordinal=subject.ordinal,
        status=subject.status,
        person_id=subject.person_id,
        name=m(subject.name, identity.mask_name),
        aliases=[a if reveal else identity.mask_name(a) or "" for a in subject.aliases],
        sex=subject.sex,
        approx_age=subject.approx_age,
        nik=identity.mask_nik(subject.nik),
        description=subject.description,
        report_id=subject.report_id,
        created_at=subject.created_at,
        outcome=subject.outcome,
        outcome_label=OUTCOME_LABELS.get(SubjectOutcome(subject.outcome)) if subject.outcome else None,
        outcome_at=subject.outcome_at,
    )


async def listing(session: AsyncSession, principal: Principal, incident_id: uuid.UUID) -> list[SubjectOut]:
    """The console sees names (audited); the crew working the case sees them masked; nobody else."""
    incident = await incidents.get_visible(session, principal, incident_id)
    reveal = principal.role in TRIAGE
    if not reveal and not await incidents.assigned_to_caller(session, principal, incident.id):
        raise Forbidden(f"role {principal.role} may not list the subjects of this incident")
    rows: Sequence[IncidentSubject] = (
        await session.scalars(
            select(IncidentSubject)
            .where(IncidentSubject.incident_id == incident.id)
            .order_by(IncidentSubject.ordinal)
        )
    ).all()
    if reveal:
        for s in rows:
            audit.record(
                session,
                principal,
                action="read",
                entity_type="incident_subject",
                entity_id=s.id,
                fields=[f for f in personal_fields(s) if f != "nik"],
                region_code=incident.region_code,
                purpose="incident subjects",
            )
    return [render(s, reveal=reveal) for s in rows]


async def record_outcome(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, body: OutcomeIn
) -> IncidentSubject:
    """How one person's path ended (reunified, placed, treated, ...): on the timeline. When it is the last
    subject of the incident to get one and the incident is resolved, the incident closes: the 4CT *tuntas*
    stage is stamped with the last outcome. Recording it again with another outcome corrects it (the timeline
    keeps both)."""
    incident = await incidents.get_visible(session, principal, incident_id, lock=True)
    require(principal, TRIAGE, "record outcomes")
    subject = await get(session, incident, ordinal, lock=True)
    if subject.outcome == body.outcome and subject.outcome_note == body.note:
        return subject
    before = subject.outcome
    subject.outcome, subject.outcome_note = str(body.outcome), body.note
    subject.outcome_at, subject.outcome_by_id = utcnow(), principal.user_id
    subject.status = SubjectStatus.done
    events.record(
        session,
        "subject.outcome_recorded",
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "subject_id": str(subject.id),
            "ordinal": subject.ordinal,
            "person_id": str(subject.person_id) if subject.person_id else None,
            "outcome": str(body.outcome),
            "label": OUTCOME_LABELS[body.outcome],
            "before": before,
        },
    )
    await session.flush()
    waiting = await session.scalar(
        select(func.count())
        .select_from(IncidentSubject)
        .where(IncidentSubject.incident_id == incident.id, IncidentSubject.outcome.is_(None))
    )
    if not waiting and incident.status == Status.resolved:
        incidents.move(
            session,
            principal,
            incident,
            Status.closed,
            reason=f"setiap subjek sudah punya hasil (terakhir: subjek {subject.ordinal})",
        )
    return subject


async def without_outcome(session: AsyncSession, incident_id: uuid.UUID) -> list[int]:
    """The subjects of an incident still waiting for their outcome (none when it has no subject rows)."""
    rows = await session.scalars(
        select(IncidentSubject.ordinal)
        .where(IncidentSubject.incident_id == incident_id, IncidentSubject.outcome.is_(None))
        .order_by(IncidentSubject.ordinal)
    )
    return list(rows)
