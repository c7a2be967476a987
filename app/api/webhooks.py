"""Agencies' webhook endpoints and their delivery log."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from app.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from app.models import WebhookEndpoint
from app.schemas.agencies import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    ReplayIn,
    ReplayOut,
    RotateIn,
    RotateOut,
)
from app.schemas.common import INT64_MAX, problem_responses
from app.services.webhooks import catalog, endpoints

router = APIRouter(tags=["webhooks"])
_errors = problem_responses(401, 403, 404, 409, 422)
BigIdPath = Annotated[int, Path(ge=1, le=INT64_MAX)]


def _out(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut.model_validate(
        {
            **{k: getattr(endpoint, k) for k in EndpointOut.model_fields if k != "secret_expiries"},
            "secret_expiries": endpoints.secret_expiries(endpoint),
        }
    )


@router.get("/webhooks/event-types", response_model=list[str])
async def event_types() -> list[str]:
    """The event types an agency's endpoint may receive."""
    return sorted(catalog.AGENCY_EVENTS)


@router.post(
    "/agencies/{agency_id}/webhooks", status_code=201, response_model=EndpointCreated, responses=_errors
)
async def create_endpoint(
    agency_id: uuid.UUID,
    body: EndpointIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> EndpointCreated:
    """Register an endpoint; the signing secret is in the answer and never shown again."""
    endpoint, secret = await endpoints.create(session, principal, settings, agency_id, body)
    return EndpointCreated(**_out(endpoint).model_dump(), secret=secret)


@router.get("/agencies/{agency_id}/webhooks", response_model=list[EndpointOut], responses=_errors)
async def list_endpoints(
    agency_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[EndpointOut]:
    return [_out(e) for e in await endpoints.list_for(session, principal, agency_id)]


@router.get("/webhooks/{endpoint_id}", response_model=EndpointOut, responses=_errors)
async def get_endpoint(
    endpoint_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> EndpointOut:
    endpoint, _ = await endpoints.get(session, principal, endpoint_id)
    return _out(endpoint)


@router.patch("/webhooks/{endpoint_id}", response_model=EndpointOut, responses=_errors)
async def patch_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointPatch,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> EndpointOut:
    """Change the URL or filters, or enable a disabled endpoint (its waiting messages go out at once)."""
    return _out(await endpoints.patch(session, principal, settings, endpoint_id, body))


@router.post("/webhooks/{endpoint_id}/rotate-secret", response_model=RotateOut, responses=_errors)
async def rotate_secret(
    endpoint_id: uuid.UUID, body: RotateIn, principal: CurrentPrincipal, session: SessionDep
) -> RotateOut:
    """A new secret; the old one keeps signing (both signatures are sent) until the overlap ends."""
    secret, ends = await endpoints.rotate(session, principal, endpoint_id, body.overlap_seconds)
    return RotateOut(secret=secret, previous_expires_at=ends)


@router.get("/webhooks/{endpoint_id}/deliveries", response_model=list[DeliveryOut], responses=_errors)
async def list_deliveries(
    endpoint_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    status: Literal["pending", "delivered", "failed"] | None = None,
    before_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeliveryOut]:
    """The endpoint's messages, newest first."""
    rows = await endpoints.deliveries(
        session, principal, endpoint_id, status=status, before_id=before_id, limit=limit
    )
    return [DeliveryOut.model_validate(d) for d in rows]


@router.get("/webhooks/deliveries/{delivery_id}", response_model=DeliveryDetail, responses=_errors)
async def get_delivery(
    delivery_id: BigIdPath, principal: CurrentPrincipal, session: SessionDep
) -> DeliveryDetail:
    """One message with every attempt: status code, latency, error, the start of the response."""
    delivery, attempts = await endpoints.delivery(session, principal, delivery_id)
    return DeliveryDetail(
        **DeliveryOut.model_validate(delivery).model_dump(),
        attempt_log=[AttemptOut.model_validate(a) for a in attempts],
    )


@router.post(
    "/webhooks/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryOut,
    responses=_errors,
)
async def redeliver(delivery_id: BigIdPath, principal: CurrentPrincipal, session: SessionDep) -> DeliveryOut:
    """Send a delivered or failed message again (same webhook-id), after the endpoint's waiting ones."""
    return DeliveryOut.model_validate(await endpoints.redeliver(session, principal, delivery_id))


@router.post("/webhooks/{endpoint_id}/replay", status_code=202, response_model=ReplayOut, responses=_errors)
async def replay(
    endpoint_id: uuid.UUID, body: ReplayIn, principal: CurrentPrincipal, session: SessionDep
) -> ReplayOut:
    """Send again, in order, the messages for the events of a time range."""
    return ReplayOut(queued=await endpoints.replay(session, principal, endpoint_id, body.since, body.until))
