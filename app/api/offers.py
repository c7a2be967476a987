"""Offers to crews: accept and decline from the crew's app; escalations for supervisors; dispatch by hand."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.api.deps import CurrentPrincipal, IdempotencyKeyHeader, SessionDep
from app.models import Offer
from app.schemas.common import problem_responses
from app.schemas.incidents import IncidentSummary
from app.schemas.offers import AcceptIn, DeclineIn, ManualDispatchIn, OfferOut
from app.services import dispatch, idempotency

router = APIRouter(tags=["dispatch"])
_errors = problem_responses(401, 403, 404, 409, 422)


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


@router.post("/incidents/{incident_id}/dispatch", response_model=IncidentSummary, responses=_errors)
async def dispatch_manually(
    incident_id: uuid.UUID, body: ManualDispatchIn, principal: CurrentPrincipal, session: SessionDep
) -> IncidentSummary:
    """Dispatch (or reassign) by hand, with a reason: wins over the engine. The incident's pending offer and
    the crew's own pending offer elsewhere are withdrawn; a crew already on it is relieved. A crew busy with
    another case is refused (409): relieve it there first."""
    incident = await dispatch.dispatch_manually(session, principal, incident_id, body.crew_id, body.reason)
    return IncidentSummary.model_validate(incident)
