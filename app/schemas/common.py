from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
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


def _no_null_unless_clearable(schema: dict[str, Any], model: type[BaseModel]) -> None:
    clearable: frozenset[str] = getattr(model, "clearable", frozenset())
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf")
        if name not in clearable and options and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del prop["anyOf"]
            prop.update(rest[0] if len(rest) == 1 else {"anyOf": rest})


class Patch(Strict):
    """A partial change: a field left out stays as it is; `null` is accepted only by the fields that can be
    cleared (`clearable`), so a `"name": null` is a 422 naming the field, never a broken row."""

    model_config = ConfigDict(json_schema_extra=_no_null_unless_clearable)
    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _null_only_where_clearable(self) -> Self:
        for name in sorted(self.model_fields_set - self.clearable):
            if getattr(self, name) is None:
                raise ValueError(f"{name}: tidak boleh null; tinggalkan kolom ini bila tidak diubah")
        return self


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


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "Problem details (RFC 9457); title and detail in Bahasa Indonesia",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["type", "title", "status"],
}

DESCRIPTIONS = {
    400: "Badan permintaan bukan JSON yang sah (malformed JSON)",
    401: "Belum masuk, atau token/kunci tidak sah (not signed in)",
    403: "Peran ini tidak boleh melakukannya (forbidden for this role)",
    404: "Tidak ditemukan dalam jangkauan wilayah pemanggil (not found within the caller's reach)",
    409: "Keadaan saat ini tidak mengizinkannya, atau sudah ada (conflict)",
    413: "Badan permintaan terlalu besar (body too large)",
    415: "Badan permintaan harus JSON (unsupported media type)",
    422: "Isian tidak sah; `errors` menyebut kolomnya (invalid input)",
    429: "Terlalu banyak permintaan; lihat Retry-After (too many requests)",
    503: "Belum siap (not ready)",
}


def problem_response(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS.get(status, "Problem details (RFC 9457)"),
        "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
    }


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: problem_response(c) for c in codes}
