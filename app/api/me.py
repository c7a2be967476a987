"""The crew's phone as a first-class client: who am I, my crew and shift, my offers, my current job."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from app.api.crews import _team_out
from app.api.deps import CurrentPrincipal, SessionDep
from app.api.offers import OfferOut
from app.models.base import utcnow
from app.schemas.common import Out, problem_responses
from app.schemas.crews import MeOut, ShiftOut
from app.schemas.incidents import IncidentDetail
from app.services import crews, incidents, me
from app.services.dispatch.engagements import incident_brief

router = APIRouter(prefix="/me", tags=["crew app"])


class MyOffer(OfferOut):
    incident: dict[str, object] = Field(
        description="what the phone shows before opening it; no personal data"
    )


class MyAssignment(Out):
    offer: OfferOut | None
    incident: IncidentDetail | None = Field(
        description="the case, with the reporter's and subject's contact in full while the crew works it "
        "(each read is audited); null when the crew has no case"
    )


@router.get("", response_model=MeOut, responses=problem_responses(401))
async def whoami(principal: CurrentPrincipal, session: SessionDep) -> MeOut:
    """The caller, and for crew members the crew they work in now (or next) and its shift."""
    crew, team = await me.my_crew(session, principal)
    now = utcnow()
    return MeOut(
        user_id=principal.user_id,
        username=principal.username,
        role=principal.role,
        region_code=principal.region_code,
        crew=(await crews.render(session, [crew]))[0] if crew else None,
        team=_team_out(team) if team else None,
        shift=ShiftOut(
            starts_at=crew.shift_starts_at,
            ends_at=crew.shift_ends_at,
            on_duty=crew.shift_starts_at <= now < crew.shift_ends_at,
        )
        if crew
        else None,
    )


@router.get("/offers", response_model=list[MyOffer], responses=problem_responses(401))
async def my_offers(principal: CurrentPrincipal, session: SessionDep) -> list[MyOffer]:
    """Pending offers of the caller's crew on duty, with what the phone shows and when each expires."""
    return [
        MyOffer(**OfferOut.model_validate(o).model_dump(), incident=incident_brief(i))
        for o, i in await me.my_offers(session, principal)
    ]


@router.get("/assignment", response_model=MyAssignment, responses=problem_responses(401))
async def my_assignment(principal: CurrentPrincipal, session: SessionDep) -> MyAssignment:
    """The case the caller's crew works now (with the contacts it needs to call), or nulls."""
    offer = await me.my_assignment(session, principal)
    if offer is None:
        return MyAssignment(offer=None, incident=None)
    detail = await incidents.get_detail(session, principal, offer.incident_id)
    return MyAssignment(offer=OfferOut.model_validate(offer), incident=detail)
