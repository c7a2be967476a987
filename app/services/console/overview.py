"""The console's lists: the open queue with its crews, the likely duplicates of a call before it is saved,
the dispatch board. Writes go through the API's services (intake, dispatch)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import fourct
from app.dispatch.lifecycle import OPEN_STATUSES, Stage, Status
from app.errors import Unprocessable
from app.models import Crew, Event, Incident, Offer, Report
from app.models.base import new_id, utcnow
from app.reference import regions
from app.schemas.crews import CrewOut
from app.schemas.incidents import DuplicateCandidate
from app.services import crews as crews_service
from app.services import dispatch, incidents, timers
from app.services.access import TRIAGE, Principal, require
from app.services.console.districts import District, districts
from app.services.incidents import IncidentFilters

QUEUE_LIMIT = 200
_STAMPS = {
    Stage.temu: "found_at",
    Stage.tanggap: "responded_at",
    Stage.tindak: "acted_at",
    Stage.tuntas: "completed_at",
}


@dataclass(frozen=True, slots=True)
class QueueRow:
    incident: Incident
    crew_name: str | None
    # The earliest 4CT stage not yet met and its deadline (in the past when breached).
    next_stage: str | None
    next_deadline: datetime | None


def next_deadline(incident: Incident) -> tuple[str | None, datetime | None]:
    due = fourct.deadlines(
        incident.priority, incident.first_received_at, timers.targets_for(incident.region_code)
    )
    for stage in fourct.STAGES:
        if getattr(incident, _STAMPS[stage]) is None:
            return stage.name, due[stage]
    return None, None


async def queue(
    session: AsyncSession,
    principal: Principal,
    filters: IncidentFilters,
    *,
    order: str,
) -> list[QueueRow]:
    """Open incidents of the caller's region (the API's list, so the same scope and filters), with the
    names of their crews."""
    if not filters.status:
        filters = dataclasses.replace(filters, status=sorted(OPEN_STATUSES))
    rows, _ = await incidents.list_incidents(
        session, principal, filters, order=order, cursor=None, limit=QUEUE_LIMIT
    )
    crew_ids = {r.assigned_crew_id for r in rows if r.assigned_crew_id}
    names: dict[uuid.UUID, str] = {}
    if crew_ids:
        names = dict((await session.execute(select(Crew.id, Crew.name).where(Crew.id.in_(crew_ids)))).all())
    out = []
    for r in rows:
        stage, at = next_deadline(r)
        out.append(QueueRow(r, names.get(r.assigned_crew_id) if r.assigned_crew_id else None, stage, at))
    return out


async def duplicates_for_call(
    session: AsyncSession,
    principal: Principal,
    *,
    region_code: str,
    lat: float | None,
    lon: float | None,
    category: str,
) -> Sequence[tuple[DuplicateCandidate, Incident, str]]:
    """The open incidents a call about this place and category would likely duplicate, before it is saved:
    the same rule as an incident's `likely_duplicates`, applied to the call as it stands."""
    require(principal, TRIAGE, "take calls")
    if not principal.sees_region(region_code):
        raise Unprocessable(f"wilayah {region_code} di luar wilayah Anda", field="region_code")
    now = utcnow()
    # A transient incident (never added to the session): likely_duplicates reads only its place and time.
    probe = Incident(
        id=new_id(),
        region_code=region_code,
        lat=lat,
        lon=lon,
        category=category,
        first_received_at=now,
        status=Status.received,
    )
    found = await incidents.likely_duplicates(session, probe)
    if not found:
        return []
    ids = [c.id for c in found]
    by_id = {r.id: r for r in (await session.scalars(select(Incident).where(Incident.id.in_(ids)))).all()}
    # What the first caller said: what the operator compares with the call on the line.
    first: dict[uuid.UUID, str] = {}
    described = select(Report.incident_id, Report.description).where(Report.incident_id.in_(ids))
    for incident_id, description in (await session.execute(described.order_by(Report.received_at))).all():
        first.setdefault(incident_id, description)
    return [(c, by_id[c.id], first.get(c.id, "")) for c in found if c.id in by_id]


def place_name(code: str) -> tuple[str, str]:
    """(kecamatan, kelurahan/desa) names of a region code; either may be empty."""
    parts = code.split(".")
    kec = regions.get_region(".".join(parts[:3])) if len(parts) >= 3 else None
    kel = regions.get_region(code) if len(parts) == 4 else None
    return (kec.name if kec else ""), (kel.name if kel else "")


@dataclass(frozen=True, slots=True)
class Board:
    """The dispatch board: crews on duty with their engagement, offers waiting for an answer, escalations
    with their reasons."""

    crews: list[CrewOut]
    # crew id → (incident, offer) of its active engagement (pending or accepted)
    engaged: dict[uuid.UUID, tuple[Incident, Offer]]
    pending: list[tuple[Offer, Incident, str]]
    # with the escalation's reason: its text and its code and values (app/dispatch/reasons.py)
    escalations: list[tuple[Incident, str, dict[str, Any] | None]]
    # Open cases per kecamatan with the nearest free crew (app/services/console/districts.py).
    districts: list[District]


async def board(session: AsyncSession, principal: Principal) -> Board:
    require(principal, TRIAGE, "read the dispatch board")
    crews = await crews_service.render(
        session, await crews_service.on_duty(session, principal, region=None, at=None)
    )
    names = {c.id: c.name for c in crews}
    engaged: dict[uuid.UUID, tuple[Incident, Offer]] = {}
    pending: list[tuple[Offer, Incident, str]] = []
    if names:
        rows = await session.execute(
            select(Offer, Incident)
            .join(Incident, Incident.id == Offer.incident_id)
            .where(
                Offer.crew_id.in_(list(names)),
                Offer.status.in_(["pending", "accepted"]),
                Offer.released_at.is_(None),
            )
            .order_by(Offer.expires_at)
        )
        for offer, incident in rows:
            engaged[offer.crew_id] = (incident, offer)
            if offer.status == "pending":
                pending.append((offer, incident, names[offer.crew_id]))
    escalated = await dispatch.escalations(session, principal)
    reasons: dict[uuid.UUID, tuple[str, dict[str, Any] | None]] = {}
    if escalated:
        events_of = await session.execute(
            select(Event.incident_id, Event.data)
            .where(Event.type == "incident.escalated", Event.incident_id.in_([i.id for i in escalated]))
            .order_by(Event.occurred_at)
        )
        for incident_id, data in events_of:
            if incident_id is not None:
                why = (data or {}).get("reason_why")
                reasons[incident_id] = (
                    str((data or {}).get("reason", "")),
                    why if isinstance(why, dict) else None,
                )
    busy: set[object] = set(engaged)
    by_kecamatan = await districts(session, principal, crews, busy)
    return Board(
        crews, engaged, pending, [(i, *reasons.get(i.id, ("", None))) for i in escalated], by_kecamatan
    )
