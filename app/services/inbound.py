"""Signed inbound webhooks from partner systems: `POST /api/v1/inbound/{source}`.

A message is taken only with a valid Standard Webhooks signature by one of the source's secrets and a
timestamp within five minutes (else 401, nothing written). Its `webhook-id` is recorded in the same
transaction as what it carries: a replay gets the first answer again and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from app.models import InboundMessage, InboundSource, Role, User
from app.models.base import utcnow
from app.schemas.reports import ReportCreate
from app.schemas.social import InboundSourceIn, SocialPostIn
from app.services import intake, social
from app.services.access import Principal, require
from app.services.webhooks import signing

MANAGE = (Role.admin, Role.supervisor)


async def create_source(
    session: AsyncSession, principal: Principal, body: InboundSourceIn
) -> tuple[InboundSource, str]:
    require(principal, MANAGE, "manage inbound sources")
    user = await session.get(User, body.user_id)
    if user is None or not principal.sees_region(user.region_code or ""):
        raise NotFound(f"user {body.user_id} not found")
    if await session.scalar(select(InboundSource.id).where(InboundSource.name == body.name)):
        raise Conflict(f"inbound source {body.name!r} exists")
    secret = signing.new_secret()
    source = InboundSource(
        name=body.name,
        kind=body.kind,
        region_code=user.region_code,
        user_id=user.id,
        secrets=[{"secret": secret, "expires_at": None}],
    )
    session.add(source)
    await session.flush()
    return source, secret


async def receive(
    session: AsyncSession, name: str, raw: bytes, headers: Mapping[str, str], client_ip: str | None
) -> tuple[int, dict[str, Any], bool]:
    """Returns (status, answer, replayed)."""
    source = await session.scalar(select(InboundSource).where(InboundSource.name == name))
    if source is None or not source.active:
        raise NotFound(f"inbound source {name!r} not found")
    if not signing.verify(raw, headers, signing.live_secrets(source.secrets, utcnow())):
        raise Unauthorized("missing, invalid or stale webhook signature")
    message_id = headers.get("webhook-id", "")[:128]
    earlier = await _earlier(session, source.id, message_id)
    if earlier is not None:
        return earlier.status_code, earlier.response, True
    record = InboundMessage(source_id=source.id, message_id=message_id, status_code=0)
    session.add(record)
    try:
        await session.flush()
    except IntegrityError:  # the same message, being taken right now by another request
        await session.rollback()
        earlier = await _earlier(session, source.id, message_id)
        if earlier is None:
            raise Conflict("this webhook-id is being processed; retry later") from None
        return earlier.status_code, earlier.response, True
    user = await session.get(User, source.user_id)
    if user is None or not user.is_active:
        raise Forbidden(f"the account of source {name!r} is disabled")
    principal = Principal(user.id, user.username, Role(user.role), user.region_code, client_ip=client_ip)
    answer = await _dispatch(session, source.kind, principal, raw)
    record.status_code, record.response = 201, answer
    return 201, answer, False


async def _earlier(session: AsyncSession, source_id: uuid.UUID, message_id: str) -> InboundMessage | None:
    return await session.scalar(
        select(InboundMessage).where(
            InboundMessage.source_id == source_id,
            InboundMessage.message_id == message_id,
            InboundMessage.status_code > 0,
        )
    )


async def _dispatch(session: AsyncSession, kind: str, principal: Principal, raw: bytes) -> dict[str, Any]:
    try:
        if kind == "social_media":
            done = await social.ingest(session, principal, SocialPostIn.model_validate_json(raw))
            post, duplicate = done.post, done.duplicate
            return {
                "post_id": str(post.id),
                "duplicate": duplicate,
                "report_id": str(post.report_id) if post.report_id else None,
                "incident_id": str(post.incident_id) if post.incident_id else None,
                "suggestion": post.suggestion,
            }
        report = await intake.submit(session, principal, ReportCreate.model_validate_json(raw))
        return {"report_id": str(report.id), "incident_id": str(report.incident_id)}
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "body." + ".".join(str(p) for p in first["loc"])
        raise Unprocessable(f"{field}: {first['msg']}", field=field) from exc
