"""Devices' push subscriptions, and the messages queued for them in the transaction of what they announce
(so an offer and its push are written together, or neither)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import PUSH_QUEUED
from app.errors import NotFound
from app.models import Crew, CrewMember, Personnel, PushMessage, PushSubscription, Role, User
from app.models.base import utcnow
from app.services.access import Principal

# A message for something with no deadline of its own (an escalation) is worth sending for this long.
DEFAULT_LIFETIME = timedelta(minutes=30)


async def subscribe(
    session: AsyncSession,
    principal: Principal,
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    user_agent: str | None,
) -> PushSubscription:
    """Registers (or refreshes) a device of the caller. The same endpoint from another account moves to this
    one: the phone changed hands."""
    sub = await session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if sub is None:
        sub = PushSubscription(endpoint=endpoint, user_id=principal.user_id, p256dh=p256dh, auth=auth)
        session.add(sub)
    sub.user_id, sub.p256dh, sub.auth, sub.user_agent = principal.user_id, p256dh, auth, user_agent
    await session.flush()
    return sub


async def mine(session: AsyncSession, principal: Principal) -> Sequence[PushSubscription]:
    return (
        await session.scalars(
            select(PushSubscription)
            .where(PushSubscription.user_id == principal.user_id)
            .order_by(PushSubscription.created_at)
        )
    ).all()


async def unsubscribe(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> None:
    sub = await session.get(PushSubscription, subscription_id)
    if sub is None or sub.user_id != principal.user_id:
        raise NotFound(f"langganan notifikasi {subscription_id} tidak ditemukan")
    await session.execute(delete(PushMessage).where(PushMessage.subscription_id == sub.id))
    await session.delete(sub)


def _queue(
    session: AsyncSession,
    subscriptions: Sequence[uuid.UUID],
    *,
    kind: str,
    payload: dict[str, Any],
    expires_at: datetime,
    urgency: str,
    topic: str | None,
) -> int:
    now = utcnow()
    for sub_id in subscriptions:
        session.add(
            PushMessage(
                subscription_id=sub_id,
                kind=kind,
                payload=payload,
                urgency=urgency,
                topic=topic,
                expires_at=expires_at,
                status="pending",
                due_at=now,
                attempts=0,
                created_at=now,
            )
        )
    if subscriptions:
        session.info[PUSH_QUEUED] = True
    return len(subscriptions)


async def to_crew(
    session: AsyncSession,
    crew: Crew,
    *,
    kind: str,
    payload: dict[str, Any],
    expires_at: datetime | None = None,
    urgency: str = "high",
    topic: str | None = None,
) -> int:
    """Every device of every active member of the crew."""
    subs = list(
        await session.scalars(
            select(PushSubscription.id)
            .join(Personnel, Personnel.user_id == PushSubscription.user_id)
            .join(CrewMember, CrewMember.personnel_id == Personnel.id)
            .where(CrewMember.crew_id == crew.id, Personnel.active)
        )
    )
    return _queue(
        session,
        subs,
        kind=kind,
        payload=payload,
        expires_at=expires_at or utcnow() + DEFAULT_LIFETIME,
        urgency=urgency,
        topic=topic,
    )


async def to_supervisors(
    session: AsyncSession, regency: str, *, kind: str, payload: dict[str, Any], urgency: str = "high"
) -> int:
    """Every device of the active supervisors whose region holds the kab/kota (its own, its province's)."""
    province = regency.split(".")[0]
    subs = list(
        await session.scalars(
            select(PushSubscription.id)
            .join(User, User.id == PushSubscription.user_id)
            .where(
                User.role == Role.supervisor,
                User.is_active,
                or_(User.region_code == regency, User.region_code == province),
            )
        )
    )
    return _queue(
        session,
        subs,
        kind=kind,
        payload=payload,
        expires_at=utcnow() + DEFAULT_LIFETIME,
        urgency=urgency,
        topic=None,
    )
