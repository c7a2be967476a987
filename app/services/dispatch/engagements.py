"""The small steps every dispatch use case is made of: offer, assign, withdraw, release, escalate, clear.

Each writes the row changes and the event that says so; none takes locks or commits (the use case holds the
kab/kota locks, app/services/dispatch/locks.py). A crew is bound by at most one active offer (pending or
accepted): the database refuses a second (app/models/offer.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import policy, reasons
from app.dispatch.crewflow import ACTIVE_OFFERS, CrewStatus, OfferStatus, ReleaseReason
from app.dispatch.lifecycle import Status
from app.models import Crew, Incident, Offer
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.services import events
from app.services.access import Principal
from app.services.dispatch import locks
from app.services.push import queue as push_queue


def incident_brief(incident: Incident) -> dict[str, Any]:
    """What a crew's phone shows of an offer before opening it: no personal data."""
    return {
        "category": incident.category,
        "priority": incident.priority,
        "region_code": incident.region_code,
        "lat": incident.lat,
        "lon": incident.lon,
        "landmark": incident.landmark,
        "subject_count": incident.subject_count,
        "subject_flags": list(incident.subject_flags),
    }


def offer(
    session: AsyncSession,
    incident: Incident,
    crew: Crew,
    now: datetime,
    decision: dict[str, Any],
) -> Offer:
    """A pending offer to `crew` (the engine's choice), which it accepts or declines before it expires."""
    incident.dispatch_attempts += 1
    made = Offer(
        id=uuid.uuid4(),
        incident_id=incident.id,
        crew_id=crew.id,
        status=OfferStatus.pending,
        attempt=incident.dispatch_attempts,
        offered_at=now,
        expires_at=now + policy.offer_lifetime(incident.priority),
        source="engine",
        decision=decision,
    )
    session.add(made)
    crew.status, crew.status_at, crew.status_reason = CrewStatus.offered, now, None
    events.record(
        session,
        "offer.made",
        actor=events.SYSTEM,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={
            "offer_id": str(made.id),
            "crew": crew.name,
            "attempt": made.attempt,
            "expires_at": made.expires_at.isoformat(),
            "incident": incident_brief(incident),
            **decision,
        },
    )
    return made


def assign(
    session: AsyncSession,
    actor: Principal | None,
    incident: Incident,
    crew: Crew,
    now: datetime,
    *,
    source: str,
    decision: dict[str, Any],
) -> Offer:
    """An assignment without asking (dispatch by hand, a handover): an accepted row at once."""
    incident.dispatch_attempts += 1
    made = Offer(
        id=uuid.uuid4(),
        incident_id=incident.id,
        crew_id=crew.id,
        status=OfferStatus.accepted,
        attempt=incident.dispatch_attempts,
        offered_at=now,
        expires_at=now,
        responded_at=now,
        source=source,
        decision=decision,
    )
    session.add(made)
    crew.status, crew.status_at, crew.status_reason = CrewStatus.dispatched, now, None
    incident.assigned_crew_id = crew.id
    clear_escalation(session, actor, incident, crew)
    return made


def accepted(session: AsyncSession, actor: Principal | None, incident: Incident, crew: Crew) -> None:
    """The crew took the incident (an offer accepted, or an assignment)."""
    incident.assigned_crew_id = crew.id
    clear_escalation(session, actor, incident, crew)


def withdraw(
    session: AsyncSession,
    actor: Principal | None,
    pending: Offer,
    crew: Crew,
    incident: Incident,
    now: datetime,
    *,
    why: str,
) -> None:
    """A pending offer is taken back; the crew is free again unless it is out of service or off shift."""
    pending.status, pending.responded_at = OfferStatus.withdrawn, now
    if crew.status == CrewStatus.offered:
        crew.status, crew.status_at = CrewStatus.available, now
    events.record(
        session,
        "offer.withdrawn",
        actor=actor or events.SYSTEM,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={"offer_id": str(pending.id), "crew": crew.name, "reason": why, **reasons.why("reason", why)},
    )


def release(
    session: AsyncSession,
    actor: Principal | None,
    assignment: Offer,
    crew: Crew,
    incident: Incident,
    now: datetime,
    *,
    reason: ReleaseReason,
    crew_status: CrewStatus = CrewStatus.available,
    note: str | None = None,
) -> None:
    """The crew's assignment ends: it finished, or it is relieved of a case still open (which then waits
    for the next crew: the round hands it over)."""
    assignment.status, assignment.released_at, assignment.release_reason = OfferStatus.released, now, reason
    crew.status, crew.status_at = crew_status, now
    if reason != ReleaseReason.completed and incident.assigned_crew_id == crew.id:
        incident.assigned_crew_id = None
    events.record(
        session,
        "assignment.released",
        actor=actor or events.SYSTEM,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={
            "offer_id": str(assignment.id),
            "crew": crew.name,
            "reason": reason,
            "note": note,
            **reasons.why("note", note),
            "incident_status": incident.status,
        },
    )


