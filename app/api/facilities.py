"""Facilities (rumah singgah, Liposos, UPT/balai, panti, RSJ, hospital), their units, and the placement of
an incident's subjects in them: admission, transfer, discharge, suggestions, live occupancy."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.api.deps import CurrentPrincipal, SessionDep
from app.facilities.kinds import FacilityKind
from app.schemas.common import RegionCode, problem_responses
from app.schemas.facilities import (
    AdmitIn,
    AssessmentIn,
    AssessmentOut,
    DischargeIn,
    FacilityIn,
    FacilityOut,
    FacilityPatch,
    PlacementOut,
    SuggestionsOut,
    TransferIn,
    UnitIn,
    UnitOut,
    UnitPatch,
)
from app.services.facilities import assessments, placements, registry, suggestions

router = APIRouter(tags=["facilities"])
_errors = problem_responses(401, 403, 404, 409, 415, 422)
Ordinal = Annotated[int, Path(ge=1, le=100, description="the subject's number in the incident, from 1")]


@router.post("/facilities", status_code=201, response_model=FacilityOut, responses=_errors)
async def create_facility(body: FacilityIn, principal: CurrentPrincipal, session: SessionDep) -> FacilityOut:
    """Register a facility with its units (supervisors and admins of its region)."""
    return await registry.create(session, principal, body)


@router.get("/facilities", response_model=list[FacilityOut], responses=_errors)
async def list_facilities(
    principal: CurrentPrincipal,
    session: SessionDep,
    region: Annotated[RegionCode | None, Query(description="a region code prefix")] = None,
    kind: FacilityKind | None = None,
    include_inactive: bool = False,
) -> list[FacilityOut]:
    """Facilities in reach with their units and live occupancy (free beds per unit)."""
    return await registry.listing(
        session, principal, region=region, kind=kind, include_inactive=include_inactive
    )


@router.get("/facilities/{facility_id}", response_model=FacilityOut, responses=_errors)
async def get_facility(
    facility_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> FacilityOut:
    return await registry.detail(session, principal, facility_id)


@router.patch("/facilities/{facility_id}", response_model=FacilityOut, responses=_errors)
async def patch_facility(
    facility_id: uuid.UUID, body: FacilityPatch, principal: CurrentPrincipal, session: SessionDep
) -> FacilityOut:
    """Change a facility: its rules, its stay limit, its coordinates, active or not."""
    return await registry.patch(session, principal, facility_id, body)


@router.post("/facilities/{facility_id}/units", status_code=201, response_model=UnitOut, responses=_errors)
async def add_unit(
    facility_id: uuid.UUID, body: UnitIn, principal: CurrentPrincipal, session: SessionDep
) -> UnitOut:
    return await registry.add_unit(session, principal, facility_id, body)


@router.patch("/facility-units/{unit_id}", response_model=UnitOut, responses=_errors)
async def patch_unit(
    unit_id: uuid.UUID, body: UnitPatch, principal: CurrentPrincipal, session: SessionDep
) -> UnitOut:
    """Change a unit (capacity never below who is in it; sex and group only while it is empty)."""
    return await registry.patch_unit(session, principal, unit_id, body)


@router.get("/facility-units/{unit_id}/placements", response_model=list[PlacementOut], responses=_errors)
async def unit_residents(
    unit_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[PlacementOut]:
    """Who is in the unit now (the console; every read audited)."""
    return await placements.of_unit(session, principal, unit_id)


@router.get(
    "/incidents/{incident_id}/subjects/{ordinal}/placement-suggestions",
    response_model=SuggestionsOut,
    responses=_errors,
)
async def placement_suggestions(
    incident_id: uuid.UUID, ordinal: Ordinal, principal: CurrentPrincipal, session: SessionDep
) -> SuggestionsOut:
    """Units of the kab/kota the separation rules allow with a free bed, best first, with reasons; and the
    units refused, with the rule (the console, and the crew working the incident)."""
    return await suggestions.suggestions(session, principal, incident_id, ordinal)


@router.post(
    "/incidents/{incident_id}/subjects/{ordinal}/placements",
    status_code=201,
    response_model=PlacementOut,
    responses=_errors,
)
async def admit(
    incident_id: uuid.UUID, ordinal: Ordinal, body: AdmitIn, principal: CurrentPrincipal, session: SessionDep
) -> PlacementOut:
    """Admit the subject into a unit: 409 naming the separation rule it would break, or a full unit."""
    placement = await placements.admit(session, principal, incident_id, ordinal, body)
    return (await placements.render_many(session, [placement]))[0]


@router.get(
    "/incidents/{incident_id}/subjects/{ordinal}/placements",
    response_model=list[PlacementOut],
    responses=_errors,
)
async def subject_placements(
    incident_id: uuid.UUID, ordinal: Ordinal, principal: CurrentPrincipal, session: SessionDep
) -> list[PlacementOut]:
    return await placements.of_subject(session, principal, incident_id, ordinal)


@router.get("/persons/{person_id}/placements", response_model=list[PlacementOut], responses=_errors)
async def person_placements(
    person_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[PlacementOut]:
    """A person's placements across all his incidents, oldest first (audited)."""
    return await placements.of_person(session, principal, person_id)


@router.post(
    "/placements/{placement_id}/transfer", status_code=201, response_model=PlacementOut, responses=_errors
)
async def transfer(
    placement_id: uuid.UUID, body: TransferIn, principal: CurrentPrincipal, session: SessionDep
) -> PlacementOut:
    """Move a placed subject to another unit (the rules apply again); returns the new placement."""
    placement = await placements.transfer(session, principal, placement_id, body)
    return (await placements.render_many(session, [placement]))[0]


@router.post("/placements/{placement_id}/discharge", response_model=PlacementOut, responses=_errors)
async def discharge(
    placement_id: uuid.UUID, body: DischargeIn, principal: CurrentPrincipal, session: SessionDep
) -> PlacementOut:
    """End a placement with a reason and where he went; the bed is free again."""
    placement = await placements.discharge(session, principal, placement_id, body)
    return (await placements.render_many(session, [placement]))[0]


@router.post(
    "/incidents/{incident_id}/subjects/{ordinal}/assessments",
    status_code=201,
    response_model=AssessmentOut,
    responses=_errors,
)
async def record_assessment(
    incident_id: uuid.UUID,
    ordinal: Ordinal,
    body: AssessmentIn,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> AssessmentOut:
    """A new version of the subject's assessment (the console, or the crew working the case); audited."""
    made = await assessments.record(session, principal, incident_id, ordinal, body)
    return (await assessments.render(session, [made]))[0]


@router.get(
    "/incidents/{incident_id}/subjects/{ordinal}/assessments",
    response_model=list[AssessmentOut],
    responses=_errors,
)
async def subject_assessments(
    incident_id: uuid.UUID, ordinal: Ordinal, principal: CurrentPrincipal, session: SessionDep
) -> list[AssessmentOut]:
    """Every version, newest (current) first; health data, every read audited."""
    return await assessments.of_subject(session, principal, incident_id, ordinal)


@router.get("/persons/{person_id}/assessments", response_model=list[AssessmentOut], responses=_errors)
async def person_assessments(
    person_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[AssessmentOut]:
    """A person's assessments across his incidents, newest first (the console; audited)."""
    return await assessments.of_person(session, principal, person_id)
