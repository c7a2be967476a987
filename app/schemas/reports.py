from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from app.dispatch.priority import FLAGS
from app.schemas.common import (
    ADDRESS_MAX,
    DESCRIPTION_MAX,
    EXTERNAL_REF_MAX,
    LANDMARK_MAX,
    CategoryCode,
    Latitude,
    Longitude,
    Name,
    Out,
    PastTime,
    Phone,
    RegionCode,
    Strict,
)
from app.schemas.triage import SuggestionOut


class Channel(StrEnum):
    call_center = "call_center"
    social_media = "social_media"
    patrol = "patrol"
    referral = "referral"
    public_app = "public_app"
    community = "community"
    walk_in = "walk_in"


Flag = Literal["injured", "agitated", "child", "elderly", "shackled", "deceased", "alone", "pregnant", "sick"]
assert set(Flag.__args__) == set(FLAGS)  # type: ignore[attr-defined]
Sex = Literal["male", "female", "unknown"]
Nik = Annotated[str, StringConstraints(pattern=r"^\d{16}$")]


class ReporterIn(Strict):
    name: Name | None = None
    phone: Phone | None = None
    anonymous: bool = False

    @model_validator(mode="after")
    def _anonymous_has_no_identity(self) -> ReporterIn:
        if self.anonymous and (self.name or self.phone):
            raise ValueError("an anonymous reporter has no name or phone")
        return self


class LocationIn(Strict):
    lat: Latitude | None = None
    lon: Longitude | None = None
    region_code: RegionCode | None = None
    address: Annotated[str, StringConstraints(max_length=ADDRESS_MAX)] | None = None
    landmark: Annotated[str, StringConstraints(max_length=LANDMARK_MAX)] | None = None

    @model_validator(mode="after")
    def _coordinates_in_pairs(self) -> LocationIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        return self


class SubjectIn(Strict):
    count: int = Field(default=1, ge=1, le=500)
    approx_age: int | None = Field(default=None, ge=0, le=120)
    sex: Sex = "unknown"
    flags: list[Flag] = Field(default_factory=list, max_length=len(FLAGS))
    name: Name | None = None
    nik: Nik | None = Field(default=None, description="16-digit NIK, if known")


class ReportCreate(Strict):
    channel: Channel
    received_at: PastTime | None = Field(
        default=None, description="when the report reached the team; now if empty"
    )
    reporter: ReporterIn = Field(default_factory=ReporterIn)
    location: LocationIn
    category: CategoryCode = "unknown"
    description: Annotated[str, StringConstraints(min_length=1, max_length=DESCRIPTION_MAX)]
    subject: SubjectIn = Field(default_factory=SubjectIn)
    external_ref: Annotated[str, StringConstraints(max_length=EXTERNAL_REF_MAX)] | None = None
    incident_id: uuid.UUID | None = Field(default=None, description="attach to this open incident")


class PublicReportCreate(Strict):
    """What a citizen sends without an account: where, what, optionally how to reach him."""

    location: LocationIn
    category: CategoryCode = "unknown"
    description: Annotated[str, StringConstraints(min_length=1, max_length=DESCRIPTION_MAX)]
    subject: SubjectIn = Field(default_factory=SubjectIn)
    reporter: ReporterIn = Field(default_factory=ReporterIn)

    @model_validator(mode="after")
    def _needs_region(self) -> PublicReportCreate:
        if self.location.region_code is None:
            raise ValueError("location.region_code is required for public reports")
        return self


class ReporterOut(Out):
    name: str | None
    phone: str | None
    anonymous: bool


class SubjectOut(Out):
    count: int
    approx_age: int | None
    sex: str
    flags: list[str]
    name: str | None
    nik: str | None


class LocationOut(Out):
    lat: float | None
    lon: float | None
    region_code: str
    address: str | None
    landmark: str | None


class ReportOut(Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    channel: str
    received_at: datetime
    created_at: datetime
    category: str
    description: str
    reporter: ReporterOut
    location: LocationOut
    subject: SubjectOut
    external_ref: str | None
    tracking_code: str | None
    suggestion: SuggestionOut | None = Field(
        default=None, description="the triage's reading of the description: a suggestion, never applied"
    )


class PublicReportReceipt(Out):
    tracking_code: str
    status: str
    received_at: datetime


class PublicReportStatus(Out):
    tracking_code: str
    status: Literal["received", "in_progress", "resolved", "closed", "rejected"]
    category: str
    received_at: datetime
    updated_at: datetime


class MyReport(ReportOut):
    incident_status: str
