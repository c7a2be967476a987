"""Facilities, their units, placements and suggestions as the API takes and shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from app.facilities.assessment import (
    AssessorRole,
    Condition,
    Consent,
    LegalBasis,
    MentalSign,
    Need,
    PhysicalSign,
    Place,
    Risk,
)
from app.facilities.kinds import DischargeReason, FacilityKind, UnitGroup, UnitSex
from app.facilities.rules import Rule
from app.schemas.common import (
    ADDRESS_MAX,
    NOTE_MAX,
    Latitude,
    Longitude,
    Name,
    Out,
    PastTime,
    RegionCode,
    Strict,
)

FacilityName = Annotated[str, StringConstraints(min_length=2, max_length=160)]
Note = Annotated[str, StringConstraints(min_length=1, max_length=NOTE_MAX)]
Reason = Annotated[str, StringConstraints(min_length=3, max_length=500)]
Address = Annotated[str, StringConstraints(min_length=1, max_length=ADDRESS_MAX)]
Destination = Annotated[str, StringConstraints(min_length=2, max_length=300)]
Capacity = Annotated[int, Field(ge=0, le=1000, description="beds")]
StayDays = Annotated[
    int, Field(ge=0, le=3650, description="days before the length-of-stay alert; 0: none; null: the kind's")
]


def _both_or_neither(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise ValueError("give lat and lon together")


class UnitIn(Strict):
    name: Name
    sex: UnitSex
    group: UnitGroup
    capacity: Capacity
    notes: Note | None = None


class UnitPatch(Strict):
    name: Name | None = None
    sex: UnitSex | None = None
    group: UnitGroup | None = None
    capacity: Capacity | None = None
    notes: Note | None = None
    active: bool | None = None


class FacilityIn(Strict):
    name: FacilityName
    kind: FacilityKind
    region_code: RegionCode = Field(description="where it is: a kab/kota or below")
    agency_id: uuid.UUID | None = Field(
        default=None, description="the partner agency that runs it, if not Dinsos"
    )
    address: Address | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    rules: list[Rule] = Field(default_factory=lambda: list(Rule), description="separation rules that apply")
    stay_limit_days: StayDays | None = None
    units: list[UnitIn] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _coordinates(self) -> FacilityIn:
        _both_or_neither(self.lat, self.lon)
        if len({u.name for u in self.units}) != len(self.units):
            raise ValueError("unit names must differ within a facility")
        return self


class FacilityPatch(Strict):
    name: FacilityName | None = None
    address: Address | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    rules: list[Rule] | None = None
    stay_limit_days: StayDays | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _coordinates(self) -> FacilityPatch:
        _both_or_neither(self.lat, self.lon)
        return self


class UnitOut(Out):
    id: uuid.UUID
    facility_id: uuid.UUID
    name: str
    sex: str
    sex_label: str
    group: str
    group_label: str
    capacity: int
    occupied: int
    free: int
    notes: str | None
    active: bool


class RuleOut(Out):
    code: str
    label: str


class FacilityOut(Out):
    id: uuid.UUID
    name: str
    kind: str
    kind_label: str
    region_code: str
    agency_id: uuid.UUID | None
    address: str | None
    lat: float | None
    lon: float | None
    rules: list[RuleOut]
    stay_limit_days: int | None = Field(description="in effect: the facility's, else its kind's (null: none)")
    active: bool
    capacity: int
    occupied: int
    free: int
    units: list[UnitOut]


class AdmitIn(Strict):
    unit_id: uuid.UUID
    note: Note | None = None


class TransferIn(Strict):
    unit_id: uuid.UUID
    reason: Reason


class DischargeIn(Strict):
    reason: DischargeReason
    destination: Destination | None = Field(default=None, description="where he went: a family, a panti, ...")
    destination_region_code: RegionCode | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _where(self) -> DischargeIn:
        needs = {DischargeReason.reunified, DischargeReason.repatriated, DischargeReason.referred}
        if self.reason in needs and self.destination is None:
            raise ValueError(f"destination is required when the reason is {self.reason}")
        return self


class PlacementOut(Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    subject_id: uuid.UUID
    ordinal: int
    person_id: uuid.UUID | None
    facility_id: uuid.UUID
    facility: str
    unit_id: uuid.UUID
    unit: str
    status: str
    status_label: str
    admitted_at: datetime
    note: str | None
    transferred_from_id: uuid.UUID | None
    referral_id: uuid.UUID | None
    ended_at: datetime | None
    discharge_reason: str | None
    discharge_label: str | None
    destination: str | None
    destination_region_code: str | None
    end_note: str | None
    stay_due_at: datetime | None
    stay_alerted_at: datetime | None


class SuggestionOut(Out):
    unit_id: uuid.UUID
    unit: str
    facility_id: uuid.UUID
    facility: str
    kind_label: str
    group_label: str
    free: int
    distance_km: float | None
    reasons: list[str]


class RefusedOut(Out):
    unit_id: uuid.UUID
    unit: str
    facility: str
    full: bool
    reasons: list[str]


class SuggestionsOut(Out):
    subject_id: uuid.UUID
    suggestions: list[SuggestionOut]
    refused: list[RefusedOut]


# ---- assessment ----------------------------------------------------------------------------------------


class Assessor(Strict):
    name: Name
    role: AssessorRole


class AssessmentIn(Strict):
    """One whole assessment (a new version; the earlier ones stay)."""

    place: Place
    assessor: Assessor
    assessed_at: PastTime | None = Field(default=None, description="when it was done (default: now)")
    condition: Condition
    physical_signs: list[PhysicalSign] = Field(default_factory=list, max_length=len(PhysicalSign))
    mental_signs: list[MentalSign] = Field(default_factory=list, max_length=len(MentalSign))
    needs: list[Need] = Field(default_factory=list, max_length=len(Need))
    identity_found: bool
    identity_note: Note | None = None
    family_known: bool
    family_note: Note | None = None
    risk: Risk
    risk_note: Note | None = None
    consent: Consent
    legal_basis: LegalBasis = Field(
        description="the basis for processing: consent only when consent is given"
    )
    notes: Note | None = None

    @model_validator(mode="after")
    def _basis(self) -> AssessmentIn:
        if self.legal_basis == LegalBasis.consent and self.consent != Consent.given:
            raise ValueError(
                "legal_basis consent needs consent given; otherwise name the basis (public_service, ...)"
            )
        for name in ("physical_signs", "mental_signs", "needs"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice")
        return self


class Labelled(Out):
    code: str
    label: str


class AssessmentOut(Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    subject_id: uuid.UUID
    ordinal: int
    person_id: uuid.UUID | None
    version: int
    current: bool
    place: Labelled
    assessor_name: str
    assessor_role: Labelled
    assessed_at: datetime
    recorded_at: datetime
    condition: Labelled
    physical_signs: list[Labelled]
    mental_signs: list[Labelled]
    needs: list[Labelled]
    identity_found: bool
    identity_note: str | None
    family_known: bool
    family_note: str | None
    risk: Labelled
    risk_note: str | None
    consent: Labelled
    legal_basis: Labelled
    notes: str | None
