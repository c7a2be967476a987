"""The access audit trail for personal data (UU PDP): who read or wrote which fields of whom, and why."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import PENDING_AUDIT
from app.models import AuditEntry
from app.models.base import utcnow
from app.services.access import Principal, in_region


def record(
    session: AsyncSession,
    principal: Principal | None,
    *,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID,
    fields: Sequence[str],
    region_code: str,
    purpose: str,
    client_ip: str | None = None,
    actor_name: str | None = None,
) -> None:
    """Queues an audit entry; `app.db.commit()` writes it in the same transaction as the access it records."""
    if not fields:
        return
    session.info.setdefault(PENDING_AUDIT, []).append(
        {
            "at": utcnow(),
            "actor_id": principal.user_id if principal else None,
            "actor": principal.username if principal else actor_name or "public",
            "actor_role": principal.role if principal else "system" if actor_name else "public",
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "fields": list(fields),
            "region_code": region_code,
            "purpose": purpose,
            "client_ip": principal.client_ip if principal else client_ip,
        }
    )


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    actor_id: uuid.UUID | None,
    entity_id: uuid.UUID | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> Sequence[AuditEntry]:
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if principal.region_code:
        q = q.where(in_region(AuditEntry.region_code, principal.region_code))
    if actor_id:
        q = q.where(AuditEntry.actor_id == actor_id)
    if entity_id:
        q = q.where(AuditEntry.entity_id == entity_id)
    if action:
        q = q.where(AuditEntry.action == action)
    if since:
        q = q.where(AuditEntry.at >= since)
    if until:
        q = q.where(AuditEntry.at < until)
    if before_id:
        q = q.where(AuditEntry.id < before_id)
    return (await session.scalars(q)).all()
