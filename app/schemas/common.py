from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

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


# C0 and C1 control characters but tab, newline and carriage return, and lone surrogates (JSON lets a body
# carry "\u0000" or "\ud800"; PostgreSQL refuses to store either, and no person typed them).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(value: str) -> str:
    found = CONTROL.search(value)
    if found:
        raise ValueError(
            f"must not contain control characters (U+{ord(found.group()):04X} at position {found.start()}); "
            "newlines and tabs are fine"
        )
    return value


# Documented bounds of every instant and date the API takes: wide enough for any real case, narrow enough
# that time-zone offsets and shift arithmetic never leave what Python and PostgreSQL can represent.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# Ids taken from the outside (BIGINT columns).
INT64_MAX = 2**63 - 1


def bounded(value: datetime) -> datetime:
    """Between 1970-01-01 and 2100-01-01 UTC (a time without offset is read as UTC)."""
    try:
        utc = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    except OverflowError:
        utc = EARLIEST - timedelta(days=1) if value.year < 2000 else LATEST
    if not EARLIEST <= utc < LATEST:
        raise ValueError("must be between 1970-01-01 and 2100-01-01 (UTC)")
    return value


def bounded_date(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError("must be between 1970-01-01 and 2099-12-31")
    return value


def _printable_within(value: Any) -> None:
    if isinstance(value, datetime):
        bounded(value)
    elif isinstance(value, date):
        bounded_date(value)
    elif isinstance(value, str):
        printable(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _printable_within(k)
            _printable_within(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            _printable_within(v)


class Strict(BaseModel):
    """Every request body: unknown fields refused, text trimmed, no control characters in any text, dates
    and instants within the documented bounds (nested models check their own fields, so the error names
    the field)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable_and_bounded(cls, value: Any) -> Any:
        if not isinstance(value, BaseModel):
            _printable_within(value)
        return value


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
PastTime = Annotated[AwareDatetime, AfterValidator(bounded), AfterValidator(_not_future)]
# For query parameters (bodies are checked by Strict): an instant with an offset, or any instant (no offset
# = UTC), within the documented bounds.
Instant = Annotated[AwareDatetime, AfterValidator(bounded)]
AnyInstant = Annotated[datetime, AfterValidator(bounded)]
BigId = Annotated[int, Field(ge=1, le=INT64_MAX)]
Latitude = Annotated[float, Field(ge=LAT_MIN, le=LAT_MAX, description="WGS84, inside Indonesia")]
Longitude = Annotated[float, Field(ge=LON_MIN, le=LON_MAX, description="WGS84, inside Indonesia")]


class Page(BaseModel):
    next_cursor: str | None = None


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        c: {"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {}}}
        for c in codes
    }
