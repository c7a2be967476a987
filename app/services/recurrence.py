"""Where the work comes back and who carries it: repeat locations, repeat persons, crew workload per shift.

For supervisors and admins of a region, in the span of app/services/statistics.scope (no personal data: a
place is a kelurahan and a ~100 m cell or its landmark, a person is an id to open, audited, on its own page).

- Repeat locations: the span's real cases (not rejected, not merged into another) grouped by kelurahan and
  by where in it: the ~110 m cell of the coordinates (3 decimals) when the report had them, else the landmark
  as typed (case and spaces folded), else the kelurahan alone. The places with at least `minimum` cases, the
  busiest first: a crossroads where the same ODGJ is reported every week, a market where children beg.
- Repeat persons: persons (klien) who are subjects of at least two of the span's incidents; the busiest
  listed (ids to open, audited), all of them counted.
- Outcomes per person: the subjects of the span's real cases by how their path ended (app/persons/status.py
  SubjectOutcome) and category, with the distinct persons they are. Counts only.
- Workload: every crew shift of the region's teams that overlaps the span, with its offers by how they ended,
  the incidents it took, and how long it was busy (from accepting to release, or to the end of the shift or
  now while it still holds the case) against the length of the shift.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import plan_with_values
from app.errors import Unprocessable
from app.models import Crew, Incident, IncidentSubject, Offer, Team
from app.models.base import utcnow
from app.persons.status import OUTCOME_LABELS, SubjectOutcome
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.schemas.statistics import (
    OutcomeRow,
    RepeatLocation,
    RepeatLocations,
    RepeatPerson,
    ShiftWorkload,
    SubjectOutcomes,
    Workload,
)
from app.services.access import in_region
from app.services.statistics import MAX_ROWS, Scope

CELL_DECIMALS = 3  # about 110 m of latitude


@dataclass
class _Place:
    kelurahan: str
    where: str | None
    count: int = 0
    open: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    landmarks: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    lat: float | None = None
    lon: float | None = None


def _fold(text: str | None) -> str | None:
    if not text:
        return None
    folded = " ".join(text.casefold().split())
    return folded or None


def _place_key(
    region_code: str, lat: float | None, lon: float | None, landmark: str | None
) -> tuple[str, str]:
    if lat is not None and lon is not None:
        return region_code, f"{round(lat, CELL_DECIMALS)},{round(lon, CELL_DECIMALS)}"
    folded = _fold(landmark)
    return region_code, f"landmark:{folded}" if folded else "kelurahan"


def _real_cases(where: Scope) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [
        Incident.first_received_at >= where.since,
        Incident.first_received_at < where.until,
        Incident.merged_into_id.is_(None),
        Incident.status != "rejected",
    ]
    if where.region:
        clauses.append(in_region(Incident.region_code, where.region))
    return clauses


async def repeat_locations(
    session: AsyncSession, where: Scope, *, minimum: int, limit: int
) -> RepeatLocations:
    q = select(
        Incident.region_code,
        Incident.lat,
        Incident.lon,
        Incident.landmark,
        Incident.category,
        Incident.status,
        Incident.first_received_at,
    ).where(*_real_cases(where))
    await plan_with_values(session)
    found = (await session.execute(q.limit(MAX_ROWS + 1))).all()
    if len(found) > MAX_ROWS:
        raise Unprocessable(
            f"lebih dari {MAX_ROWS} insiden dalam rentang ini; persempit wilayah atau waktunya",
            field="query.since",
        )
    places: dict[tuple[str, str], _Place] = {}
    for code, lat, lon, landmark, category, status, at in found:
        key = _place_key(code, lat, lon, landmark)
        place = places.get(key)
        if place is None:
            place = places[key] = _Place(code, None if key[1] == "kelurahan" else key[1])
            if lat is not None and lon is not None:
                place.lat, place.lon = round(lat, CELL_DECIMALS), round(lon, CELL_DECIMALS)
        place.count += 1
        place.open += status not in ("resolved", "closed", "cancelled")
        place.categories[category] += 1
        if landmark:
            place.landmarks[" ".join(landmark.split())] += 1
        place.first = at if place.first is None or at < place.first else place.first
        place.last = at if place.last is None or at > place.last else place.last
    repeated = sorted(
        (p for p in places.values() if p.count >= minimum),
        key=lambda p: (-p.count, p.last and -p.last.timestamp(), p.kelurahan, p.where or ""),
    )
    rows = []
    for p in repeated[:limit]:
        village = regions.get_region(p.kelurahan)
        district = regions.get_region(".".join(p.kelurahan.split(".")[:3]))
        rows.append(
            RepeatLocation(
                kelurahan=p.kelurahan,
                kelurahan_name=village.name if village else None,
                kecamatan_name=district.name if district else None,
                landmark=p.landmarks.most_common(1)[0][0] if p.landmarks else None,
                lat=p.lat,
                lon=p.lon,
                incidents=p.count,
                open=p.open,
                categories=dict(p.categories.most_common()),
                first_at=p.first,
                last_at=p.last,
            )
        )
    persons = await _repeat_persons(session, where, limit)
    by_cases = await _repeat_persons_by_cases(session, where)
    return RepeatLocations(
        region=where.region,
        since=where.since,
        until=where.until,
        minimum=minimum,
        places=len(repeated),
        rows=rows,
        repeat_persons=persons,
        repeat_persons_count=sum(by_cases.values()),
        repeat_persons_by_cases=by_cases,
    )


async def _repeat_persons_by_cases(session: AsyncSession, where: Scope) -> dict[str, int]:
    """How many persons have 2, 3, 4, 5+ of the span's real cases (one query, grouped twice)."""
    n = func.count(func.distinct(IncidentSubject.incident_id)).label("n")
    per_person = (
        select(IncidentSubject.person_id, n)
        .join(Incident, Incident.id == IncidentSubject.incident_id)
        .where(IncidentSubject.person_id.is_not(None), *_real_cases(where))
        .group_by(IncidentSubject.person_id)
        .having(n >= 2)
        .subquery()
    )
    out: Counter[str] = Counter()
    for cases, persons in await session.execute(
        select(per_person.c.n, func.count()).group_by(per_person.c.n)
    ):
        out["5+" if cases >= 5 else str(cases)] += persons
    return dict(sorted(out.items()))


