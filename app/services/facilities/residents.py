"""Who the separation rules see: a subject as a `Resident` (his person's record first, then what the
reports said), and who is in a unit now."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.facilities import rules as separation
from app.facilities.kinds import PlacementStatus, UnitGroup, UnitSex
from app.models import FacilityUnit, Incident, IncidentSubject, Person, Placement
from app.models.base import utcnow

ODGJ_CATEGORIES = frozenset({"ODGJ"})
ELDERLY_CATEGORIES = frozenset({"LUT"})


def _age(subject: IncidentSubject, person: Person | None, today: date) -> int | None:
    if person is not None and person.birth_date is not None:
        b = person.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    if subject.approx_age is not None:
        return subject.approx_age
    if person is not None and person.birth_year_min is not None and person.birth_year_max is not None:
        return today.year - (person.birth_year_min + person.birth_year_max) // 2
    return None


def resident(subject: IncidentSubject, person: Person | None, category: str) -> separation.Resident:
    """What the separation rules know of a subject: his person's record first, then what the reports said."""
    flags = set(person.vulnerabilities) if person is not None else set()
    sex = person.sex if person is not None and person.sex in separation.SEX_WORDS else subject.sex
    return separation.Resident(
        age=_age(subject, person, utcnow().date()),
        sex=sex,
        odgj="odgj" in flags or category in ODGJ_CATEGORIES,
        elderly_flag="elderly" in flags or category in ELDERLY_CATEGORIES,
    )


async def person_of(session: AsyncSession, subject: IncidentSubject) -> Person | None:
    return await session.get(Person, subject.person_id) if subject.person_id else None


async def occupants(
    session: AsyncSession, unit_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[separation.Resident]]:
    """Who is in each unit now, as the rules see them."""
    out: dict[uuid.UUID, list[separation.Resident]] = {u: [] for u in unit_ids}
    if not unit_ids:
        return out
    rows = (
        await session.execute(
            select(Placement.unit_id, IncidentSubject, Person, Incident.category)
            .join(IncidentSubject, IncidentSubject.id == Placement.subject_id)
            .join(Incident, Incident.id == Placement.incident_id)
            .outerjoin(Person, Person.id == IncidentSubject.person_id)
            .where(Placement.unit_id.in_(unit_ids), Placement.status == PlacementStatus.active)
        )
    ).all()
    for unit_id, subject, person, category in rows:
        out[unit_id].append(resident(subject, person, category))
    return out


def unit_attrs(unit: FacilityUnit) -> separation.Unit:
    return separation.Unit(sex=UnitSex(unit.sex), group=UnitGroup(unit.group))