def escalate(
    session: AsyncSession,
    incident: Incident,
    now: datetime,
    *,
    code: str,
    reason: str,
    details: dict[str, Any],
) -> bool:
    """Flags the incident for the supervisors once; the rounds keep offering it as crews free up."""
    if incident.escalated_at is not None:
        return False
    incident.escalated_at = now
    events.record(
        session,
        "incident.escalated",
        actor=events.SYSTEM,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={"reason_code": code, "reason": reason, **reasons.why("reason", reason), **details},
    )
    return True


def clear_escalation(session: AsyncSession, actor: Principal | None, incident: Incident, crew: Crew) -> None:
    if incident.escalated_at is None:
        return
    incident.escalated_at = None
    events.record(
        session,
        "incident.escalation_cleared",
        actor=actor or events.SYSTEM,
        incident_id=incident.id,
        crew_id=crew.id,
        region_code=incident.region_code,
        data={"crew": crew.name},
    )


async def active_offer_of_crew(
    session: AsyncSession, crew_id: uuid.UUID, *, lock: bool = False
) -> Offer | None:
    q = select(Offer).where(Offer.crew_id == crew_id, Offer.status.in_(ACTIVE_OFFERS))
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(q)


async def active_offer_of_incident(
    session: AsyncSession, incident_id: uuid.UUID, *, lock: bool = False
) -> Offer | None:
    q = select(Offer).where(Offer.incident_id == incident_id, Offer.status.in_(ACTIVE_OFFERS))
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(q)


async def locked_crew(session: AsyncSession, crew_id: uuid.UUID) -> Crew | None:
    return await session.scalar(
        select(Crew).where(Crew.id == crew_id).with_for_update().execution_options(populate_existing=True)
    )


async def locked_incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident | None:
    return await session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def is_open_case(incident: Incident) -> bool:
    return incident.status in (Status.dispatched, Status.en_route, Status.on_scene, Status.handling)


def _place(incident: Incident) -> str:
    region = regions.get_region(incident.region_code)
    parts = [region.name if region else incident.region_code]
    if incident.landmark:
        parts.append(incident.landmark)
    return ", ".join(parts)


def _local(at: datetime, incident: Incident) -> str:
    return at.astimezone(ZoneInfo(regions.timezone_for(incident.region_code))).strftime("%H:%M")


def _title(incident: Incident) -> str:
    category = CATEGORIES.get(incident.category)
    return f"P{incident.priority} {category.name_id if category else incident.category}"


async def announce_offer(session: AsyncSession, made: Offer, crew: Crew, incident: Incident) -> None:
    """Wakes the crew's phones: an offer to answer before it expires (Web Push, high urgency)."""
    await push_queue.to_crew(
        session,
        crew,
        kind="offer",
        payload={
            "type": "offer",
            "offer_id": str(made.id),
            "incident_id": str(incident.id),
            "expires_at": made.expires_at.isoformat(),
            "title": f"Tawaran {_title(incident)}",
            "body": f"{_place(incident)}. Jawab sebelum {_local(made.expires_at, incident)}.",
            "incident": incident_brief(incident),
        },
        expires_at=made.expires_at,
        urgency="high",
        topic=f"offer-{str(crew.id)[:8]}",
    )


async def announce_assignment(
    session: AsyncSession, made: Offer, crew: Crew, incident: Incident, why: str
) -> None:
    """A case given without asking (a handover, dispatch by hand): the crew must know at once."""
    await push_queue.to_crew(
        session,
        crew,
        kind="assignment",
        payload={
            "type": "assignment",
            "offer_id": str(made.id),
            "incident_id": str(incident.id),
            "title": f"Tugas {_title(incident)}",
            "body": f"{why}: {_place(incident)}.",
            "incident": incident_brief(incident),
        },
        urgency="high",
    )


async def announce_escalation(session: AsyncSession, incident: Incident, reason: str) -> None:
    await push_queue.to_supervisors(
        session,
        locks.regency_of(incident.region_code),
        kind="escalation",
        payload={
            "type": "escalation",
            "incident_id": str(incident.id),
            "title": f"Eskalasi {_title(incident)}",
            "body": f"{_place(incident)}: {reason}",
            "incident": incident_brief(incident),
        },
        urgency="high" if incident.priority <= 2 else "normal",
    )
