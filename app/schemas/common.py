from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from app import clock, identity
from app.reference import regions
from app.reference.categories import CATEGORIES

# Indonesia's extent (Sabang to Merauke, Miangas to Rote) with a small margin for its waters.
LAT_MIN, LAT_MAX = -11.2, 6.3
LON_MIN, LON_MAX = 94.7, 141.1
# Documented text limits.
NAME_MAX = 120
ADDRESS_MAX = 500
LANDMARK_MAX = 200
DESCRIPTION_MAX = 4000
NOTE_MAX = 4000
EXTERNAL_REF_MAX = 500


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _region(code: str) -> str:
    if not regions.is_well_formed(code):
        raise ValueError("must be a Kemendagri code such as 21.71 or 21.71.01.1002")
    if not regions.exists(code):
        raise ValueError(f"unknown region code {code}")
    return code


def _category(code: str) -> str:
    if code not in CATEGORIES:
        raise ValueError(f"unknown category {code!r}; see GET /api/v1/categories")
    return code


def _phone(value: str) -> str:
    return identity.normalize_phone(value)


def _not_future(value: datetime) -> datetime:
    if value > clock.now() + timedelta(minutes=5):
        raise ValueError("must not be in the future")
    return value.astimezone(UTC)


RegionCode = Annotated[str, StringConstraints(max_length=13), AfterValidator(_region)]
CategoryCode = Annotated[str, StringConstraints(max_length=16), AfterValidator(_category)]
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(_phone)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
PastTime = Annotated[AwareDatetime, AfterValidator(_not_future)]
Latitude = Annotated[float, Field(ge=LAT_MIN, le=LAT_MAX, description="WGS84, inside Indonesia")]
Longitude = Annotated[float, Field(ge=LON_MIN, le=LON_MAX, description="WGS84, inside Indonesia")]


class Page(BaseModel):
    next_cursor: str | None = None


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        c: {"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {}}}
        for c in codes
    }
