"""The monthly report for the head of the Dinas: one kab/kota, one month, and the month before for comparison.
Every figure comes from the statistics service (each month's incidents read once, then counted and measured
with the same functions as the statistics API); only supervisors and admins of the region may have it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Unprocessable
from app.models.base import utcnow
from app.reference import regions
from app.reporting.monthly import MonthFigures
from app.schemas.statistics import IncidentCounts
from app.services import statistics
from app.services.access import Principal
from app.services.statistics import Filters, Scope


@dataclass(frozen=True)
class MonthlyReport:
    region: str
    region_label: str
    generated_at: datetime
    this: MonthFigures
    previous: MonthFigures


def previous_month(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"


def default_month() -> str:
    """The last whole month (WIB): a report is read after its month ends."""
    now = utcnow().astimezone(regions.zone_for("31"))
    return previous_month(f"{now.year:04d}-{now.month:02d}")


async def _month(session: AsyncSession, where: Scope, month: str, now: datetime) -> MonthFigures:
    rows = await statistics.incident_rows(session, where, Filters())

    def counts(dim: str) -> IncidentCounts:
        return statistics.counts_of(rows, where, [dim], "month")

    return MonthFigures(
        month=month,
        by_category=counts("category"),
        by_kecamatan=counts("kecamatan"),
        by_outcome=counts("outcome"),
        by_status=counts("status"),
        compliance=statistics.compliance_of(rows, where, [], "month", now),
        compliance_by_kecamatan=statistics.compliance_of(rows, where, ["kecamatan"], "month", now),
    )


async def monthly_report(
    session: AsyncSession, principal: Principal, region: str | None, month: str | None
) -> MonthlyReport:
    code = region if region is not None else principal.region_code
    month = month or default_month()
    # Region and role are checked by the statistics scope (outside reach: 404; not a supervisor: 403).
    where = statistics.scope(principal, region=code, month=month, since=None, until=None)
    if code.count(".") != 1:
        raise Unprocessable("laporan bulanan dibuat per kabupaten/kota, misalnya 21.71", field="query.region")
    before = previous_month(month)
    prev_where = statistics.scope(principal, region=code, month=before, since=None, until=None)
    now = utcnow()
    found = regions.get_region(code)
    return MonthlyReport(
        region=code,
        region_label=found.name if found else code,
        generated_at=now,
        this=await _month(session, where, month, now),
        previous=await _month(session, prev_where, before, now),
    )
