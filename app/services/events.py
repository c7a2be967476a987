"""The event log: the one place a change becomes visible to the timeline, the live stream and webhooks.

`record()` queues an event on the unit of work; `app.db.commit()` gives the queued events their sequence
numbers and writes them in the same transaction as the change. No commit, no event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import PENDING_EVENTS
from app.models import Event
from app.models.base import utcnow
from app.services.access import Principal


def record(
    session: AsyncSession,
    type_: str,
    *,
    actor: Principal | None,
    incident_id: uuid.UUID | None = None,
    crew_id: uuid.UUID | None = None,
    region_code: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.info.setdefault(PENDING_EVENTS, []).append(
        {
            "type": type_,
            "occurred_at": utcnow(),
            "incident_id": incident_id,
            "crew_id": crew_id,
            "region_code": region_code,
            "actor_id": actor.user_id if actor else None,
            "actor": actor.username if actor else "public",
            "data": data or {},
        }
    )


def change(before: Any, after: Any) -> dict[str, Any]:
    return {"before": before, "after": after}


async def timeline(session: AsyncSession, incident_id: uuid.UUID) -> Sequence[Event]:
    rows = await session.scalars(select(Event).where(Event.incident_id == incident_id).order_by(Event.seq))
    return rows.all()
