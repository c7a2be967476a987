"""Agencies' webhook endpoints: registration (SSRF-checked), filters, secret rotation with an overlap
window, the delivery log with every attempt, manual redelivery and replay of a time range.

An agency account manages its own agency's endpoints; supervisors and admins those of the agencies in
their region."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, Unprocessable
from app.models import (
    Agency,
    Event,
    EventArchive,
    Role,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.models.base import utcnow
from app.reference import regions
from app.schemas.agencies import EndpointIn, EndpointPatch
from app.services import scoped
from app.services.access import Principal, require
from app.services.webhooks import catalog, signing, ssrf
from app.settings import Settings

MANAGE = (Role.admin, Role.supervisor, Role.agency)
REPLAY_LIMIT = 10_000


async def _agency(session: AsyncSession, principal: Principal, agency_id: uuid.UUID) -> Agency:
    agency = await scoped.find(session, principal, Agency, agency_id)
    # Staff manage the endpoints of the agencies in their own region (not of a provincial one they see).
    if principal.role != Role.agency and not principal.sees_region(agency.region_code):
        raise scoped.not_found(Agency, agency_id)
    require(principal, MANAGE, "manage webhook endpoints")
    return agency


async def get(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> tuple[WebhookEndpoint, Agency]:
    endpoint = await scoped.find(session, principal, WebhookEndpoint, endpoint_id)
    require(principal, MANAGE, "manage webhook endpoints")
    return endpoint, await session.get_one(Agency, endpoint.agency_id)


def _check_filters(event_types: Sequence[str]) -> list[str]:
    bad = catalog.invalid_filters(event_types)
    if bad:
        raise Unprocessable(
            f"unknown event types {bad}; agencies receive {sorted(catalog.AGENCY_EVENTS)} (or 'prefix.*')",
            field="body.event_types",
        )
    return sorted(set(event_types))


async def create(
    session: AsyncSession, principal: Principal, settings: Settings, agency_id: uuid.UUID, body: EndpointIn
) -> tuple[WebhookEndpoint, str]:
    agency = await _agency(session, principal, agency_id)
    url = str(body.url)
    await ssrf.check_for_api(url, settings.webhook_allow_private, require_https=settings.env == "production")
    region = body.region_code or agency.region_code
    if not regions.within(region, agency.region_code):
        raise Unprocessable(
            f"region {region} is outside the agency's area {agency.region_code}", field="body.region_code"
        )
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        agency_id=agency.id,
        url=url,
        description=body.description,
        event_types=_check_filters(body.event_types),
        region_code=region,
        personal_data=sorted(set(body.personal_data)),
        secrets=[{"secret": secret, "expires_at": None}],
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def list_for(
    session: AsyncSession, principal: Principal, agency_id: uuid.UUID
) -> Sequence[WebhookEndpoint]:
    agency = await _agency(session, principal, agency_id)
    return (
        await session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.agency_id == agency.id)
            .order_by(WebhookEndpoint.created_at)
        )
    ).all()


async def patch(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    endpoint_id: uuid.UUID,
    body: EndpointPatch,
) -> WebhookEndpoint:
    endpoint, _ = await get(session, principal, endpoint_id)
    now = utcnow()
    if body.url is not None:
        await ssrf.check_for_api(
            str(body.url), settings.webhook_allow_private, require_https=settings.env == "production"
        )
        endpoint.url = str(body.url)
    if body.description is not None:
        endpoint.description = body.description
    if body.event_types is not None:
        endpoint.event_types = _check_filters(body.event_types)
    if body.personal_data is not None:
        endpoint.personal_data = sorted(set(body.personal_data))
    if body.enabled is not None and body.enabled != endpoint.enabled:
        endpoint.enabled = body.enabled
        if body.enabled:
            endpoint.disabled_reason = endpoint.disabled_at = None
            # Its waiting messages go out at once, in order (a failed one stays failed: redeliver it by hand).
            for delivery in await session.scalars(
                select(WebhookDelivery).where(
                    WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending"
                )
            ):
                delivery.due_at = now
        else:
            endpoint.disabled_reason, endpoint.disabled_at = f"disabled by {principal.username}", now
    endpoint.updated_at = now
    return endpoint


async def rotate(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, overlap_seconds: int
) -> tuple[str, datetime | None]:
    """A new signing secret; the previous ones keep signing until the overlap ends (0 = at once)."""
    endpoint, _ = await get(session, principal, endpoint_id)
    now = utcnow()
    ends = now + timedelta(seconds=overlap_seconds)
    kept = []
    for s in endpoint.secrets:
        expires = datetime.fromisoformat(s["expires_at"]) if s.get("expires_at") else None
        if expires is not None and expires <= now:
            continue
        expires = ends if expires is None else min(expires, ends)
        if expires > now:
            kept.append({"secret": s["secret"], "expires_at": expires.isoformat()})
    secret = signing.new_secret()
    endpoint.secrets = [{"secret": secret, "expires_at": None}, *kept]
    endpoint.updated_at = now
    return secret, ends if kept else None


async def deliveries(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    *,
    status: str | None,
    before_id: int | None,
    limit: int,
) -> Sequence[WebhookDelivery]:
    await get(session, principal, endpoint_id)
    q = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if status:
        q = q.where(WebhookDelivery.status == status)
    if before_id:
        q = q.where(WebhookDelivery.id < before_id)
    return (await session.scalars(q)).all()


async def delivery(
    session: AsyncSession, principal: Principal, delivery_id: int
) -> tuple[WebhookDelivery, Sequence[WebhookAttempt]]:
    found = await scoped.find(session, principal, WebhookDelivery, delivery_id)
    require(principal, MANAGE, "read webhook deliveries")
    attempts = (
        await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)
        )
    ).all()
    return found, attempts


async def redeliver(session: AsyncSession, principal: Principal, delivery_id: int) -> WebhookDelivery:
    """The same message (same `webhook-id` and body) again, queued behind the endpoint's waiting ones."""
    original, _ = await delivery(session, principal, delivery_id)
    if original.status == "pending":
        raise Conflict(
            f"delivery {delivery_id} is still pending; it will be attempted", current_status="pending"
        )
    copy = _again(original, "redelivery")
    session.add(copy)
    await session.flush()
    return copy


