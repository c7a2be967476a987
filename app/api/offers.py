"""Offers to crews: accept and decline from the crew's app; escalations for supervisors."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import StringConstraints

from app.api.deps import CurrentPrincipal, SessionDep
from app.schemas.common import Out, Strict, problem_responses
from app.schemas.incidents import IncidentSummary
from app.services import dispatch

router = APIRouter(tags=["dispatch"])
_errors = problem_responses(401, 403, 404, 409, 422)


class OfferOut(Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    crew_id: uuid.UUID
    status: str
    attempt: int
    offered_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    decline_reason: str | None
    source: str
    decision: dict[str, Any]


class DeclineIn(Strict):
    reason: Annotated[str, StringConstraints(min_length=3, max_length=200)]


@router.post("/offers/{offer_id}/accept", response_model=OfferOut, responses=_errors)
async def accept(offer_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> OfferOut:
    """The crew takes the incident: it becomes dispatched to this crew. 409 once expired or answered."""
    return OfferOut.model_validate(await dispatch.accept(session, principal, offer_id))


@router.post("/offers/{offer_id}/decline", response_model=OfferOut, responses=_errors)
async def decline(
    offer_id: uuid.UUID, body: DeclineIn, principal: CurrentPrincipal, session: SessionDep
) -> OfferOut:
    """The crew cannot take it (reason required): the next candidate gets an offer at once."""
    return OfferOut.model_validate(await dispatch.decline(session, principal, offer_id, body.reason))


@router.get("/dispatch/escalations", response_model=list[IncidentSummary], responses=_errors)
async def escalations(principal: CurrentPrincipal, session: SessionDep) -> list[IncidentSummary]:
    """Incidents no crew took: the supervisor's list."""
    return [IncidentSummary.model_validate(i) for i in await dispatch.escalations(session, principal)]


class ManualDispatchIn(Strict):
    crew_id: uuid.UUID
    reason: Annotated[str, StringConstraints(min_length=3, max_length=200)]


@router.post("/incidents/{incident_id}/dispatch", response_model=IncidentSummary, responses=_errors)
async def dispatch_manually(
    incident_id: uuid.UUID, body: ManualDispatchIn, principal: CurrentPrincipal, session: SessionDep
) -> IncidentSummary:
    """Dispatch (or reassign) by hand, with a reason: wins over the engine; pending offers are withdrawn."""
    incident = await dispatch.dispatch_manually(session, principal, incident_id, body.crew_id, body.reason)
    return IncidentSummary.model_validate(incident)
