"""Teams, personnel, vehicles and crews per shift; who is on duty; crew status and location from the app."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.api.deps import CurrentPrincipal, IdempotencyKeyHeader, SessionDep
from app.dispatch import fourct
from app.models import Crew, Team
from app.reference import regions
from app.reference.regions import CODE_PATTERN
from app.schemas.common import Instant, problem_responses
from app.schemas.crews import (
    CrewCreate,
    CrewOut,
    LocationAck,
    LocationIn,
    PersonnelCreate,
    PersonnelOut,
    PersonnelPatch,
    RosterIn,
    StatusIn,
    SwapIn,
    TeamCreate,
    TeamOut,
    TeamPatch,
    VehicleCreate,
    VehicleOut,
    VehiclePatch,
)
from app.services import crews, dispatch, idempotency

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
        shift_template=team.shift_template,
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


@router.get("/teams/{team_id}/personnel", response_model=list[PersonnelOut], responses=_errors)
async def list_personnel(
    team_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[PersonnelOut]:
    """The team's people, TRC and BKO, active or not (console roles of the region)."""
    return [PersonnelOut.model_validate(p) for p in await crews.list_personnel(session, principal, team_id)]


@router.patch("/personnel/{person_id}", response_model=PersonnelOut, responses=_errors)
async def patch_personnel(
    person_id: uuid.UUID, body: PersonnelPatch, principal: CurrentPrincipal, session: SessionDep
) -> PersonnelOut:
    """Edit a person: skills, phone, crew-app account (a crew account of the team's kab/kota), secondment,
    active. The kab/kota's dispatch plan is made again (skills decide who may take what)."""
    person, team = await crews.patch_personnel(session, principal, person_id, body)
    await dispatch.capacity_changed(session, team.region_code)
    return PersonnelOut.model_validate(person)


@router.get("/teams/{team_id}/vehicles", response_model=list[VehicleOut], responses=_errors)
async def list_vehicles(
    team_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[VehicleOut]:
    return [VehicleOut.model_validate(v) for v in await crews.list_vehicles(session, principal, team_id)]


@router.patch("/vehicles/{vehicle_id}", response_model=VehicleOut, responses=_errors)
async def patch_vehicle(
    vehicle_id: uuid.UUID, body: VehiclePatch, principal: CurrentPrincipal, session: SessionDep
) -> VehicleOut:
    """Edit a vehicle or take it out of service with a reason (no fuel, flat tyre, repair) and back: while
    it is out, its crew is not offered what needs it; back in service, waiting incidents are offered."""
    vehicle, team = await crews.patch_vehicle(session, principal, vehicle_id, body)
    await dispatch.capacity_changed(session, team.region_code)
    return VehicleOut.model_validate(vehicle)


@router.get("/teams/{team_id}/crews", response_model=list[CrewOut], responses=_errors)
async def roster_view(
    team_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    since: Instant,
    until: Instant,
) -> list[CrewOut]:
    """The roster as it stands: the team's crews whose shift overlaps [since, until) (at most 62 days)."""
    return await crews.render(session, await crews.roster_view(session, principal, team_id, since, until))


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
    at: Instant | None = None,
) -> list[CrewOut]:
    """Who is on duty now (or `at`) in a region: the crews whose shift covers that moment."""
    return await crews.render(session, await crews.on_duty(session, principal, region=region, at=at))


@router.get("/crews/{crew_id}", response_model=CrewOut, responses=_errors)
async def get_crew(crew_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> CrewOut:
    return (await crews.render(session, [await crews.get_crew(session, principal, crew_id)]))[0]


@router.post("/crews/{crew_id}/status", response_model=CrewOut, responses=_errors)
async def set_status(
    crew_id: uuid.UUID,
    body: StatusIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CrewOut:
    """From the crew's app (its own crew only) or the console. A step of its case (en_route, on_scene,
    handling, transporting, at_facility) moves the incident and stamps 4CT at `at`; `available` once the case
    is resolved frees the crew (409 while it holds an offer or an open case); out_of_service needs a reason,
    withdraws a pending offer and hands an open case over. The same status again answers like the first."""
    outcome = await idempotency.act_once(
        session,
        actor=principal.user_id,
        action=f"crew:{crew_id}:status",
        key=idempotency_key,
        body=body,
        act=lambda: dispatch.set_crew_status(session, principal, crew_id, body),
        resource_id=lambda crew: crew.id,
    )
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    crew = (
        outcome.created if outcome.created is not None else await session.get_one(Crew, outcome.resource_id)
    )
    return (await crews.render(session, [crew]))[0]


@router.post(
    "/crews/{crew_id}/location",
    status_code=202,
    response_model=LocationAck,
    responses={
        **_errors,
        202: {
            "description": "Position taken",
            "headers": {
                "X-Position-Kept": {
                    "description": "true when the position went into the history",
                    "schema": {"type": "string", "enum": ["true", "false"]},
                }
            },
        },
    },
)
async def location(
    crew_id: uuid.UUID, body: LocationIn, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> LocationAck:
    """A position ping from the crew's phone. Pings closer than 10 s apart update only the last position."""
    kept = await crews.ping(session, principal, crew_id, body.lat, body.lon, body.at)
    response.headers["X-Position-Kept"] = "true" if kept else "false"
    return LocationAck(kept=kept)
