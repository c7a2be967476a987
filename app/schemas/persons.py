"""Persons (klien), incident subjects, match proposals, links, merges."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app import clock
from app.persons import nik as nik_rules
from app.persons.status import SubjectOutcome
from app.schemas.common import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    Name,
    Out,
    Phone,
    RegionCode,
    Strict,
    _printable_within,
)
from app.schemas.reports import Sex

REASON_MAX = 500


def _nik(value: str) -> str:
    nik_rules.parse_nik(value, today=clock.now().date())
    return value


def _kk(value: str) -> str:
    return nik_rules.check_kk(value)


def _past(value: date) -> date:
    if value > clock.now().date():
        raise ValueError("tanggal lahir tidak boleh di masa depan (a birth date cannot be in the future)")
    if value.year < 1900:
        raise ValueError("tanggal lahir sebelum 1900 (a birth date before 1900)")
    return value


Nik = Annotated[str, StringConstraints(max_length=16), AfterValidator(_nik)]
Kk = Annotated[str, StringConstraints(max_length=16), AfterValidator(_kk)]
BirthDate = Annotated[date, AfterValidator(_past)]
Description = Annotated[str, StringConstraints(min_length=1, max_length=DESCRIPTION_MAX)]
Reason = Annotated[str, StringConstraints(min_length=3, max_length=REASON_MAX)]


class Vulnerability(StrEnum):
    """Kerentanan: what makes a person's data specific (UU PDP) and his care particular."""

    odgj = "odgj"  # orang dengan gangguan jiwa
    disability = "disability"  # penyandang disabilitas
    child = "child"  # anak
    elderly = "elderly"  # lanjut usia
    pregnant = "pregnant"  # hamil
    chronic_illness = "chronic_illness"  # sakit kronis
    hiv = "hiv"  # ODHA
    napza = "napza"  # korban NAPZA
    former_prisoner = "former_prisoner"  # bekas warga binaan
    trafficking_victim = "trafficking_victim"  # korban perdagangan orang
    violence_victim = "violence_victim"  # korban kekerasan
    homeless = "homeless"  # gelandangan


class BirthPrecision(StrEnum):
    day = "day"
    month = "month"
    year = "year"


class FamilyContact(Strict):
    name: Name
    relation: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    phone: Phone | None = None
    note: Annotated[str, StringConstraints(max_length=REASON_MAX)] | None = None


