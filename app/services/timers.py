"""4CT timers on incidents: keep the next deadline current, and record breaches when they happen.

Targets are the team's (`teams.four_ct_targets` over the defaults of app/dispatch/fourct.py). Each worker
keeps them in memory, reloaded by its scheduler every minute and at once by the worker that changes them;
another worker may use the old targets for up to a minute."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import fourct
from app.dispatch.lifecycle import Stage, Status
from app.models import Incident, Team
from app.services import events

_FINISHED = {Status.closed, Status.rejected, Status.cancelled}
# kab/kota code -> its team's targets; kab/kota without a team (or without overrides) use the defaults.
_TEAM_TARGETS: dict[str, fourct.Targets] = {}


def targets_for(region_code: str) -> fourct.Targets:
    return _TEAM_TARGETS.get(".".join(region_code.split(".")[:2]), fourct.TARGET_MINUTES)


def team_targets() -> dict[str, fourct.Targets]:
    """The kab/kota whose team set targets of its own, with them (every other one uses the defaults)."""
    return dict(_TEAM_TARGETS)


async def load_targets(session: AsyncSession) -> None:
    rows = await session.execute(select(Team.region_code, Team.four_ct_targets))
    fresh = {code: fourct.merge(overrides) for code, overrides in rows if overrides}
    _TEAM_TARGETS.clear()
    _TEAM_TARGETS.update(fresh)


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
        incident.priority,
        incident.first_received_at,
        met(incident),
        incident.four_ct_breaches or [],
        targets_for(incident.region_code),
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
        team_targets = targets_for(incident.region_code)
        targets = team_targets[incident.priority]
        found = fourct.breaches(
            incident.priority,
            incident.first_received_at,
            met(incident),
            incident.four_ct_breaches or [],
            now,
            team_targets,
        )
        for stage in found:
            deadline = fourct.deadlines(incident.priority, incident.first_received_at, team_targets)[stage]
            events.record(
                session,
                "incident.4ct_breached",
                actor=events.SYSTEM,
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
