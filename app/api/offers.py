"""Offers to crews: accept and decline from the crew's app; escalations for supervisors; dispatch by hand."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import AwareDatetime, Field, StringConstraints

from app.api.deps import CurrentPrincipal, IdempotencyKeyHeader, SessionDep
from app.dispatch.crewflow import OfferStatus
from app.models import Offer
from app.schemas.common import Out, Strict, problem_responses
from app.schemas.incidents import IncidentSummary
from app.services import dispatch, idempotency

router = APIRouter(tags=["dispatch"])
_errors = problem_responses(401, 403, 404, 409, 422)

ClientTime = Field(
    default=None,
    description="when the crew answered, from the phone's clock: an answer sent in time from a place "
    "without signal still counts (at most 2 min ahead of the server, 24 h old)",
)


class OfferOut(Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    crew_id: uuid.UUID
    status: OfferStatus
    attempt: int
    offered_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    answered_at_client: datetime | None
    decline_reason: str | None
    source: str
    decision: dict[str, Any]
    released_at: datetime | None
    release_reason: str | None


class AcceptIn(Strict):
    at: AwareDatetime | None = ClientTime


class DeclineIn(Strict):
    reason: Annotated[str, StringConstraints(min_length=3, max_length=200)]
    at: AwareDatetime | None = ClientTime


async def _answer(
    response: Response,
    session: SessionDep,
    principal: CurrentPrincipal,
    offer_id: uuid.UUID,
    body: AcceptIn | DeclineIn,
    key: str | None,
) -> OfferOut:
    async def act() -> Offer:
        if isinstance(body, DeclineIn):
            return await dispatch.decline(session, principal, offer_id, body.reason, body.at)
        return await dispatch.accept(session, principal, offer_id, body.at)

    outcome = await idempotency.act_once(
        session,
        actor=principal.user_id,
        action=f"offer:{offer_id}:{'decline' if isinstance(body, DeclineIn) else 'accept'}",
        key=key,
        body=body,
        act=act,
        resource_id=lambda offer: offer.id,
    )
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    offer = outcome.created or await session.get_one(Offer, outcome.resource_id)
    return OfferOut.model_validate(offer)


@router.post("/offers/{offer_id}/accept", response_model=OfferOut, responses=_errors)
async def accept(
    offer_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
    body: AcceptIn | None = None,
) -> OfferOut:
    """The crew takes the incident: it becomes dispatched to this crew. Accepting again answers like the
    first time; 409 once expired, declined or withdrawn."""
    return await _answer(response, session, principal, offer_id, body or AcceptIn(), idempotency_key)


@router.post("/offers/{offer_id}/decline", response_model=OfferOut, responses=_errors)
async def decline(
    offer_id: uuid.UUID,
    body: DeclineIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> OfferOut:
    """The crew cannot take it (reason required): the next round offers it elsewhere within a second."""
    return await _answer(response, session, principal, offer_id, body, idempotency_key)


@router.get("/dispatch/escalations", response_model=list[IncidentSummary], responses=_errors)
async def escalations(principal: CurrentPrincipal, session: SessionDep) -> list[IncidentSummary]:
    """Incidents no crew has taken: the supervisor's list (the reason is on each one's timeline)."""
    return [IncidentSummary.model_validate(i) for i in await dispatch.escalations(session, principal)]


class ManualDispatchIn(Strict):
    crew_id: uuid.UUID
    reason: Annotated[str, StringConstraints(min_length=3, max_length=200)]


@router.post("/incidents/{incident_id}/dispatch", response_model=IncidentSummary, responses=_errors)
async def dispatch_manually(
    incident_id: uuid.UUID, body: ManualDispatchIn, principal: CurrentPrincipal, session: SessionDep
) -> IncidentSummary:
    """Dispatch (or reassign) by hand, with a reason: wins over the engine. The incident's pending offer and
    the crew's own pending offer elsewhere are withdrawn; a crew already on it is relieved. A crew busy with
    another case is refused (409): relieve it there first."""
    incident = await dispatch.dispatch_manually(session, principal, incident_id, body.crew_id, body.reason)
    return IncidentSummary.model_validate(incident)
