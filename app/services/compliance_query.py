"""4CT compliance computed by PostgreSQL: one pass over the span's incidents, each stage's outcome per
incident as a CASE, filtered counts per group and exact median/p90 by `percentile_cont` within each group, the
groups and the total in one scan (GROUPING SETS). A year of a busy kab/kota comes back as a dozen rows
instead of six thousand turned into Python objects (bench/volume.py, statistics_year).

The rules are those of app/reporting/tally.py (`stage_outcome`; `quantile` interpolates linearly, as
percentile_cont does, with the same float8 arithmetic), which SQLite and the monthly report use on rows read
into Python; tests/api/test_statistics.py checks that both give the same answers. Time buckets are each
kab/kota's own days (WIB/WITA/WIT), as tally.bucket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    String,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from app.dispatch import fourct
from app.dispatch.lifecycle import Stage
from app.models import Crew, Incident
from app.reference import regions
from app.reporting import tally
from app.reporting.tally import Period
from app.services import timers

WIB = "Asia/Jakarta"
# percentile_cont's fractions (median, p90): a constant of the query, not a parameter.
_QUANTILES: ColumnElement[Any] = literal_column("ARRAY[0.5, 0.9]::float8[]")
_FLOATS: TypeEngine[Any] = ARRAY(Float(precision=53))


@dataclass(frozen=True)
class StageResult:
    met: int
    breached: int
    pending: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class GroupResult:
    key: tally.Key
    incidents: int
    stages: Mapping[str, StageResult]


def zone(region: str) -> ColumnElement[str]:
    """The time zone of each incident's kab/kota: one for a region (a province and all below it share one),
    by province for the whole country."""
    if region:
        return literal(regions.timezone_for(region), String)
    province = func.left(Incident.region_code, 2)
    return case(
        *(
            (province.in_(sorted(codes)), literal(name, String))
            for name, codes in regions.provinces_by_zone().items()
        ),
        else_=literal(WIB, String),
    )


def dimensions(region: str, period: Period) -> dict[str, ColumnElement[Any]]:
    """Each dimension as SQL giving the key tally.dimensions gives (codes are fixed width: 12.34.56.7890)."""
    code = Incident.region_code
    local = func.timezone(zone(region), Incident.first_received_at)
    bucket = {
        "day": func.to_char(local, "YYYY-MM-DD"),
        "week": func.to_char(func.date_trunc("week", local), "YYYY-MM-DD"),
        "month": func.to_char(local, "YYYY-MM"),
    }[period]
    return {
        "period": bucket,
        "kabkota": func.left(code, 5),
        "kecamatan": case((func.length(code) >= 8, func.left(code, 8))),
        "kelurahan": case((func.length(code) == 13, code)),
        "category": Incident.category.expression,
        "priority": cast(Incident.priority, String),
        "crew": Crew.name.expression,
    }


def _minutes_by_priority(targets: fourct.Targets, stage: Stage) -> ColumnElement[int]:
    return case(*((Incident.priority == p, literal(stages[stage])) for p, stages in sorted(targets.items())))


def target_minutes(region: str, stage: Stage) -> ColumnElement[int]:
    """The stage's target for each incident: its kab/kota team's own (app/services/timers.py), else the
    defaults."""
    defaults = _minutes_by_priority(fourct.TARGET_MINUTES, stage)
    own = [
        (kab, targets)
        for kab, targets in sorted(timers.team_targets().items())
        if regions.within(kab, region) or regions.within(region, kab)
    ]
    if not own:
        return defaults
    kabkota = func.left(Incident.region_code, 5)
    return case(
        *((kabkota == kab, _minutes_by_priority(targets, stage)) for kab, targets in own), else_=defaults
    )


def _outcome(region: str, stage: Stage, now: datetime) -> ColumnElement[str | None]:
    """tally.stage_outcome in SQL: null when nothing is owed, else met, breached or pending."""
    stamp = getattr(Incident, stage.value)
    deadline = Incident.first_received_at + func.make_interval(0, 0, 0, 0, 0, target_minutes(region, stage))
    recorded = type_coerce(Incident.four_ct_breaches, JSONB).has_key(stage.name)
    return case(
        (Incident.merged_into_id.is_not(None) | Incident.status.in_(sorted(tally.NOT_HANDLED)), None),
        (stamp.is_not(None), case((((stamp <= deadline) & ~recorded), "met"), else_="breached")),
        (recorded | (deadline < now), "breached"),
        else_="pending",
    )


def _minutes(stage: Stage) -> ColumnElement[float]:
    """Minutes from the first report to the stage: float8 from the exact epoch difference, as Python's
    timedelta.total_seconds() / 60."""
    stamp = getattr(Incident, stage.value)
    seconds = extract("epoch", stamp) - extract("epoch", Incident.first_received_at)
    return cast(seconds, Float(precision=53)) / 60.0


async def compliance(
    session: AsyncSession,
    conditions: Sequence[ColumnElement[bool]],
    region: str,
    by: Sequence[str],
    period: Period,
    now: datetime,
) -> tuple[GroupResult, list[GroupResult]]:
    """The total and each group of `by` (in key order, a missing key last), of the incidents meeting
    `conditions`. Stages counted only where owed; minutes of those that reached the stage."""
    known = dimensions(region, period)
    inner: list[ColumnElement[Any]] = [known[name].label(f"d{i}") for i, name in enumerate(by)]
    for stage in fourct.STAGES:
        inner.append(_outcome(region, stage, now).label(f"o_{stage.name}"))
        inner.append(_minutes(stage).label(f"m_{stage.name}"))
    q = select(*inner).select_from(Incident).where(*conditions)
    if "crew" in by:
        q = q.outerjoin(Crew, Crew.id == Incident.assigned_crew_id)
    rows = q.subquery("rows")
    keys = [rows.c[f"d{i}"] for i in range(len(by))]
    measures: list[ColumnElement[Any]] = [func.count().label("n")]
    for stage in fourct.STAGES:
        outcome, minutes = rows.c[f"o_{stage.name}"], rows.c[f"m_{stage.name}"]
        measures += [func.count().filter(outcome == kind) for kind in ("met", "breached", "pending")]
        measures.append(
            func.percentile_cont(_QUANTILES, type_=_FLOATS).within_group(minutes).filter(outcome.is_not(None))
        )
    if keys:
        total_flag = func.grouping(*keys)
        outer = select(total_flag, *keys, *measures).group_by(func.grouping_sets(tuple_(*keys), tuple_()))
    else:
        outer = select(literal(0), *measures)
    total: GroupResult | None = None
    groups = []
    for row in await session.execute(outer):
        flag, key, figures = row[0], tuple(row[1 : 1 + len(keys)]), row[1 + len(keys) :]
        result = _group(key, figures)
        if flag:
            total = result
        else:
            groups.append(result)
    if not keys:  # the one row is the total, and the only group when there are incidents
        total = groups.pop()
        return total, [total] if total.incidents else []
    assert total is not None  # the empty grouping set always gives a row
    groups.sort(key=lambda g: tally.sort_key(g.key))
    return total, groups


def _group(key: tally.Key, figures: Sequence[Any]) -> GroupResult:
    stages = {}
    for i, stage in enumerate(tally.STAGES):
        met, breached, pending, quantiles = figures[1 + 4 * i : 5 + 4 * i]
        median, p90 = quantiles if quantiles else (None, None)
        stages[stage] = StageResult(met, breached, pending, median, p90)
    return GroupResult(key, figures[0], stages)
