"""Reopening a resolved incident (a supervisor's act, with a reason): a new episode with its own 4CT timing,
and the subjects whose outcome no longer holds wait for a new one (the timeline keeps the old)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.lifecycle import Status
from app.errors import InvalidTransition, Unprocessable
from app.models import Incident, IncidentSubject, Role
from app.persons.status import OUTCOME_LABELS, SubjectOutcome, SubjectStatus
from app.schemas.family import ReopenIn
from app.schemas.incidents import TransitionIn
from app.services import dispatch, events, incidents
from app.services.access import Principal, require


async def reopen(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: ReopenIn
) -> Incident:
    """Returns the incident (its episode number is the new one; the episodes are in its detail)."""
    seen = await incidents.get_visible(session, principal, incident_id)
    require(principal, (Role.admin, Role.supervisor), "reopen a resolved incident")
    if seen.status != Status.resolved:
        raise InvalidTransition(
            f"insiden berstatus {seen.status}; hanya insiden yang selesai ditindak (resolved) dibuka kembali",
            current_status=seen.status,
            allowed=[],
        )
    wanted = sorted(set(body.subjects))
    found = {
        s.ordinal: s
        for s in await session.scalars(
            select(IncidentSubject)
            .where(IncidentSubject.incident_id == seen.id, IncidentSubject.ordinal.in_(wanted))
            .with_for_update()
        )
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        raise Unprocessable(
            "subjek " + ", ".join(map(str, missing)) + " tidak ada di insiden ini", field="subjects"
        )
    incident: Incident = await dispatch.transition(
        session, principal, seen.id, TransitionIn(to=Status.handling, reason=body.reason)
    )
    for n in wanted:
        subject = found[n]
        if subject.outcome is None:
            continue
        before = subject.outcome
        subject.outcome = subject.outcome_note = subject.outcome_at = subject.outcome_by_id = None
        subject.status = SubjectStatus.open
        events.record(
            session,
            "subject.outcome_reopened",
            actor=principal,
            incident_id=incident.id,
            region_code=incident.region_code,
            data={
                "subject_id": str(subject.id),
                "ordinal": n,
                "before": before,
                "before_label": OUTCOME_LABELS[SubjectOutcome(before)],
                "episode": incident.episode,
                "reason": body.reason,
            },
        )
    await session.flush()
    return incident
