"""Open data for the public: counts of real cases and 4CT compliance by month, small cells suppressed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from app.schemas.common import Out


class Column(Out):
    code: str
    label: str


class OpenRow(Out):
    # A kab/kota or kecamatan code; null: incidents placed only to the kab/kota (no kecamatan known).
    code: str | None
    label: str
    # One count per column; null: suppressed (disembunyikan), never a hidden 0.
    cells: list[int | None]
    total: int | None


class OpenTotals(Out):
    cells: list[int | None]
    total: int | None


class OpenScope(Out):
    month: str
    # null: all Indonesia by kab/kota; a kab/kota code: its kecamatan.
    region: str | None
    region_label: str
    method: str
    generated_at: datetime


class OpenDataCounts(OpenScope):
    level: Literal["kabkota", "kecamatan"]
    columns: list[Column]
    rows: list[OpenRow]
    totals: OpenTotals


class OpenStage(Out):
    # Incidents whose stage is decided (met in time or late); null when under 5: then nothing is shown.
    decided: int | None
    compliance: float | None
    median_minutes: float | None


class OpenComplianceRow(Out):
    code: str
    label: str
    stages: dict[str, OpenStage]


class OpenDataCompliance(OpenScope):
    rows: list[OpenComplianceRow]
