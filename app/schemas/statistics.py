"""Statistics: counts, 4CT compliance and dispatch figures for a region and a span (no personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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
