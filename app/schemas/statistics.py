"""Statistics: counts, 4CT compliance and dispatch figures for a region and a span (no personal data)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from app.schemas.common import Out

Dimension = Literal[
    "period",
    "kabkota",
    "kecamatan",
    "kelurahan",
    "category",
    "channel",
    "priority",
    "status",
    "outcome",
    "crew",
]
FourCTDimension = Literal["period", "kabkota", "kecamatan", "kelurahan", "category", "priority", "crew"]


class StatisticScope(Out):
    region: str
    since: datetime
    until: datetime
    # The zone of the region's days (WIB Asia/Jakarta, WITA Asia/Makassar, WIT Asia/Jayapura); in a national
    # statistic each incident's day is its own kab/kota's.
    time_zone: str
    period: Literal["day", "week", "month"]
    by: list[str]


class CountRow(Out):
    # The group's key per dimension (a code, a category, a period such as 2026-11 or 2026-11-23) and its
    # Indonesian label where it has one (region and category names); null key: none (e.g. no kelurahan).
    keys: dict[str, str | None]
    labels: dict[str, str | None]
    count: int


class IncidentCounts(StatisticScope):
    total: int
    rows: list[CountRow]


class StageFigures(Out):
    met: int
    breached: int
    pending: int
    # met / (met + breached); null when none is decided yet.
    compliance: float | None
    # Minutes from the first report to the stage, of those that reached it.
    median_minutes: float | None
    p90_minutes: float | None


class ComplianceRow(Out):
    keys: dict[str, str | None]
    labels: dict[str, str | None]
    incidents: int
    stages: dict[str, StageFigures]


class FourCTCompliance(StatisticScope):
    total: ComplianceRow
    rows: list[ComplianceRow]


class DispatchFigures(Out):
    incidents: int
    incidents_offered: int
    offers: int
    offers_per_incident: float | None
    offers_by_status: dict[str, int]
    # Of the offers answered or left to expire (accepted, released, declined, expired).
    decline_rate: float | None
    expiry_rate: float | None
    incidents_escalated: int
    escalations_by_reason: dict[str, int]


class DispatchStatistics(StatisticScope):
    total: DispatchFigures


class RepeatPerson(Out):
    """A person (klien) who is a subject of two or more of the span's incidents: open the person (audited)."""

    person_id: uuid.UUID
    incidents: int
    last_at: datetime


class RepeatLocation(Out):
    kelurahan: str
    kelurahan_name: str | None
    kecamatan_name: str | None
    # The landmark most reports gave for this place, as typed; the ~110 m cell when there were coordinates.
    landmark: str | None
    lat: float | None
    lon: float | None
    incidents: int
    # Of them, still open.
    open: int
    categories: dict[str, int]
    first_at: datetime
    last_at: datetime


class RepeatLocations(Out):
    region: str
    since: datetime
    until: datetime
    minimum: int
    # How many places had at least `minimum` cases (rows holds the busiest of them, up to `limit`).
    places: int
    rows: list[RepeatLocation]
    repeat_persons: list[RepeatPerson]
    # How many persons are subjects of two or more of the span's real cases (all of them, not only the
    # `limit` listed), and how many of them have 2, 3, 4, or 5 or more ("5+").
    repeat_persons_count: int = 0
    repeat_persons_by_cases: dict[str, int] = Field(default_factory=dict)


class OutcomeRow(Out):
    """Subjects of the span's real cases with one outcome (null: no outcome yet) in one category: how many,
    and how many distinct persons they are (subjects not yet linked to a person are not persons)."""

    category: str
    category_label: str | None
    outcome: str | None
    outcome_label: str | None
    subjects: int
    persons: int


class SubjectOutcomes(Out):
    region: str
    since: datetime
    until: datetime
    subjects: int
    persons: int
    by_outcome: dict[str, int]
    rows: list[OutcomeRow]


class ShiftWorkload(Out):
    crew_id: uuid.UUID
    crew: str
    team: str
    region_code: str
    shift_starts_at: datetime
    shift_ends_at: datetime
    offers: int
    accepted: int
    declined: int
    expired: int
    withdrawn: int
    incidents: int
    # From accepting a case to its release (or the shift's end, or now while it still holds it).
    busy_minutes: float
    # busy_minutes over the shift's length (at most 1).
    utilisation: float | None


class Workload(Out):
    region: str
    since: datetime
    until: datetime
    rows: list[ShiftWorkload]