async def replay(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, since: datetime, until: datetime
) -> int:
    """Queues again, in order, every message this endpoint was sent for events in [since, until)."""
    endpoint, _ = await get(session, principal, endpoint_id)
    if until <= since:
        raise Unprocessable("until must be after since", field="body.until")
    # The event is in the hot table or, once archived (`tanggap archive events`), in the archive.
    occurred = func.coalesce(Event.occurred_at, EventArchive.occurred_at)
    sent = (
        await session.scalars(
            select(WebhookDelivery)
            .outerjoin(Event, Event.id == WebhookDelivery.event_id)
            .outerjoin(EventArchive, EventArchive.id == WebhookDelivery.event_id)
            .where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.origin == "event",
                occurred >= since,
                occurred < until,
            )
            .order_by(WebhookDelivery.event_seq)
            .limit(REPLAY_LIMIT + 1)
        )
    ).all()
    if len(sent) > REPLAY_LIMIT:
        raise Unprocessable(
            f"more than {REPLAY_LIMIT} messages in that range; replay a shorter one", field="body"
        )
    session.add_all([_again(original, "replay") for original in sent])
    return len(sent)


def _again(original: WebhookDelivery, origin: str) -> WebhookDelivery:
    """The same message (webhook-id and body) as a new delivery at the end of the endpoint's queue."""
    return WebhookDelivery(
        endpoint_id=original.endpoint_id,
        event_id=original.event_id,
        event_seq=original.event_seq,
        event_type=original.event_type,
        incident_id=original.incident_id,
        message_id=original.message_id,
        payload=original.payload,
        origin=origin,
    )


def secret_expiries(endpoint: WebhookEndpoint) -> list[datetime | None]:
    return [
        datetime.fromisoformat(s["expires_at"]) if s.get("expires_at") else None for s in endpoint.secrets
    ]
