"""Placement suggestions for a subject: the units of the incident's kab/kota the separation rules allow
with a free bed, ranked by app/facilities/suggest.py, and the units refused with why."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.engine import Point, haversine_km
from app.facilities import suggest
from app.facilities.kinds import FACILITY_LABELS, UNIT_GROUP_LABELS, FacilityKind
from app.models import Facility, FacilityUnit
from app.schemas.facilities import RefusedOut, SuggestionOut, SuggestionsOut
from app.services import incidents
from app.services.access import TRIAGE, Principal, require
from app.services.facilities import registry, residents
from app.services.persons import records, subjects


async def suggestions(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int
) -> SuggestionsOut:
    """The units of the incident's kab/kota the rules allow with a free bed, best first; and why not the
    others. Read by the console and the crew bringing him in."""
    incident = await incidents.get_visible(session, principal, incident_id)
    if principal.role not in TRIAGE and not await incidents.assigned_to_caller(
        session, principal, incident.id
    ):
        require(principal, TRIAGE, "read placement suggestions")
    subject = await subjects.get(session, incident, ordinal)
    person = residents.resident(subject, await residents.person_of(session, subject), incident.category)
    regency = records.regency(incident.region_code)
    facilities = {
        f.id: f
        for f in await session.scalars(
            select(Facility).where(
                Facility.active,
                (Facility.region_code == regency)
                | Facility.region_code.startswith(regency + ".", autoescape=True),
            )
        )
    }
    units = [u for u in await registry.units_of(session, list(facilities)) if u.active]
    inside = await residents.occupants(session, [u.id for u in units])
    here = (
        Point(incident.lat, incident.lon) if incident.lat is not None and incident.lon is not None else None
    )
    options = []
    by_key: dict[str, FacilityUnit] = {}
    for u in units:
        f = facilities[u.facility_id]
        far = (
            haversine_km(here, Point(f.lat, f.lon))
            if here is not None and f.lat is not None and f.lon is not None
            else None
        )
        by_key[str(u.id)] = u
        options.append(
            suggest.Option(
                key=str(u.id),
                unit=residents.unit_attrs(u),
                occupants=inside[u.id],
                free=u.capacity - u.occupied,
                distance_km=round(far, 1) if far is not None else None,
                rules=registry.rules_of(f),
            )
        )
    ok, refused = suggest.rank(person, options)
    return SuggestionsOut(
        subject_id=subject.id,
        suggestions=[
            SuggestionOut(
                unit_id=by_key[s.option.key].id,
                unit=by_key[s.option.key].name,
                facility_id=by_key[s.option.key].facility_id,
                facility=facilities[by_key[s.option.key].facility_id].name,
                kind_label=FACILITY_LABELS[FacilityKind(facilities[by_key[s.option.key].facility_id].kind)],
                group_label=UNIT_GROUP_LABELS[s.option.unit.group],
                free=s.option.free,
                distance_km=s.option.distance_km,
                reasons=s.reasons,
            )
            for s in ok
        ],
        refused=[
            RefusedOut(
                unit_id=by_key[r.option.key].id,
                unit=by_key[r.option.key].name,
                facility=facilities[by_key[r.option.key].facility_id].name,
                full=r.full,
                reasons=[f"{x.label}: {x.detail}" for x in r.refusals] + (["unit penuh"] if r.full else []),
            )
            for r in refused
        ],
    )
