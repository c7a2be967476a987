"""Teams, personnel, vehicles and crews per shift; who is on duty; crew status and location from the app."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.api.deps import CurrentPrincipal, SessionDep
from app.dispatch import fourct
from app.models import Team
from app.reference import regions
from app.reference.regions import CODE_PATTERN
from app.schemas.common import problem_responses
from app.schemas.crews import (
    CrewCreate,
    CrewOut,
    LocationIn,
    PersonnelCreate,
    PersonnelOut,
    RosterIn,
    StatusIn,
    SwapIn,
    TeamCreate,
    TeamOut,
    TeamPatch,
    VehicleCreate,
    VehicleOut,
)
from app.services import crews, dispatch

router = APIRouter(tags=["crews"])
_errors = problem_responses(401, 403, 404, 409, 422)


def _team_out(team: Team) -> TeamOut:
    return TeamOut(
        id=team.id,
        name=team.name,
        region_code=team.region_code,
        timezone=regions.timezone_for(team.region_code),
        four_ct_targets={
            str(p): {s.name: m for s, m in stages.items()}
            for p, stages in fourct.merge(team.four_ct_targets).items()
        },
    )


@router.post("/teams", status_code=201, response_model=TeamOut, responses=_errors)
async def create_team(body: TeamCreate, principal: CurrentPrincipal, session: SessionDep) -> TeamOut:
    """A TRC team of one kab/kota (admins); its shifts are computed in the kab/kota's time zone."""
    return _team_out(await crews.create_team(session, principal, body.name, body.region_code))


@router.get("/teams", response_model=list[TeamOut], responses=_errors)
async def list_teams(principal: CurrentPrincipal, session: SessionDep) -> list[TeamOut]:
    return [_team_out(t) for t in await crews.teams(session, principal)]


@router.patch("/teams/{team_id}", response_model=TeamOut, responses=_errors)
async def patch_team(
    team_id: uuid.UUID, body: TeamPatch, principal: CurrentPrincipal, session: SessionDep
) -> TeamOut:
    """Rename the team or set its 4CT targets (supervisors, admins); open incidents follow the new targets."""
    return _team_out(await crews.patch_team(session, principal, team_id, body))


@router.post("/teams/{team_id}/personnel", status_code=201, response_model=PersonnelOut, responses=_errors)
async def add_personnel(
    team_id: uuid.UUID, body: PersonnelCreate, principal: CurrentPrincipal, session: SessionDep
) -> PersonnelOut:
    """TRC staff, or BKO personnel with their home unit and secondment period (supervisors, admins)."""
    return PersonnelOut.model_validate(await crews.add_personnel(session, principal, team_id, body))


@router.post("/teams/{team_id}/vehicles", status_code=201, response_model=VehicleOut, responses=_errors)
async def add_vehicle(
    team_id: uuid.UUID, body: VehicleCreate, principal: CurrentPrincipal, session: SessionDep
) -> VehicleOut:
    return VehicleOut.model_validate(await crews.add_vehicle(session, principal, team_id, body))


@router.post("/teams/{team_id}/crews", status_code=201, response_model=CrewOut, responses=_errors)
async def form_crew(
    team_id: uuid.UUID, body: CrewCreate, principal: CurrentPrincipal, session: SessionDep
) -> CrewOut:
    """Form a regu for one shift: its people, vehicle and coverage. Nobody works in two crews at once."""
    crew = await crews.form_crew(session, principal, team_id, body)
    return (await crews.render(session, [crew]))[0]


@router.post("/teams/{team_id}/roster", status_code=201, response_model=list[CrewOut], responses=_errors)
async def roster(
    team_id: uuid.UUID, body: RosterIn, principal: CurrentPrincipal, session: SessionDep
) -> list[CrewOut]:
    """Form the crews of a period from a shift template (3 x 8 h or 2 x 12 h, in the team's time zone) and
    rotating groups. All or nothing: one person already in a crew then refuses the whole roster (409)."""
    return await crews.render(session, await crews.roster(session, principal, team_id, body))


@router.post("/crews/{crew_id}/swap", response_model=CrewOut, responses=_errors)
async def swap(crew_id: uuid.UUID, body: SwapIn, principal: CurrentPrincipal, session: SessionDep) -> CrewOut:
    """Someone stands in for a member (sick, on leave), with a reason; the same checks as forming a crew."""
    [out] = await crews.render(session, [await crews.swap(session, principal, crew_id, body)])
    return out


@router.get("/crews/on-duty", response_model=list[CrewOut], responses=_errors)
async def on_duty(
    principal: CurrentPrincipal,
    session: SessionDep,
    region: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    at: datetime | None = None,
) -> list[CrewOut]:
    """Who is on duty now (or `at`) in a region: the crews whose shift covers that moment."""
    return await crews.render(session, await crews.on_duty(session, principal, region=region, at=at))


@router.get("/crews/{crew_id}", response_model=CrewOut, responses=_errors)
async def get_crew(crew_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> CrewOut:
    return (await crews.render(session, [await crews.get_crew(session, principal, crew_id)]))[0]


@router.post("/crews/{crew_id}/status", response_model=CrewOut, responses=_errors)
async def set_status(
    crew_id: uuid.UUID, body: StatusIn, principal: CurrentPrincipal, session: SessionDep
) -> CrewOut:
    """Set from the crew's app (its own crew only) or the console; out_of_service needs a reason. A crew
    that becomes available is offered the incidents waiting in its kab/kota at once."""
    crew = await dispatch.set_crew_status(session, principal, crew_id, body)
    return (await crews.render(session, [crew]))[0]


@router.post("/crews/{crew_id}/location", status_code=202, responses=_errors)
async def location(
    crew_id: uuid.UUID, body: LocationIn, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """A position ping from the crew's phone. Pings closer than 10 s apart update only the last position."""
    kept = await crews.ping(session, principal, crew_id, body.lat, body.lon, body.at)
    return Response(status_code=202, headers={"X-Position-Kept": "true" if kept else "false"})
