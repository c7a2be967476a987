"""Open data for the public (no account): a month's figures, read through the statistics service's one
reading of incidents (app/services/statistics.py `incident_rows`), counted and suppressed in
app/reporting/opendata.py, and stored as published (table open_data_figures: each answer's JSON body, its
ETag and when it was computed).

A month's figures are computed whole (every kab/kota and its kecamatan: the national and kab/kota tables are
suppressed together, so one kab/kota's table depends on all the others) and stored in one transaction. The
background refresh (`run`, started by the app next to the scheduler) recomputes the current and the previous
month every `open_data_refresh_seconds`, older months once a day or when never computed; a request reads the
stored row. A month never computed is computed by its first request, once: on PostgreSQL under an advisory
lock per month (concurrent first requests, on any worker, wait and then read what the winner stored; the
background refresh only tries the lock and leaves a month being computed alone); on SQLite the unit of work's
write lock (BEGIN IMMEDIATE) serialises them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.db import lookup, unit_of_work
from app.errors import Unprocessable
from app.models import Incident, OpenDataFigures
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

log = logging.getLogger("tanggap.opendata")

# Each incident's month is its own kab/kota's: read from the month's start in WIT (UTC+9, the earliest) to
# its end in WIB (UTC+7, the latest), and keep the rows whose own month it is.
_EARLIEST, _LATEST = timedelta(hours=9), timedelta(hours=7)
# The shape of the stored bodies: a row of another format (written by an older release) counts as never
# computed. Raise it whenever the answers' JSON changes.
FORMAT = 1
Kind = Literal["incidents", "four-ct"]
INCIDENTS: Final = "incidents"
FOUR_CT: Final = "four-ct"
NATIONAL = ""
# Closed months still change a little (late outcomes, corrections): recomputed this often.
OLD_MONTHS_EVERY = timedelta(days=1)
# pg_advisory_xact_lock(space, key): the first int4 names what is locked (open data), the second the month.
_LOCK_SPACE = 0x0DA7A


def parse_month(month: str | None) -> str:
    """YYYY-MM; by default the last whole month (in WIB)."""
    if month is None:
        return _previous(_month_of(utcnow(), "31"))
    return month


def _month_of(at: datetime, province: str) -> str:
    local = at.astimezone(regions.zone_for(province))
    return f"{local.year:04d}-{local.month:02d}"


def _previous(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year - (mon == 1):04d}-{(mon - 2) % 12 + 1:02d}"


def _span(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC) - _EARLIEST
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC) - _LATEST
    return start, end


async def compute(session: AsyncSession, month: str, now: datetime | None = None) -> MonthFigures:
    """The month's figures, live (what is stored is made from these)."""
    since, until = _span(month)
    where = Scope(region="", since=since, until=until, time_zone=statistics.NATIONAL_ZONE)
    rows = await statistics.incident_rows(session, where, Filters(status=opendata.REAL_STATUSES))
    real = opendata.month_rows(rows, month, statistics.zone_of)
    # The suppression is pure Python (seconds for a national month): off the event loop.
    return await asyncio.to_thread(opendata.figures, real, month, now or utcnow())


@dataclass(frozen=True)
class Published:
    """One stored answer: the JSON body as sent, its ETag, when it was computed."""

    body: str
    etag: str
    computed_at: datetime


def _etag(body: str) -> str:
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def bodies(figures: MonthFigures, at: datetime) -> dict[tuple[str, str], str]:
    """Every answer of the month by (kind, region): the national counts, each kab/kota's kecamatan counts,
    the 4CT compliance."""
    out = {
        (INCIDENTS, NATIONAL): _counts(figures, at, None).model_dump_json(),
        (FOUR_CT, NATIONAL): compliance(figures, at).model_dump_json(),
    }
    for code in figures.kabkota:
        out[(INCIDENTS, code)] = _counts(figures, at, code).model_dump_json()
    return out


async def _claim(session: AsyncSession, month: str, *, wait: bool) -> bool:
    """The month's lock for this transaction (PostgreSQL: an advisory lock, waited for or only tried). On
    SQLite the unit of work already holds the database's write lock."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    year, mon = (int(p) for p in month.split("-"))
    fn = func.pg_advisory_xact_lock if wait else func.pg_try_advisory_xact_lock
    got = await session.scalar(select(fn(_LOCK_SPACE, year * 12 + mon - 1)))
    return wait or bool(got)


async def _stored_at(session: AsyncSession, month: str) -> datetime | None:
    """When the month was last computed in this release's format (its national row says for all)."""
    row = (
        await session.execute(
            select(OpenDataFigures.computed_at, OpenDataFigures.format).where(
                OpenDataFigures.month == month,
                OpenDataFigures.kind == INCIDENTS,
                OpenDataFigures.region == NATIONAL,
            )
        )
    ).one_or_none()
    return row.computed_at if row is not None and row.format == FORMAT else None


