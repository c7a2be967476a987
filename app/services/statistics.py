"""Statistics for supervisors and admins of a region: incident counts, 4CT compliance, dispatch. No personal
data: only codes, categories, statuses, times and crew names leave here.

The incidents of the period (by first report, when the 4CT clock starts) are read once, as plain columns
(one query, the channel of the first report as a subquery, crew names in a second), at most MAX_ROWS of
them; grouping, time buckets in each kab/kota's own zone (WIB/WITA/WIT) and percentiles are computed in
Python (app/reporting/tally.py), the same on SQLite and PostgreSQL. A month or a year of one kab/kota is a
few thousand rows. 4CT compliance on PostgreSQL is counted by the database instead (compliance_query.py, the
same answers): a year of a busy kab/kota in a dozen rows rather than six thousand Python objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, ScalarSelect, String, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import plan_with_values
from app.dispatch import fourct
from app.errors import NotFound, Unprocessable
from app.models import Crew, Event, EventArchive, Incident, Offer, Report, Role
from app.models.base import utcnow
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.reporting import tally
from app.reporting.tally import Period, Row
from app.schemas.statistics import (
    ComplianceRow,
    CountRow,
    DispatchFigures,
    DispatchStatistics,
    FourCTCompliance,
    IncidentCounts,
    StageFigures,
)
from app.services import compliance_query, timers
from app.services.access import Principal, in_region, require

READ_STATISTICS = (Role.admin, Role.supervisor)
MAX_ROWS = 100_000
MAX_DAYS = 366
# National statistics (no region) bucket days in WIB unless each row's own zone is asked for: see zone_of.
NATIONAL_ZONE = "Asia/Jakarta"
_STAMPS = (
    ("temu", "found_at"),
    ("tanggap", "responded_at"),
    ("tindak", "acted_at"),
    ("tuntas", "completed_at"),
)


@dataclass(frozen=True)
class Scope:
    region: str
    since: datetime
    until: datetime
    time_zone: str


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    priority: int | None = None
    status: Sequence[str] = ()
    channel: str | None = None


def scope(
    principal: Principal,
    *,
    region: str | None,
    month: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Scope:
    """Who may ask, about which region and which span. `month` (YYYY-MM) is that calendar month in the
    region's zone; without month or since/until, the current month there."""
    code = region if region is not None else principal.region_code
    if code and not regions.exists(code):
        raise Unprocessable(f"kode wilayah {code} tidak dikenal", field="query.region")
    # Outside the caller's reach is "not found" whatever the role; the role is checked after.
    if code and not regions.within(code, principal.region_code):
        raise NotFound(f"region {code} is outside your region")
    require(principal, READ_STATISTICS, "read statistics")
    zone_name = regions.timezone_for(code) if code else NATIONAL_ZONE
    zone = ZoneInfo(zone_name)
    if month is not None:
        if since is not None or until is not None:
            raise Unprocessable("pilih month atau since/until, tidak keduanya", field="query.month")
        year, mon = (int(p) for p in month.split("-"))
        start = datetime(year, mon, 1, tzinfo=zone)
        end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=zone)
    elif since is None and until is None:
        today = utcnow().astimezone(zone)
        start = datetime(today.year, today.month, 1, tzinfo=zone)
        end = datetime(today.year + today.month // 12, today.month % 12 + 1, 1, tzinfo=zone)
    else:
        if since is None or until is None:
            raise Unprocessable("since dan until harus diisi bersama", field="query.since")
        start, end = since, until
    if end <= start:
        raise Unprocessable("until harus sesudah since", field="query.until")
    if (end - start).days > MAX_DAYS:
        raise Unprocessable(f"rentang waktu paling lama {MAX_DAYS} hari", field="query.until")
    return Scope(code, start.astimezone(UTC), end.astimezone(UTC), zone_name)


def zone_of(code: str) -> ZoneInfo:
    """Each incident's days are its own kab/kota's days (the team's zone), also in a national statistic."""
    return regions.zone_for(code)


def _first_channel() -> ScalarSelect[str]:
    return (
        select(Report.channel)
        .where(Report.incident_id == Incident.id)
        .order_by(Report.received_at, Report.id)
        .limit(1)
        .scalar_subquery()
    )


def conditions(where: Scope, filters: Filters) -> list[ColumnElement[bool]]:
    """The span's incidents (by first report) in the region, with the filters."""
    found = [Incident.first_received_at >= where.since, Incident.first_received_at < where.until]
    if where.region:
        found.append(in_region(Incident.region_code, where.region))
    if filters.category:
        found.append(Incident.category == filters.category)
    if filters.priority:
        found.append(Incident.priority == filters.priority)
    if filters.status:
        found.append(Incident.status.in_(list(filters.status)))
    if filters.channel:
        found.append(_first_channel() == filters.channel)
    return found


async def incident_rows(
    session: AsyncSession, where: Scope, filters: Filters, *, channels: bool = False
) -> list[Row]:
    """The span's incidents as plain rows. The channel of each one's first report is a lookup per incident
    (a second of a national month's three): read only with `channels` (grouped by channel) or when the
    filters name one; otherwise Row.channel is None."""
    channel = _first_channel().label("channel") if channels else literal(None, String()).label("channel")
    q = select(
        Incident.id,
        Incident.region_code,
        Incident.category,
        Incident.priority,
        Incident.status,
        Incident.outcome,
        Incident.merged_into_id,
        Incident.first_received_at,
        Incident.found_at,
        Incident.responded_at,
        Incident.acted_at,
        Incident.completed_at,
        Incident.four_ct_breaches,
        Incident.assigned_crew_id,
        channel,
    ).where(*conditions(where, filters))
    await plan_with_values(session)
    found = (await session.execute(q.limit(MAX_ROWS + 1))).all()
    if len(found) > MAX_ROWS:
        raise Unprocessable(
            f"lebih dari {MAX_ROWS} insiden dalam rentang ini; persempit wilayah atau waktunya",
            field="query.since",
        )
    crews = await _crew_names(session, {r.assigned_crew_id for r in found if r.assigned_crew_id})
    rows = []
    for r in found:
        targets = timers.targets_for(r.region_code)
        deadlines = fourct.deadlines(r.priority, r.first_received_at, targets)
        rows.append(
            Row(
                id=r.id,
                region_code=r.region_code,
                category=r.category,
                priority=r.priority,
                status=str(r.status),
                outcome=r.outcome,
                channel=r.channel,
                crew=crews.get(r.assigned_crew_id) if r.assigned_crew_id else None,
                received_at=r.first_received_at,
                merged=r.merged_into_id is not None,
                stamps={stage: getattr(r, column) for stage, column in _STAMPS},
                deadlines={stage.name: at for stage, at in deadlines.items()},
                breached=frozenset(r.four_ct_breaches or ()),
            )
        )
    return rows


async def _crew_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    names: dict[uuid.UUID, str] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), 1000):
        chunk = ordered[i : i + 1000]
        found = await session.execute(select(Crew.id, Crew.name).where(Crew.id.in_(chunk)))
        names.update((row[0], row[1]) for row in found)
    return names


