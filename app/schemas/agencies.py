"""Agencies, routing rules, referrals and webhook endpoints as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, AwareDatetime, Field, StringConstraints, field_validator

from app.dispatch.referralflow import ReferralStatus
from app.schemas.common import NOTE_MAX, CategoryCode, Name, Out, Page, Patch, Phone, RegionCode, Strict
from app.schemas.incidents import Outcome

# dinas_sosial: another region's Dinas Sosial (the receiver of a repatriation).
AgencyKind = Literal[
    "police",
    "bpbd",
    "rsj",
    "hospital",
    "puskesmas",
    "satpol_pp",
    "dukcapil",
    "village",
    "ngo",
    "dinas_sosial",
    "other",
]
Flag = Literal["injured", "agitated", "child", "elderly", "shackled", "deceased", "alone", "pregnant", "sick"]
# What an agency may answer, in the order an answer usually comes.
AnswerStatus = Literal[
    ReferralStatus.acknowledged, ReferralStatus.accepted, ReferralStatus.declined, ReferralStatus.completed
]
# Personal data a webhook payload may carry when the endpoint is allowed it (none by default).
PersonalField = Literal["subject_name", "subject_nik", "reporter_name", "reporter_phone"]
Short = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class Contact(Strict):
    name: Name
    role: Annotated[str, StringConstraints(max_length=80)] = ""
    phone: Phone | None = None
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = (
        None
    )


class AgencyIn(Strict):
    name: Annotated[str, StringConstraints(min_length=2, max_length=160)]
    kind: AgencyKind
    region_code: RegionCode = Field(
        description="the area it serves: a Polsek its kecamatan, a Polres its kab/kota"
    )
    contacts: list[Contact] = Field(default_factory=list, max_length=20)


class AgencyPatch(Patch):
    name: Annotated[str, StringConstraints(min_length=2, max_length=160)] | None = None
    contacts: list[Contact] | None = Field(default=None, max_length=20)
    active: bool | None = None


class AgencyOut(Out):
    id: uuid.UUID
    name: str
    kind: str
    region_code: str
    contacts: list[Contact]
    active: bool
    created_at: datetime


class RuleIn(Strict):
    name: Annotated[str, StringConstraints(min_length=2, max_length=160)]
    region_code: RegionCode = Field(description="where the rule applies (incidents in this area)")
    category: CategoryCode = Field(description="the category, or a parent of the incident's category")
    flags: list[Flag] = Field(default_factory=list, description="all of these subject flags must be present")
    agency_kind: AgencyKind | None = Field(
        default=None,
        description="refer to the most local active agency of this kind whose area holds the incident",
    )
    agency_id: uuid.UUID | None = Field(default=None, description="or always to this agency")
    completes_incident: bool = Field(
        default=False, description="the agency's 'completed' answer with an outcome resolves the incident"
    )

    @field_validator("flags")
    @classmethod
    def _unique(cls, flags: list[str]) -> list[str]:
        return sorted(set(flags))


class RulePatch(Patch):
    name: Annotated[str, StringConstraints(min_length=2, max_length=160)] | None = None
    flags: list[Flag] | None = None
    completes_incident: bool | None = None
    active: bool | None = None


class RuleOut(Out):
    id: uuid.UUID
    name: str
    region_code: str
    category: str
    flags: list[str]
    agency_kind: str | None
    agency_id: uuid.UUID | None
    completes_incident: bool
    active: bool
    created_at: datetime


class ReferIn(Strict):
    agency_id: uuid.UUID
    reason: Short


class AnswerIn(Strict):
    status: AnswerStatus
    note: Annotated[str, StringConstraints(max_length=NOTE_MAX)] | None = None
    reason: Short | None = Field(default=None, description="required when declining")
    outcome: Outcome | None = Field(default=None, description="with 'completed': what became of the person")


class AnswerOnBehalfIn(AnswerIn):
    """An agency's answer received another way, recorded by the console on its behalf."""

    received_via: Literal["phone", "in_person", "letter", "message"] = Field(
        description="how the answer came: telepon, langsung, surat, pesan"
    )
    contact: Annotated[str, StringConstraints(min_length=2, max_length=120)] = Field(
        description="who gave it, e.g. 'Bripka Andi, piket Polsek Batu Ampar'"
    )


class CancelIn(Strict):
    reason: Short


class IncidentBrief(Out):
    """What an agency sees of an incident referred to it: where, what, how urgent; no personal data."""

    id: uuid.UUID
    status: str
    category: str
    priority: int
    region_code: str
    lat: float | None
    lon: float | None
    address: str | None
    landmark: str | None
    subject_count: int
    subject_flags: list[str]
    first_received_at: datetime


class ReferralOut(Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    agency_id: uuid.UUID
    status: ReferralStatus
    reason: str
    rule_id: uuid.UUID | None
    completes_incident: bool
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    accepted_at: datetime | None
    declined_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    answer_note: str | None
    decline_reason: str | None
    outcome: str | None


class AgencyReferralOut(ReferralOut):
    incident: IncidentBrief


class ReferralPage(Page):
    items: list[AgencyReferralOut]


# ---- webhook endpoints -----------------------------------------------------------------------------------


class EndpointIn(Strict):
    url: AnyHttpUrl = Field(
        description="https in production; private addresses only when an admin allows them"
    )
    description: Annotated[str, StringConstraints(max_length=200)] = ""
    event_types: list[Annotated[str, StringConstraints(max_length=48)]] = Field(
        default_factory=list, max_length=50, description="types or 'prefix.*'; empty = all agency events"
    )
    region_code: RegionCode | None = Field(default=None, description="narrower than the agency's area")
    personal_data: list[PersonalField] = Field(default_factory=list)


class EndpointPatch(Patch):
    clearable = frozenset({"description"})

    url: AnyHttpUrl | None = None
    description: Annotated[str, StringConstraints(max_length=200)] | None = None
    event_types: list[Annotated[str, StringConstraints(max_length=48)]] | None = Field(
        default=None, max_length=50
    )
    personal_data: list[PersonalField] | None = None
    enabled: bool | None = None


class EndpointOut(Out):
    id: uuid.UUID
    agency_id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    region_code: str
    personal_data: list[str]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    created_at: datetime
    secret_expiries: list[datetime | None] = Field(description="the signing secrets in use, newest first")


class EndpointCreated(EndpointOut):
    secret: str = Field(description="the signing secret (whsec_...); shown once")


class RotateIn(Strict):
    overlap_seconds: int = Field(default=24 * 3600, ge=0, le=7 * 24 * 3600)


class RotateOut(Strict):
    secret: str
    previous_expires_at: datetime | None


class AttemptOut(Out):
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None


class DeliveryOut(Out):
    id: int
    endpoint_id: uuid.UUID
    message_id: str
    event_seq: int
    event_type: str
    incident_id: uuid.UUID | None
    status: str
    attempts: int
    due_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    origin: str


class DeliveryDetail(DeliveryOut):
    attempt_log: list[AttemptOut]


class ReplayIn(Strict):
    since: AwareDatetime
    until: AwareDatetime


class ReplayOut(Strict):
    queued: int