async def _recompute(session: AsyncSession, month: str, now: datetime) -> None:
    figures = await compute(session, month, now)
    made = bodies(figures, now)
    await session.execute(delete(OpenDataFigures).where(OpenDataFigures.month == month))
    await session.execute(
        insert(OpenDataFigures),
        [
            {
                "month": month,
                "kind": kind,
                "region": region,
                "body": body,
                "etag": _etag(body),
                "format": FORMAT,
                "computed_at": now,
            }
            for (kind, region), body in made.items()
        ],
    )


async def refresh_month(
    maker: async_sessionmaker[AsyncSession],
    month: str,
    *,
    now: datetime | None = None,
    older_than: datetime | None = None,
    wait: bool = False,
) -> bool:
    """Recomputes and stores the month unless it was computed after `older_than` (None: only if never), or
    (without `wait`) another worker is computing it. True when this call computed it."""
    now = now or utcnow()
    async with unit_of_work(maker) as session:
        if not await _claim(session, month, wait=wait):
            return False
        # Read under the lock: a worker that computed it meanwhile has committed.
        at = await _stored_at(session, month)
        if at is not None and (older_than is None or at > older_than):
            return False
        await _recompute(session, month, now)
        return True


def _recent(now: datetime) -> set[str]:
    """The months still filling: the current one in WIT (the earliest to start) and in WIB, and the last
    whole one (late outcomes, 4CT stages still pending)."""
    current = _month_of(now, "31")
    return {_month_of(now, "94"), current, _previous(current)}


async def refresh(
    maker: async_sessionmaker[AsyncSession], *, every: timedelta, now: datetime | None = None
) -> list[str]:
    """One pass of the background refresh: the recent months when their figures are older than `every`,
    the older ones (back to the first incident's) when older than a day or never computed. Safe on every
    worker at once: a month another worker is computing is skipped. Returns the months computed."""
    now = now or utcnow()
    async with maker() as session:
        first = await session.scalar(select(func.min(Incident.first_received_at)))
    months = set(_recent(now))
    if first is not None:
        month, last = _month_of(first, "31"), min(_recent(now))
        while month < last:
            months.add(month)
            month = _next(month)
    done = []
    for month in sorted(months, reverse=True):
        due = every if month in _recent(now) else OLD_MONTHS_EVERY
        if await refresh_month(maker, month, now=now, older_than=now - due):
            done.append(month)
    return done


def _next(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


async def run(maker: async_sessionmaker[AsyncSession], stop: asyncio.Event, *, every: float) -> None:
    """The background refresh loop (every worker runs one; the locks keep them from doing a month twice)."""
    while not stop.is_set():
        try:
            done = await refresh(maker, every=timedelta(seconds=every))
            if done:
                log.info("open data refreshed", extra={"months": done})
        except Exception:  # the next pass tries again; what is stored stays served
            log.exception("open data refresh failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(clock.real_seconds(every) / 10, 1.0))


# A burst of first requests in one worker waits here rather than each holding a connection on the lock.
_local: dict[str, asyncio.Lock] = {}


def _local_lock(month: str) -> asyncio.Lock:
    return _local.setdefault(month, asyncio.Lock())


async def _read(
    maker: async_sessionmaker[AsyncSession], month: str, kind: str, region: str
) -> Published | None:
    """One stored answer: one round trip (PostgreSQL: no transaction; SQLite: no write lock)."""
    row = await lookup(
        maker.kw["bind"],
        select(OpenDataFigures.body, OpenDataFigures.etag, OpenDataFigures.computed_at).where(
            OpenDataFigures.month == month,
            OpenDataFigures.kind == kind,
            OpenDataFigures.region == region,
            OpenDataFigures.format == FORMAT,
        ),
    )
    return Published(row.body, row.etag, row.computed_at) if row is not None else None


async def published(
    maker: async_sessionmaker[AsyncSession], month: str, kind: Kind, region: str | None = None
) -> Published:
    """The stored answer (a month never computed is computed now, once)."""
    key = region or NATIONAL
    found = await _read(maker, month, kind, key)
    if found is None:
        async with _local_lock(month):
            found = await _read(maker, month, kind, key)
            if found is None:
                await refresh_month(maker, month, wait=True)
                found = await _read(maker, month, kind, key)
    if found is None and kind == INCIDENTS and key:
        # A kab/kota without a case that month: its empty table, under the month's columns.
        national = await published(maker, month, INCIDENTS)
        counts = OpenDataCounts.model_validate_json(national.body)
        body = _counts_of_nothing(counts, key).model_dump_json()
        return Published(body, _etag(body), national.computed_at)
    if found is None:  # cannot happen: the month was just stored whole
        raise RuntimeError(f"open data {month} {kind} {key} not stored")
    return found


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


def _counts_of_nothing(national: OpenDataCounts, region: str) -> OpenDataCounts:
    return national.model_copy(
        update={
            "region": region,
            "region_label": _region_label(region),
            "level": "kecamatan",
            "rows": [],
            "totals": OpenTotals(cells=[0] * len(national.columns), total=0),
        }
    )


def counts(figures: MonthFigures, at: datetime, region: str | None) -> OpenDataCounts:
    check_region(region)
    return _counts(figures, at, region)


def _counts(figures: MonthFigures, at: datetime, region: str | None) -> OpenDataCounts:
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
