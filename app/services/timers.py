"""4CT timers on incidents: keep the next deadline current, and record breaches when they happen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import fourct
from app.dispatch.lifecycle import Stage, Status
from app.models import Incident
from app.services import events

_FINISHED = {Status.closed, Status.rejected, Status.cancelled}


def met(incident: Incident) -> dict[Stage, datetime | None]:
    return {
        Stage.temu: incident.found_at,
        Stage.tanggap: incident.responded_at,
        Stage.tindak: incident.acted_at,
        Stage.tuntas: incident.completed_at,
    }


def refresh(incident: Incident) -> None:
    """Call after anything that moves a 4CT deadline: creation, priority, first report time, a stage met."""
    if incident.status in _FINISHED:
        incident.four_ct_next_due = None
        return
    incident.four_ct_next_due = fourct.next_due(
        incident.priority, incident.first_received_at, met(incident), incident.four_ct_breaches or []
    )


async def record_breaches(session: AsyncSession, now: datetime, *, limit: int = 200) -> int:
    """Writes an `incident.4ct_breached` event for every stage whose deadline has passed unmet. SKIP LOCKED:
    safe with several workers."""
    due = (
        await session.scalars(
            select(Incident)
            .where(Incident.four_ct_next_due <= now)
            .order_by(Incident.four_ct_next_due)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    count = 0
    for incident in due:
        targets = fourct.TARGET_MINUTES[incident.priority]
        found = fourct.breaches(
            incident.priority, incident.first_received_at, met(incident), incident.four_ct_breaches or [], now
        )
        for stage in found:
            deadline = fourct.deadlines(incident.priority, incident.first_received_at)[stage]
            events.record(
                session,
                "incident.4ct_breached",
                actor=None,
                incident_id=incident.id,
                crew_id=incident.assigned_crew_id,
                region_code=incident.region_code,
                data={
                    "stage": stage.name,
                    "target_minutes": targets[stage],
                    "due_at": deadline.isoformat(),
                    "priority": incident.priority,
                },
            )
            count += 1
        incident.four_ct_breaches = [*(incident.four_ct_breaches or []), *(s.name for s in found)]
        refresh(incident)
    return count
