"""The crew's phone as a first-class client: who am I, my crew and shift, my offers, my current job."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import Field, StringConstraints

from app.api.crews import _team_out
from app.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from app.errors import Unprocessable
from app.models.base import utcnow
from app.schemas.common import Out, Strict, problem_responses
from app.schemas.crews import MeOut, ShiftOut
from app.schemas.incidents import IncidentDetail
from app.schemas.offers import OfferOut
from app.services import crews, incidents, me
from app.services.dispatch.engagements import incident_brief
from app.services.push import queue as push_queue
from app.services.push import vapid
from app.services.webhooks import ssrf

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


class PushKeys(Strict):
    p256dh: Annotated[str, StringConstraints(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_\-=]+$")]
    auth: Annotated[str, StringConstraints(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-=]+$")]


class PushSubscriptionIn(Strict):
    """`PushSubscription.toJSON()` from the browser (expirationTime is ignored)."""

    endpoint: Annotated[str, StringConstraints(min_length=10, max_length=1000)]
    keys: PushKeys
    expirationTime: int | None = None
    user_agent: Annotated[str, StringConstraints(max_length=200)] | None = None


class PushSubscriptionOut(Out):
    id: uuid.UUID
    endpoint: str
    user_agent: str | None
    created_at: datetime
    last_sent_at: datetime | None


class VapidKey(Out):
    application_server_key: str = Field(description="for pushManager.subscribe({applicationServerKey})")


@router.get("/push/key", response_model=VapidKey, responses=problem_responses(401))
async def vapid_key(principal: CurrentPrincipal, settings: SettingsDep) -> VapidKey:
    """The server's VAPID public key, to subscribe a device."""
    _ = principal
    return VapidKey(application_server_key=vapid.application_server_key(settings))


@router.post(
    "/push-subscriptions",
    status_code=201,
    response_model=PushSubscriptionOut,
    responses=problem_responses(401, 409, 422),
)
async def subscribe(
    body: PushSubscriptionIn, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> PushSubscriptionOut:
    """Register this device for push: offers and handovers for crews (with the offer's expiry as their time
    to live, so a sleeping phone gets them while they are worth answering), escalations for supervisors.
    The endpoint must be a public https address (private ones only if allow-listed)."""
    try:
        await ssrf.check(
            body.endpoint, settings.webhook_allow_private, require_https=settings.env == "production"
        )
    except ssrf.RefusedTarget as exc:
        raise Unprocessable(f"endpoint ditolak: {exc}", field="body.endpoint") from exc
    sub = await push_queue.subscribe(
        session,
        principal,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        user_agent=body.user_agent,
    )
    return PushSubscriptionOut.model_validate(sub)


@router.get("/push-subscriptions", response_model=list[PushSubscriptionOut], responses=problem_responses(401))
async def my_subscriptions(principal: CurrentPrincipal, session: SessionDep) -> list[PushSubscriptionOut]:
    return [PushSubscriptionOut.model_validate(s) for s in await push_queue.mine(session, principal)]


@router.delete(
    "/push-subscriptions/{subscription_id}", status_code=204, responses=problem_responses(401, 404)
)
async def unsubscribe(
    subscription_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    await push_queue.unsubscribe(session, principal, subscription_id)
    return Response(status_code=204)
