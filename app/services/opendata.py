"""Open data for the public (no account): a month's figures, read through the statistics service's one
reading of incidents (app/services/statistics.py `incident_rows`), counted and suppressed in
app/reporting/opendata.py.

A month's figures are computed whole (every kab/kota and its kecamatan: the national and kab/kota tables are
suppressed together, so one kab/kota's table depends on all the others) and kept by the worker for
`open_data_cache_seconds`; concurrent first requests for a month wait for one computation.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Unprocessable
from app.models.base import utcnow
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.reporting import opendata
from app.reporting.opendata import MonthFigures, Table
from app.schemas.opendata import (
    Column,
    OpenComplianceRow,
    OpenDataCompliance,
    OpenDataCounts,
    OpenRow,
    OpenStage,
    OpenTotals,
)
from app.services import statistics
from app.services.statistics import Filters, Scope

# Each incident's month is its own kab/kota's: read from the month's start in WIT (UTC+9, the earliest) to
# its end in WIB (UTC+7, the latest), and keep the rows whose own month it is.
_EARLIEST, _LATEST = timedelta(hours=9), timedelta(hours=7)


def parse_month(month: str | None) -> str:
    """YYYY-MM; by default the last whole month (in WIB)."""
    if month is None:
        today = utcnow().astimezone(regions.zone_for("31"))
        first = today.replace(day=1)
        prev = first - timedelta(days=1)
        return f"{prev.year:04d}-{prev.month:02d}"
    return month


def _span(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC) - _EARLIEST
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC) - _LATEST
    return start, end


async def compute(session: AsyncSession, month: str) -> MonthFigures:
    since, until = _span(month)
    where = Scope(region="", since=since, until=until, time_zone=statistics.NATIONAL_ZONE)
    rows = await statistics.incident_rows(session, where, Filters(status=opendata.REAL_STATUSES))
    real = opendata.month_rows(rows, month, statistics.zone_of)
    return opendata.figures(real, month, utcnow())


@dataclass
class Cache:
    """A worker's figures by month, each kept `seconds`; a lock per month so that a burst computes once."""

    seconds: int
    kept: dict[str, tuple[float, MonthFigures, datetime]] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def figures(self, session: AsyncSession, month: str) -> tuple[MonthFigures, datetime]:
        lock = self.locks.setdefault(month, asyncio.Lock())
        async with lock:
            hit = self.kept.get(month)
            if hit is not None and time.monotonic() - hit[0] < self.seconds:
                return hit[1], hit[2]
            made = await compute(session, month)
            at = utcnow()
            if self.seconds > 0:
                if len(self.kept) > 48:  # a few years of months at most; the oldest computed goes first
                    del self.kept[min(self.kept, key=lambda m: self.kept[m][0])]
                self.kept[month] = (time.monotonic(), made, at)
            return made, at


def _region_label(code: str | None) -> str:
    if code is None:
        return "Indonesia"
    if code == opendata.NO_KECAMATAN:
        return "Tanpa kecamatan"
    region = regions.get_region(code)
    return region.name if region else code


def _columns(figures: MonthFigures) -> list[Column]:
    return [Column(code=c, label=CATEGORIES[c].name_id if c in CATEGORIES else c) for c in figures.categories]


def _rows(table: Table) -> list[OpenRow]:
    return [
        OpenRow(code=key or None, label=_region_label(key), cells=cells, total=total)
        for key, cells, total in zip(table.row_keys, table.cells, table.row_totals, strict=True)
    ]


def check_region(region: str | None) -> None:
    if region is not None and (region.count(".") != 1 or not regions.exists(region)):
        raise Unprocessable(
            "wilayah harus kode kabupaten/kota yang dikenal, misalnya 52.71", field="query.region"
        )


def counts(figures: MonthFigures, at: datetime, region: str | None) -> OpenDataCounts:
    check_region(region)
    if region is None:
        table, level = figures.national, "kabkota"
    else:
        table = figures.kabkota.get(region) or opendata.empty_table(len(figures.categories))
        level = "kecamatan"
    return OpenDataCounts(
        month=figures.month,
        region=region,
        region_label=_region_label(region),
        method=opendata.METHOD,
        generated_at=at,
        level=level,
        columns=_columns(figures),
        rows=_rows(table),
        totals=OpenTotals(cells=table.column_totals, total=table.total),
    )


def compliance(figures: MonthFigures, at: datetime) -> OpenDataCompliance:
    return OpenDataCompliance(
        month=figures.month,
        region=None,
        region_label="Indonesia",
        method=opendata.METHOD,
        generated_at=at,
        rows=[
            OpenComplianceRow(
                code=code,
                label=_region_label(code),
                stages={s: OpenStage(**vars(f)) for s, f in stages.items()},
            )
            for code, stages in figures.compliance.items()
        ],
    )