class PersonFields(Strict):
    """What a person record holds; every field may be left out."""

    name: Name | None = None
    aliases: list[Name] = Field(default_factory=list, max_length=20)
    birth_date: BirthDate | None = Field(default=None, description="known (or partly known) birth date")
    birth_precision: BirthPrecision | None = Field(
        default=None, description="how much of birth_date is known: day, month or year"
    )
    approx_age: int | None = Field(default=None, ge=0, le=120, description="age by eye, when no birth date")
    sex: Sex | None = None
    nik: Nik | None = Field(default=None, description="16-digit NIK; checked (date, sex), shown masked")
    kk: Kk | None = Field(default=None, description="16-digit family card (KK) number")
    description: Description | None = None
    home_region_code: RegionCode | None = None
    family_contacts: list[FamilyContact] = Field(default_factory=list, max_length=20)
    vulnerabilities: list[Vulnerability] = Field(default_factory=list, max_length=len(Vulnerability))

    @field_validator("*", mode="after")
    @classmethod
    def _printable_and_bounded(cls, value: Any, info: ValidationInfo) -> Any:  # type: ignore[override]
        # Strict's bounds (1970-2099) are for instants of the service; people were born long before 1970.
        if info.field_name != "birth_date" and not isinstance(value, BaseModel):
            _printable_within(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PersonFields:
        if self.birth_date is not None and self.approx_age is not None:
            raise ValueError("give birth_date or approx_age, not both")
        if self.nik is not None:
            info = nik_rules.parse_nik(self.nik, today=clock.now().date())
            if self.sex not in (None, "unknown", info.sex):
                raise ValueError(
                    f"NIK ini milik seorang {'perempuan' if info.sex == 'female' else 'laki-laki'}"
                    f" (the NIK says {info.sex}, sex says {self.sex})"
                )
            if (
                self.birth_date is not None
                and self.birth_date != info.birth_date
                and (self.birth_precision in (None, BirthPrecision.day))
            ):
                raise ValueError(
                    f"tanggal lahir berbeda dengan NIK ({info.birth_date.isoformat()}) "
                    "(birth_date differs from the NIK's)"
                )
        return self


class PersonCreate(PersonFields):
    region_code: RegionCode | None = Field(
        default=None, description="kab/kota that holds the record; the caller's by default"
    )


class PersonPatch(PersonFields):
    """A correction: only the fields sent change (null clears one); the reason goes to the audit trail."""

    reason: Reason


class SubjectIn(Strict):
    name: Name | None = None
    aliases: list[Name] = Field(default_factory=list, max_length=20)
    sex: Sex = "unknown"
    approx_age: int | None = Field(default=None, ge=0, le=120)
    nik: Nik | None = None
    description: Description | None = None


class SubjectsIn(Strict):
    """Subjects to add to an incident: given one by one, or read from one of its reports (`from_report_id`:
    as many subjects as the report counted, the first with the name and NIK it gave)."""

    subjects: list[SubjectIn] = Field(default_factory=list, max_length=100)
    from_report_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SubjectsIn:
        if bool(self.subjects) == (self.from_report_id is not None):
            raise ValueError("give subjects or from_report_id (one of them)")
        return self


class LinkIn(Strict):
    person_id: uuid.UUID


class RejectIn(Strict):
    person_id: uuid.UUID
    reason: Annotated[str, StringConstraints(max_length=REASON_MAX)] | None = None


class UnlinkIn(Strict):
    reason: Reason


class MergeIn(Strict):
    absorbed_id: uuid.UUID = Field(description="the other record of the same person, merged into this one")
    reason: Reason


class SplitIn(Strict):
    absorbed_id: uuid.UUID = Field(description="the record merged into this one, to restore")
    reason: Reason


class FamilyContactOut(Out):
    name: str | None
    relation: str
    phone: str | None
    note: str | None


class PersonOut(Out):
    id: uuid.UUID
    region_code: str
    name: str | None
    aliases: list[str]
    birth_date: date | None
    birth_precision: str | None
    birth_year_min: int | None
    birth_year_max: int | None
    sex: str
    nik: str | None
    kk: str | None
    description: str | None
    home_region_code: str | None
    family_contacts: list[FamilyContactOut]
    vulnerabilities: list[str]
    last_seen_region_code: str | None
    last_seen_at: datetime | None
    merged_into_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    masked: bool = Field(description="true when NIK, KK, names and phones are shown masked")
    anonymised_at: datetime | None = Field(
        default=None, description="when retention removed the identity (the record stays, anonymous)"
    )


class HistoryItem(Out):
    incident_id: uuid.UUID
    subject_id: uuid.UUID
    ordinal: int
    category: str
    status: str
    region_code: str
    first_received_at: datetime
    linked_at: datetime
    how: str


class MergeOut(Out):
    id: uuid.UUID
    kept_id: uuid.UUID
    absorbed_id: uuid.UUID
    merged_at: datetime
    split_at: datetime | None
    reason: str | None


class PlacementSummary(Out):
    """Where he stayed: one line per placement (the whole record: GET /persons/{id}/placements)."""

    id: uuid.UUID
    incident_id: uuid.UUID
    ordinal: int
    facility_id: uuid.UUID
    facility: str
    unit: str
    status: str
    status_label: str
    admitted_at: datetime
    ended_at: datetime | None
    discharge_label: str | None
    current: bool = Field(description="true while he is there (an active placement)")


class PersonDetail(PersonOut):
    history: list[HistoryItem]
    merges: list[MergeOut]
    placements: list[PlacementSummary] = Field(description="current and past placements, newest first")


class SubjectOut(Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    ordinal: int
    status: str
    person_id: uuid.UUID | None
    name: str | None
    aliases: list[str]
    sex: str
    approx_age: int | None
    nik: str | None
    description: str | None
    report_id: uuid.UUID | None
    created_at: datetime
    outcome: str | None = None
    outcome_label: str | None = None
    outcome_at: datetime | None = None


class OutcomeIn(Strict):
    outcome: SubjectOutcome = Field(description="how this person's path ended")
    note: Annotated[str, StringConstraints(max_length=NOTE_MAX)] | None = None


class MatchOut(Out):
    person: PersonOut
    score: float = Field(description="0..1; 1 = the same NIK")
    strength: Literal["pasti", "kuat", "mungkin"]
    reasons: list[str] = Field(description="why, in Bahasa Indonesia")
    history: list[HistoryItem]


class MatchesOut(Out):
    subject: SubjectOut
    matches: list[MatchOut]
    checked: int = Field(description="candidates scored (found by NIK, name keys and place)")


class ProposalOut(Out):
    """A likely existing person proposed when a report arrived, and what the operator answered."""

    id: uuid.UUID
    report_id: uuid.UUID
    ordinal: int | None = Field(description="the subject made from the report (none yet: made on confirm)")
    person: PersonOut
    score: float = Field(description="0..1 when proposed; 1 = the same NIK")
    strength: Literal["pasti", "kuat", "mungkin"]
    reasons: list[str] = Field(description="why, in Bahasa Indonesia")
    proposed_at: datetime
    state: Literal["open", "confirmed", "rejected"]
    history: list[HistoryItem] = Field(description="the person's other incidents, newest first")


class ProposalRejectIn(Strict):
    reason: Annotated[str, StringConstraints(max_length=REASON_MAX)] | None = None


class LinkOut(Out):
    id: uuid.UUID
    subject_id: uuid.UUID
    incident_id: uuid.UUID
    person_id: uuid.UUID
    how: str
    score: float | None
    reasons: list[str]
    linked_at: datetime
    unlinked_at: datetime | None
    unlink_reason: str | None
