"""Episodes of an incident: reopening a resolved incident starts the next one (its number on the incident,
its start on the timeline); its 4CT timing is read from the timeline (app/family/episodes.py), so the first
episode's stamps on the incident are never rewritten."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import fourct
from app.dispatch.lifecycle import Stage
from app.family.episodes import Step, reopened
from app.models import Event, Incident
from app.models.base import utcnow
from app.schemas.incidents import EpisodeOut
from app.services import events, timers
from app.services.access import Principal


def start(session: AsyncSession, principal: Principal, incident: Incident, reason: str | None) -> int:
    """The next episode begins now (the caller has moved the incident back to handling)."""
    incident.episode = (incident.episode or 1) + 1
    events.record(
        session,
        "incident.reopened",
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "reason": reason,
            "episode": incident.episode,
            # The first episode's stamps, as they stay.
            "acted_at": incident.acted_at.isoformat() if incident.acted_at else None,
            "completed_at": incident.completed_at.isoformat() if incident.completed_at else None,
        },
    )
    return incident.episode


def of(incident: Incident, timeline: Sequence[Event], now: datetime | None = None) -> list[EpisodeOut]:
    """Every episode, the first from the incident's own stamps (up to the first reopening)."""
    now = now or utcnow()
    targets = timers.targets_for(incident.region_code)
    later = reopened(
        [Step(e.type, e.occurred_at, e.data or {}, e.actor) for e in timeline], incident.priority, targets
    )
    end = later[0].started_at if later else None

    def first(at: datetime | None) -> datetime | None:
        return at if at is not None and (end is None or at <= end) else None

    deadlines = fourct.deadlines(incident.priority, incident.first_received_at, targets)
    stamps = {
        Stage.temu: first(incident.found_at),
        Stage.tanggap: first(incident.responded_at),
        Stage.tindak: first(incident.acted_at),
        Stage.tuntas: first(incident.completed_at),
    }
    out = [
        EpisodeOut(
            number=1,
            started_at=incident.first_received_at,
            reason=None,
            by=None,
            responded_at=stamps[Stage.tanggap],
            acted_at=stamps[Stage.tindak],
            completed_at=stamps[Stage.tuntas],
            deadlines={s.name: at for s, at in deadlines.items()},
            # The scheduler's record for the first episode (breaches it saw as they happened).
            breached=list(incident.four_ct_breaches or []),
        )
    ]
    for ep in later:
        out.append(
            EpisodeOut(
                number=ep.number,
                started_at=ep.started_at,
                reason=ep.reason,
                by=ep.by,
                responded_at=ep.stamps.get(Stage.tanggap),
                acted_at=ep.stamps.get(Stage.tindak),
                completed_at=ep.stamps.get(Stage.tuntas),
                deadlines={s.name: at for s, at in ep.deadlines.items()},
                breached=ep.breached(now),
            )
        )
    return out
