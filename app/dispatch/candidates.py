"""The crews an operator may choose from when dispatching by hand, with their distance and what the engine
would say of each (pure: no database, no HTTP).

By hand the operator's choice wins over the engine's rules (app/services/dispatch/manual.py): a crew that
lacks a skill, is far, or weighs another offer may still be sent, and the list says so beside it. Only what
the service refuses is marked `blocked`: a crew out of service, or one already working another case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.dispatch import engine, reasons
from app.dispatch.engine import CrewState, Params, WaitingIncident
from app.dispatch.reasons import Reason, Refusal


@dataclass(frozen=True, slots=True)
class HandCandidate:
    crew_id: str
    name: str
    status: str
    # Straight-line distance; None when the crew's or the incident's position is unknown.
    distance_km: float | None
    travel_minutes: float
    # The engine's cost in minutes (travel and penalties) and its notes; None when it would refuse the crew.
    cost: float | None
    notes: tuple[str, ...]
    # Why the engine would not offer it this incident now (the operator may still choose it), or None.
    warning: Refusal | None
    # Why dispatching it by hand would be refused, or None.
    blocked: Refusal | None
    # It holds this incident now (offered or working it).
    current: bool


def _blocked(crew: CrewState, incident_id: str) -> Refusal | None:
    if crew.status == "out_of_service":
        return Refusal(reasons.OUT_OF_SERVICE, Reason("out_of_service"))
    if crew.status == "off_shift":
        return Refusal(reasons.OFF_SHIFT, Reason("off_shift"))
    if crew.busy_with == incident_id and crew.status not in ("offered", "available"):
        return Refusal(reasons.BUSY, Reason("busy.this_incident"))
    if crew.busy_with is not None and crew.busy_with != incident_id and crew.status != "offered":
        return Refusal(reasons.BUSY, Reason("busy.divert_first"))
    return None


def for_hand(
    incident: WaitingIncident, crews: Sequence[CrewState], now: datetime, params: Params | None = None
) -> list[HandCandidate]:
    """Every crew on duty, the ones that can be sent first, then by the engine's cost (a crew it would
    refuse after those it would take), then by travel time."""
    params = params or Params()
    need = engine.needs(incident)
    female_on_duty = any(engine.FEMALE_OFFICER in c.skills for c in crews if c.available)
    out = []
    for crew in crews:
        travel = engine.travel_minutes(incident, crew, params)
        distance = (
            engine.haversine_km(incident.location, crew.position)
            if incident.location is not None and crew.position is not None
            else None
        )
        warning = engine.fit_refusal(incident, need, crew, travel, now, params)
        if warning is None and crew.busy_with != incident.id:
            warning = engine.state_refusal(crew)
        total: float | None = None
        notes: tuple[str, ...] = ()
        if warning is None:
            total, notes = engine.cost(incident, need, crew, travel, now, params, female_on_duty)
        out.append(
            HandCandidate(
                crew_id=crew.id,
                name=crew.name or crew.id,
                status=crew.status,
                distance_km=round(distance, 1) if distance is not None else None,
                travel_minutes=round(travel, 1),
                cost=round(total, 1) if total is not None else None,
                notes=notes,
                warning=warning,
                blocked=_blocked(crew, incident.id),
                current=crew.busy_with == incident.id,
            )
        )
    out.sort(
        key=lambda c: (
            c.blocked is not None,
            c.cost is None,
            c.cost if c.cost is not None else c.travel_minutes,
            c.name,
        )
    )
    return out