def dimension_keys(by: Sequence[str], period: Period) -> list[tuple[str, tally.Dimension]]:
    known = tally.dimensions(zone_of, period)
    return [(name, known[name]) for name in by]


async def dispatch_tally(session: AsyncSession, rows: Sequence[Row]) -> tally.DispatchTally:
    """Offers of these incidents by how they ended, and their escalations by reason (two queries)."""
    result = tally.DispatchTally(incidents=len(rows))
    ids = [r.id for r in rows]
    offered: set[uuid.UUID] = set()
    escalated: set[uuid.UUID] = set()
    for i in range(0, len(ids), 1000):
        chunk = ids[i : i + 1000]
        for incident_id, status in await session.execute(
            select(Offer.incident_id, Offer.status).where(Offer.incident_id.in_(chunk))
        ):
            offered.add(incident_id)
            result.offers[str(status)] += 1
        # The archive too (`tanggap archive events`): an old span's escalations may have moved there.
        hot = select(Event.incident_id, Event.data).where(
            Event.incident_id.in_(chunk), Event.type == "incident.escalated"
        )
        archived = select(EventArchive.incident_id, EventArchive.data).where(
            EventArchive.incident_id.in_(chunk), EventArchive.type == "incident.escalated"
        )
        for incident_id, data in [*await session.execute(hot), *await session.execute(archived)]:
            if incident_id is not None:
                escalated.add(incident_id)
            result.escalations[str((data or {}).get("reason_code", "unknown"))] += 1
    result.offered = len(offered)
    result.escalated_incidents = len(escalated)
    return result


def _label(dimension: str, key: str | None) -> str | None:
    if key is None:
        return None
    if dimension in ("kabkota", "kecamatan", "kelurahan"):
        region = regions.get_region(key)
        return region.name if region else None
    if dimension == "category":
        category = CATEGORIES.get(key)
        return category.name_id if category else None
    return None


def _keyed(by: Sequence[str], key: tally.Key) -> tuple[dict[str, str | None], dict[str, str | None]]:
    keys = dict(zip(by, key, strict=True))
    return keys, {d: _label(d, k) for d, k in keys.items()}