async def subject_outcomes(session: AsyncSession, where: Scope) -> SubjectOutcomes:
    """The span's real cases' subjects by outcome and category, with the distinct persons among them."""
    q = (
        select(
            Incident.category,
            IncidentSubject.outcome,
            func.count(IncidentSubject.id),
            func.count(func.distinct(IncidentSubject.person_id)),
        )
        .join(Incident, Incident.id == IncidentSubject.incident_id)
        .where(*_real_cases(where))
        .group_by(Incident.category, IncidentSubject.outcome)
    )
    await plan_with_values(session)
    rows = []
    by_outcome: Counter[str] = Counter()
    for category, outcome, subjects, persons in await session.execute(q):
        known_outcome = outcome in {o.value for o in SubjectOutcome}
        label = OUTCOME_LABELS.get(SubjectOutcome(outcome)) if outcome and known_outcome else None
        known = CATEGORIES.get(category)
        rows.append(
            OutcomeRow(
                category=category,
                category_label=known.name_id if known else None,
                outcome=outcome,
                outcome_label=label,
                subjects=subjects,
                persons=persons,
            )
        )
        by_outcome[outcome or "open"] += subjects
    rows.sort(key=lambda r: (r.category, r.outcome is None, r.outcome or ""))
    # Distinct persons over the whole span (a person may have several categories or outcomes).
    total_persons = await session.scalar(
        select(func.count(func.distinct(IncidentSubject.person_id)))
        .join(Incident, Incident.id == IncidentSubject.incident_id)
        .where(*_real_cases(where))
    )
    return SubjectOutcomes(
        region=where.region,
        since=where.since,
        until=where.until,
        subjects=sum(r.subjects for r in rows),
        persons=int(total_persons or 0),
        by_outcome=dict(sorted(by_outcome.items())),
        rows=rows,
    )


async def _repeat_persons(session: AsyncSession, where: Scope, limit: int) -> list[RepeatPerson]:
    n = func.count(func.distinct(IncidentSubject.incident_id))
    q = (
        select(IncidentSubject.person_id, n, func.max(Incident.first_received_at))
        .join(Incident, Incident.id == IncidentSubject.incident_id)
        .where(IncidentSubject.person_id.is_not(None), *_real_cases(where))
        .group_by(IncidentSubject.person_id)
        .having(n >= 2)
        .order_by(n.desc(), IncidentSubject.person_id)
        .limit(limit)
    )
    return [
        RepeatPerson(person_id=person_id, incidents=count, last_at=last)
        for person_id, count, last in await session.execute(q)
        if person_id is not None
    ]


async def workload(session: AsyncSession, where: Scope) -> Workload:
    q = (
        select(Crew.id, Crew.name, Crew.shift_starts_at, Crew.shift_ends_at, Team.name, Team.region_code)
        .join(Team, Team.id == Crew.team_id)
        .where(Crew.shift_starts_at < where.until, Crew.shift_ends_at > where.since)
        .order_by(Crew.shift_starts_at, Team.name, Crew.name)
    )
    if where.region:
        q = q.where(in_region(Team.region_code, where.region))
    await plan_with_values(session)
    crews = (await session.execute(q.limit(MAX_ROWS))).all()
    offers: dict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    taken: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    busy: dict[uuid.UUID, float] = defaultdict(float)
    ends = {c.id: c.shift_ends_at for c in crews}
    now = utcnow()
    ids = list(ends)
    for i in range(0, len(ids), 1000):
        chunk = ids[i : i + 1000]
        rows = await session.execute(
            select(
                Offer.crew_id, Offer.incident_id, Offer.status, Offer.responded_at, Offer.released_at
            ).where(Offer.crew_id.in_(chunk))
        )
        for crew_id, incident_id, status, accepted_at, released_at in rows:
            offers[crew_id][str(status)] += 1
            if str(status) in ("accepted", "released") and accepted_at is not None:
                taken[crew_id].add(incident_id)
                until = released_at or min(now, ends[crew_id])
                busy[crew_id] += max(0.0, (until - accepted_at).total_seconds() / 60)
    rows_out = []
    for crew_id, name, starts, finishes, team, team_region in crews:
        shift_minutes = (finishes - starts).total_seconds() / 60
        counted = offers.get(crew_id, Counter())
        rows_out.append(
            ShiftWorkload(
                crew_id=crew_id,
                crew=name,
                team=team,
                region_code=team_region,
                shift_starts_at=starts,
                shift_ends_at=finishes,
                offers=sum(counted.values()),
                accepted=counted["accepted"] + counted["released"],
                declined=counted["declined"],
                expired=counted["expired"],
                withdrawn=counted["withdrawn"],
                incidents=len(taken.get(crew_id, ())),
                busy_minutes=round(busy.get(crew_id, 0.0), 1),
                utilisation=round(min(1.0, busy.get(crew_id, 0.0) / shift_minutes), 3)
                if shift_minutes
                else None,
            )
        )
    return Workload(region=where.region, since=where.since, until=where.until, rows=rows_out)
