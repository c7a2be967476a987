from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from app.dispatch.lifecycle import Status
from app.schemas.common import (
    NOTE_MAX,
    CategoryCode,
    Latitude,
    Longitude,
    Out,
    Page,
    Patch,
    RegionCode,
    Strict,
)
from app.schemas.reports import ReportOut

Reason = Annotated[str, StringConstraints(min_length=3, max_length=NOTE_MAX)]


class RejectionReason(StrEnum):
    hoax = "hoax"
    duplicate = "duplicate"
    out_of_scope = "out_of_scope"


class Outcome(StrEnum):
    reunified = "reunified"
    shelter = "shelter"
    hospital = "hospital"
    rsj = "rsj"
    panti = "panti"
    social_aid = "social_aid"
    skills_training = "skills_training"
    body_handed_over = "body_handed_over"
    buried = "buried"
    handled_on_site = "handled_on_site"
    not_found = "not_found"


class FourCT(Out):
    """4CT stamps: cepat temu, cepat tanggap, cepat tindak, cepat tuntas."""

    found_at: datetime | None
    responded_at: datetime | None
    acted_at: datetime | None
    completed_at: datetime | None
    # Deadlines by stage (temu, tanggap, tindak, tuntas) for the current priority, and those missed.
    deadlines: dict[str, datetime]
    breached: list[str]


class IncidentSummary(Out):
    id: uuid.UUID
    status: Status
    category: str
    priority: int
    region_code: str
    lat: float | None
    lon: float | None
    subject_count: int
    subject_flags: list[str]
    report_count: int
    first_received_at: datetime
    created_at: datetime
    updated_at: datetime
    merged_into_id: uuid.UUID | None
    assigned_crew_id: uuid.UUID | None
    escalated_at: datetime | None
    # 1, then one more at each reopening.
    episode: int = 1


class EpisodeOut(Out):
    number: int
    started_at: datetime
    reason: str | None
    by: str | None
    responded_at: datetime | None
    acted_at: datetime | None
    completed_at: datetime | None
    deadlines: dict[str, datetime]
    breached: list[str]


class EventOut(Out):
    # The log's order; null for the moment between an event's commit and its numbering.
    seq: int | None
    type: str
    occurred_at: datetime
    incident_id: uuid.UUID | None
    crew_id: uuid.UUID | None
    region_code: str | None
    actor: str | None
    data: dict[str, Any]


class FourCTStage(StrEnum):
    temu = "temu"
    tanggap = "tanggap"
    tindak = "tindak"
    tuntas = "tuntas"


class DuplicateCandidate(Out):
    id: uuid.UUID
    status: Status
    category: str
    priority: int
    region_code: str
    distance_m: float | None
    same_village: bool
    created_at: datetime


class IncidentDetail(IncidentSummary):
    priority_source: str
    priority_reasons: list[str]
    address: str | None
    landmark: str | None
    verified_at: datetime | None
    dispatched_at: datetime | None
    four_ct: FourCT
    rejection_reason: str | None
    outcome: str | None
    reports: list[ReportOut]
    timeline: list[EventOut]
    likely_duplicates: list[DuplicateCandidate]
    # 1, then one per reopening, each with its own 4CT timing (the first's stamps are four_ct's).
    episodes: list[EpisodeOut] = Field(default_factory=list)


class IncidentListItem(IncidentSummary):
    """A row of the incident list: the summary and its 4CT stamps, deadlines and breached stages (no
    personal data: the list is not a read of anyone's data)."""

    four_ct: FourCT


class IncidentPage(Page):
    items: list[IncidentListItem]


class VerifyIn(Strict):
    note: Annotated[str, StringConstraints(max_length=NOTE_MAX)] | None = None


class RejectIn(Strict):
    reason: RejectionReason
    note: Reason


class IncidentPatch(Patch):
    category: CategoryCode | None = None
    priority: int | None = Field(default=None, ge=1, le=4)
    reason: Reason


class LocationPatch(Patch):
    """A corrected place: within the same kab/kota (another kab/kota's team takes a case by referral)."""

    clearable = frozenset({"address", "landmark"})
    lat: Latitude | None = None
    lon: Longitude | None = None
    region_code: RegionCode | None = None
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    landmark: Annotated[str, StringConstraints(max_length=200)] | None = None
    reason: Reason

    @model_validator(mode="after")
    def _something_and_pairs(self) -> LocationPatch:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if not self.model_fields_set - {"reason"}:
            raise ValueError("give the corrected lat/lon, region_code, address or landmark")
        return self


class MergeIn(Strict):
    into_incident_id: uuid.UUID
    note: Annotated[str, StringConstraints(max_length=NOTE_MAX)] | None = None


class NoteIn(Strict):
    text: Annotated[str, StringConstraints(min_length=1, max_length=NOTE_MAX)]


class TransitionIn(Strict):
    to: Literal[
        "dispatched",
        "en_route",
        "on_scene",
        "handling",
        "resolved",
        "closed",
        "cancelled",
        "received",
        "verified",
    ]
    reason: Annotated[str, StringConstraints(max_length=NOTE_MAX)] | None = None
    outcome: Outcome | None = None
    at: AwareDatetime | None = Field(
        default=None, description="when it happened, from the crew's phone (4CT stamps use it)"
    )


class NoteOut(Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    text: str
    created_at: datetime