def _head(where: Scope, period: Period, by: Sequence[str]) -> dict[str, object]:
    return {
        "region": where.region,
        "since": where.since,
        "until": where.until,
        "time_zone": where.time_zone,
        "period": period,
        "by": list(by),
    }


async def incident_counts(
    session: AsyncSession, where: Scope, filters: Filters, by: Sequence[str], period: Period
) -> IncidentCounts:
    rows = await incident_rows(session, where, filters, channels="channel" in by)
    return counts_of(rows, where, by, period)


def counts_of(rows: Sequence[Row], where: Scope, by: Sequence[str], period: Period) -> IncidentCounts:
    """Counts of rows already read (the monthly report reads a month once and counts it several ways)."""
    groups = tally.group(rows, [f for _, f in dimension_keys(by, period)])
    out = []
    for key, members in tally.sorted_groups(groups):
        keys, labels = _keyed(by, key)
        out.append(CountRow(keys=keys, labels=labels, count=len(members)))
    return IncidentCounts(**_head(where, period, by), total=len(rows), rows=out)


def _stage_figures(
    met: int, breached: int, pending: int, median: float | None, p90: float | None
) -> StageFigures:
    return StageFigures(
        met=met,
        breached=breached,
        pending=pending,
        compliance=tally.StageTally(met, breached, pending).compliance,
        median_minutes=_round(median),
        p90_minutes=_round(p90),
    )


def _compliance_row(
    keys: dict[str, str | None], labels: dict[str, str | None], rows: Sequence[Row], now: datetime
) -> ComplianceRow:
    n, tallies = tally.compliance(rows, now)
    stages = {
        stage: _stage_figures(
            t.met, t.breached, t.pending, tally.quantile(t.minutes, 0.5), tally.quantile(t.minutes, 0.9)
        )
        for stage, t in tallies.items()
    }
    return ComplianceRow(keys=keys, labels=labels, incidents=n, stages=stages)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def four_ct_compliance(
    session: AsyncSession, where: Scope, filters: Filters, by: Sequence[str], period: Period
) -> FourCTCompliance:
    """On PostgreSQL counted and ranked by the database (app/services/compliance_query.py: a dozen rows back
    for a year of a kab/kota); on SQLite over the rows read into Python. The same answers."""
    now = utcnow()
    if session.get_bind().dialect.name != "postgresql":
        return compliance_of(await incident_rows(session, where, filters), where, by, period, now)
    await plan_with_values(session)
    total, groups = await compliance_query.compliance(
        session, conditions(where, filters), where.region, by, period, now
    )
    if total.incidents > MAX_ROWS:  # the same limit as the rows read into Python
        raise Unprocessable(
            f"lebih dari {MAX_ROWS} insiden dalam rentang ini; persempit wilayah atau waktunya",
            field="query.since",
        )
    return FourCTCompliance(
        **_head(where, period, by),
        total=_computed_row({}, {}, total),
        rows=[_computed_row(*_keyed(by, g.key), g) for g in groups],
    )


def _computed_row(
    keys: dict[str, str | None], labels: dict[str, str | None], group: compliance_query.GroupResult
) -> ComplianceRow:
    stages = {
        stage: _stage_figures(s.met, s.breached, s.pending, s.median, s.p90)
        for stage, s in group.stages.items()
    }
    return ComplianceRow(keys=keys, labels=labels, incidents=group.incidents, stages=stages)


def compliance_of(
    rows: Sequence[Row], where: Scope, by: Sequence[str], period: Period, now: datetime
) -> FourCTCompliance:
    groups = tally.group(rows, [f for _, f in dimension_keys(by, period)])
    out = [_compliance_row(*_keyed(by, key), members, now) for key, members in tally.sorted_groups(groups)]
    return FourCTCompliance(
        **_head(where, period, by),
        total=_compliance_row({}, {}, rows, now),
        rows=out,
    )


async def dispatch_statistics(session: AsyncSession, where: Scope, filters: Filters) -> DispatchStatistics:
    rows = await incident_rows(session, where, filters)
    t = await dispatch_tally(session, rows)
    figures = DispatchFigures(
        incidents=t.incidents,
        incidents_offered=t.offered,
        offers=t.total_offers,
        offers_per_incident=t.offers_per_incident,
        offers_by_status=dict(sorted(t.offers.items())),
        decline_rate=t.rate("declined"),
        expiry_rate=t.rate("expired"),
        incidents_escalated=t.escalated_incidents,
        escalations_by_reason=dict(sorted(t.escalations.items())),
    )
    return DispatchStatistics(**_head(where, "month", []), total=figures)
