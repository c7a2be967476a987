"""The subject-access export (UU PDP): everything held on one person, in one document."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from app.schemas.common import Out
from app.schemas.facilities import AssessmentOut, PlacementOut
from app.schemas.family import HandoverOut, RepatriationOut, TraceOut
from app.schemas.persons import LinkOut, MergeOut, PersonOut, SubjectOut


class ExportSubject(SubjectOut):
    """The subject row in full (the NIK unmasked) with the note on his outcome."""

    outcome_note: str | None = None


class ExportIncident(Out):
    id: uuid.UUID
    category: str
    category_label: str
    status: str
    status_label: str
    region_code: str
    first_received_at: datetime
    found_at: datetime | None
    responded_at: datetime | None
    acted_at: datetime | None
    completed_at: datetime | None
    outcome: str | None
    subject: ExportSubject


class CorrectionOut(Out):
    id: uuid.UUID
    changes: dict[str, Any] = Field(description='{"field": {"before": ..., "after": ...}}')
    reason: str
    corrected_at: datetime
    corrected_by: str | None


class RejectionOut(Out):
    subject_id: uuid.UUID
    incident_id: uuid.UUID
    reason: str | None
    rejected_at: datetime


class AccessOut(Out):
    """One line of the access audit trail about his data: who, in what role, did what, and why."""

    at: datetime
    actor: str
    actor_role: str
    action: str
    entity_type: str
    entity_id: uuid.UUID
    fields: list[str]
    purpose: str


class PersonExport(Out):
    exported_at: datetime
    exported_by: str
    purpose: str
    person: PersonOut
    absorbed: list[PersonOut] = Field(description="records merged into this one (his data too)")
    incidents: list[ExportIncident]
    assessments: list[AssessmentOut]
    placements: list[PlacementOut]
    tracing: list[TraceOut] = Field(
        description="contacts tried to find his family; the family member's phone masked (a third party's)"
    )
    handovers: list[HandoverOut] = Field(
        description="his handovers (serah terima) with their receipt; the receiver's NIK and phone masked"
    )
    repatriations: list[RepatriationOut] = Field(description="his returns to another kab/kota or province")
    links: list[LinkOut] = Field(description="every link of a subject to him, undone ones included")
    merges: list[MergeOut]
    corrections: list[CorrectionOut]
    rejections: list[RejectionOut] = Field(description="subjects an operator said were not him")
    access_log: list[AccessOut] = Field(description="who read or changed his data (this export included)")
