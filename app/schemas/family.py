"""Family tracing, handovers (serah terima) with their receipt, repatriations, reopenings and episodes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.family.vocab import Relation, RepatriationStatus, TraceMethod, TraceResult
from app.schemas.common import NOTE_MAX, Name, Out, PastTime, Phone, RegionCode, Strict
from app.schemas.incidents import EpisodeOut as EpisodeOut
from app.schemas.persons import Nik, Reason

Address = Annotated[str, StringConstraints(min_length=3, max_length=500)]
Note = Annotated[str, StringConstraints(max_length=NOTE_MAX)]


class TraceIn(Strict):
    """One attempt to reach the family: who, how, when (now if left out), and what came of it."""

    contact_name: Name = Field(description="who was sought, e.g. 'Ibu Siti (ibu kandung)'")
    relation: Relation
    phone: Phone | None = Field(default=None, description="08xx or +62...; kept in E.164")
    address: Address | None = None
    contact_region_code: RegionCode | None = Field(default=None, description="where the contact lives")
    method: TraceMethod
    result: TraceResult
    contacted_at: PastTime | None = None
    note: Note | None = None


class TraceOut(Out):
    id: uuid.UUID
    person_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    subject_ordinal: int | None
    contact_name: str
    relation: str
    relation_label: str
    phone: str | None = Field(description="in full for those handling the case, masked for others")
    address: str | None
    contact_region_code: str | None
    method: str
    method_label: str
    result: str
    result_label: str
    note: str | None
    contacted_at: datetime
    by_id: uuid.UUID | None


class HandoverIn(Strict):
    """The handover (serah terima): who received him, when, and the officer who handed him over."""

    receiver_name: Name
    receiver_relation: Relation
    receiver_nik: Nik | None = Field(default=None, description="the receiver's NIK, if shown (optional)")
    receiver_phone: Phone | None = None
    receiver_address: Address
    receiver_region_code: RegionCode | None = None
    handed_over_at: PastTime | None = Field(default=None, description="when; now if left out")
    officer_name: Name | None = Field(default=None, description="the officer; the caller's name if left out")
    note: Note | None = None


class HandoverOut(Out):
    id: uuid.UUID
    receipt_number: str
    receipt_url: str
    incident_id: uuid.UUID
    subject_ordinal: int
    person_id: uuid.UUID | None
    repatriation_id: uuid.UUID | None
    receiver_name: str
    receiver_relation: str
    receiver_relation_label: str
    receiver_nik: str | None = Field(description="masked")
    receiver_phone: str | None = Field(description="masked")
    receiver_address: str
    receiver_region_code: str | None
    handed_over_at: datetime
    officer_name: str
    note: str | None
    outcome: str | None


class RepatriationIn(Strict):
    """Return him to his home region: its Dinas Sosial (an agency of kind dinas_sosial whose area holds the
    destination, the most local one; or the one named) is asked through a referral."""

    destination_region_code: RegionCode = Field(description="the kab/kota or province he goes back to")
    agency_id: uuid.UUID | None = Field(default=None, description="that Dinas Sosial, if not found by region")
    reason: Reason


class RepatriationOut(Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    subject_ordinal: int
    person_id: uuid.UUID | None
    destination_region_code: str
    agency_id: uuid.UUID
    agency_name: str
    referral_id: uuid.UUID
    referral_status: str
    status: RepatriationStatus
    status_label: str
    reason: str | None
    answer_note: str | None
    requested_at: datetime
    answered_at: datetime | None
    arrived_at: datetime | None
    handover: HandoverOut | None = None


class ReopenIn(Strict):
    """Reopen a resolved or closed incident: a new episode with its own 4CT timing; the first stamps stay."""

    reason: Reason
    subjects: list[Annotated[int, Field(ge=1, le=100)]] = Field(
        default_factory=list,
        max_length=100,
        description="subjects whose outcome no longer holds: they wait for a new one (the timeline keeps "
        "the old)",
    )
