"""Statistics for supervisors and admins of a region: counts, 4CT compliance, dispatch (no personal data)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, StreamingResponse

from app.api.deps import CurrentPrincipal, SessionDep
from app.api.exports import file_response
from app.dispatch.lifecycle import Status
from app.reference.regions import CODE_PATTERN
from app.reporting import files, html, monthly, tables
from app.schemas.common import AnyInstant, problem_responses
from app.schemas.reports import Channel
from app.schemas.statistics import (
    Dimension,
    DispatchStatistics,
    FourCTCompliance,
    FourCTDimension,
    IncidentCounts,
    RepeatLocations,
    SubjectOutcomes,
    Workload,
)
from app.services import monthly_report as monthly_service
from app.services import recurrence, statistics
from app.services.statistics import Filters, Scope

router = APIRouter(prefix="/statistics", tags=["statistics"])
_errors = {
    200: {"content": {"text/csv": {}, files.XLSX_TYPE: {}}},
    **problem_responses(401, 403, 404, 422),
}

Region = Annotated[
    str | None, Query(pattern=CODE_PATTERN, description="region code prefix (default: the caller's region)")
]
Month = Annotated[
    str | None,
    Query(
        pattern=r"^(19[7-9]\d|20\d\d)-(0[1-9]|1[0-2])$",
        description="a calendar month (1970-2099) in the region's time zone",
    ),
]
PeriodQ = Annotated[Literal["day", "week", "month"], Query(description="time buckets for by=period")]


Format = Annotated[
    Literal["json", "csv", "xlsx"],
    Query(description="json, or a file with Indonesian headers: csv or xlsx (the same figures, a total row)"),
]


async def _file(fmt: Literal["csv", "xlsx"], name: str, table: tables.Table) -> StreamingResponse:
    headers, rows = table
    return await file_response(fmt, name, headers, files.rows_of(rows))


def _scope(
    principal: CurrentPrincipal,
    region: Region = None,
    month: Month = None,
    since: AnyInstant | None = None,
    until: AnyInstant | None = None,
) -> Scope:
    return statistics.scope(principal, region=region, month=month, since=since, until=until)


# Who asks, about which region and span: every statistic's same four query parameters, checked once.
Where = Annotated[Scope, Depends(_scope)]


def _filters(
    category: Annotated[str | None, Query(max_length=16)] = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    status: Annotated[list[Status] | None, Query()] = None,
    channel: Channel | None = None,
) -> Filters:
    return Filters(
        category=category,
        priority=priority,
        status=[str(s) for s in status or ()],
        channel=str(channel) if channel else None,
    )


@router.get("/incidents", response_model=IncidentCounts, responses=_errors)
async def incident_counts(
    session: SessionDep,
    where: Where,
    by: Annotated[list[Dimension] | None, Query(max_length=4)] = None,
    period: PeriodQ = "day",
    category: Annotated[str | None, Query(max_length=16)] = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    status: Annotated[list[Status] | None, Query()] = None,
    channel: Channel | None = None,
    format: Format = "json",
) -> IncidentCounts | StreamingResponse:
    """Incidents by first report in the span, counted by up to four dimensions (`by=period&by=kecamatan`);
    periods are days, ISO weeks (their Monday) or months in each kab/kota's own time zone."""
    filters = _filters(category, priority, status, channel)
    stat = await statistics.incident_counts(session, where, filters, list(by or ()), period)
    if format == "json":
        return stat
    return await _file(format, "statistik-insiden", tables.counts_table(stat))


@router.get("/four-ct", response_model=FourCTCompliance, responses=_errors)
async def four_ct(
    session: SessionDep,
    where: Where,
    by: Annotated[list[FourCTDimension] | None, Query(max_length=3)] = None,
    period: PeriodQ = "day",
    category: Annotated[str | None, Query(max_length=16)] = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    channel: Channel | None = None,
    format: Format = "json",
) -> FourCTCompliance | StreamingResponse:
    """4CT compliance per stage (temu, tanggap, tindak, tuntas): met in time, breached, pending, and the
    median and p90 minutes from the first report, overall and per group (`by=kecamatan`, `crew`,
    `category`...). E.g. the month's compliance by kecamatan: `?month=2026-11&by=kecamatan`. Rejected,
    cancelled and merged incidents owe no stage."""
    filters = _filters(category, priority, None, channel)
    stat = await statistics.four_ct_compliance(session, where, filters, list(by or ()), period)
    if format == "json":
        return stat
    return await _file(format, "kepatuhan-4ct", tables.compliance_table(stat))


@router.get("/dispatch", response_model=DispatchStatistics, responses=_errors)
async def dispatch(
    session: SessionDep,
    where: Where,
    category: Annotated[str | None, Query(max_length=16)] = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    channel: Channel | None = None,
    format: Format = "json",
) -> DispatchStatistics | StreamingResponse:
    """Offers per incident offered, how offers ended (decline and expiry rates), escalations by reason."""
    filters = _filters(category, priority, None, channel)
    stat = await statistics.dispatch_statistics(session, where, filters)
    if format == "json":
        return stat
    return await _file(format, "statistik-penugasan", tables.dispatch_table(stat))


@router.get("/repeat-locations", response_model=RepeatLocations, responses=_errors)
async def repeat_locations(
    session: SessionDep,
    where: Where,
    minimum: Annotated[int, Query(ge=2, le=1000, description="cases at one place to count it")] = 2,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    format: Format = "json",
) -> RepeatLocations | StreamingResponse:
    """Places the cases come back to (a kelurahan and its ~110 m cell, or the landmark as typed), the
    busiest first, with their categories; and the persons (klien) who are subjects of two or more cases."""
    stat = await recurrence.repeat_locations(session, where, minimum=minimum, limit=limit)
    if format == "json":
        return stat
    return await _file(format, "lokasi-berulang", tables.repeat_locations_table(stat))


@router.get("/outcomes", response_model=SubjectOutcomes, responses=problem_responses(401, 403, 404, 422))
async def subject_outcomes(session: SessionDep, where: Where) -> SubjectOutcomes:
    """How the span's real cases ended per person: their subjects (klien) by outcome (reunified, shelter,
    panti, RSJ...; null while open) and category, with how many distinct persons they are. Counts only, no
    personal data; the repeat persons are in /statistics/repeat-locations."""
    return await recurrence.subject_outcomes(session, where)


@router.get("/workload", response_model=Workload, responses=_errors)
async def workload(
    session: SessionDep,
    where: Where,
    format: Format = "json",
) -> Workload | StreamingResponse:
    """Each crew shift of the region's teams in the span: offers and how they ended, incidents taken, minutes
    busy and the share of the shift."""
    stat = await recurrence.workload(session, where)
    if format == "json":
        return stat
    return await _file(format, "beban-kerja-regu", tables.workload_table(stat))


@router.get(
    "/monthly-report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **problem_responses(401, 403, 404, 422)},
)
async def monthly_report(
    principal: CurrentPrincipal, session: SessionDep, region: Region = None, month: Month = None
) -> HTMLResponse:
    """The month's report for the head of the Dinas of one kab/kota, as a printable page (Indonesian):
    cases by category and kecamatan, 4CT compliance per stage with median and p90, outcomes, against the
    month before.
    Default: the caller's kab/kota and the last whole month."""
    report = await monthly_service.monthly_report(session, principal, region, month)
    text = monthly.page(report.region, report.region_label, report.generated_at, report.this, report.previous)
    return HTMLResponse(
        text, headers={"Content-Security-Policy": html.CSP, "Cache-Control": "private, no-store"}
    )
