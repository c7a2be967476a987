"""One lookup for every id a caller names, in a path or a body: the row if it lies within the caller's
reach, else 404, whatever the role. Role refusals (403) come after, from the service: so an answer never
tells whether something outside one's region exists.

Reach is the region: a row is in reach when its region (or the region of what it belongs to: a crew's
team, an endpoint's agency, an offer's incident) lies within the caller's. Two widenings: staff see the
team and the agencies of the kab/kota (or province) their smaller region lies in; a crew member sees the
incidents and offers of his crew wherever they are (mutual aid). An agency account reaches only its own
agency's endpoints and deliveries; a push subscription is only its owner's.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models import (
    Agency,
    ApiKey,
    Crew,
    CrewMember,
    Facility,
    FacilityUnit,
    Handover,
    Incident,
    IncidentSubject,
    Offer,
    Person,
    Personnel,
    Placement,
    PushSubscription,
    Referral,
    Repatriation,
    Report,
    Role,
    RoutingRule,
    SocialPost,
    Team,
    User,
    Vehicle,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.reference import regions
from app.services.access import Principal

T = TypeVar("T")

# What each kind is called in a 404 ("regu ... tidak ditemukan / not found").
NAMES: dict[type[Any], str] = {
    Agency: "agency",
    ApiKey: "API key",
    Crew: "crew",
    Facility: "facility",
    Handover: "serah terima",
    Repatriation: "pemulangan",
    FacilityUnit: "facility unit",
    Incident: "incident",
    IncidentSubject: "subject",
    Offer: "offer",
    Person: "person (klien)",
    Personnel: "personnel",
    Placement: "placement",
    PushSubscription: "push subscription",
    Referral: "referral",
    Report: "report",
    RoutingRule: "routing rule",
    SocialPost: "social post",
    Team: "team",
    User: "user",
    Vehicle: "vehicle",
    WebhookDelivery: "delivery",
    WebhookEndpoint: "webhook endpoint",
}


def not_found(cls: type[Any], ident: object) -> NotFound:
    return NotFound(f"{NAMES.get(cls, cls.__name__.lower())} {ident} tidak ditemukan (not found)")


async def find(
    session: AsyncSession, principal: Principal, cls: type[T], ident: object, *, lock: bool = False
) -> T:
    """The row `ident` of `cls` if the caller reaches it; otherwise 404, as for an id that does not exist."""
    row = await session.get(cls, ident, with_for_update=lock)
    if row is None or not await reaches(session, principal, row):
        raise not_found(cls, ident)
    return row


def _within(principal: Principal, code: str | None) -> bool:
    return code is not None and principal.sees_region(code)


def _serves(principal: Principal, code: str | None) -> bool:
    """Within the caller's region, or the caller's region within it (a kab/kota team, a provincial agency)."""
    return code is not None and (principal.sees_region(code) or regions.within(principal.region_code, code))


async def _team_region(session: AsyncSession, team_id: uuid.UUID) -> str | None:
    return await session.scalar(select(Team.region_code).where(Team.id == team_id))


async def _own_agency(session: AsyncSession, principal: Principal) -> uuid.UUID | None:
    return await session.scalar(select(User.agency_id).where(User.id == principal.user_id))


async def _agency_reached(
    session: AsyncSession, principal: Principal, agency_id: uuid.UUID, strict: bool
) -> bool:
    if principal.role == Role.agency:
        return agency_id == await _own_agency(session, principal)
    region = await session.scalar(select(Agency.region_code).where(Agency.id == agency_id))
    return _within(principal, region) if strict else _serves(principal, region)


async def member_of(session: AsyncSession, principal: Principal, crew_ids: list[uuid.UUID]) -> bool:
    """Whether the caller is an active member of one of these crews."""
    if principal.role != Role.crew or not crew_ids:
        return False
    found = await session.scalar(
        select(CrewMember.crew_id)
        .join(Personnel, Personnel.id == CrewMember.personnel_id)
        .where(CrewMember.crew_id.in_(crew_ids), Personnel.user_id == principal.user_id, Personnel.active)
        .limit(1)
    )
    return found is not None


async def mutual_aid(session: AsyncSession, principal: Principal, incident: Incident) -> bool:
    """A crew member of a neighbouring team sees the incident his crew was offered or took (mutual aid on
    escalation), and nothing else of that region."""
    if principal.role != Role.crew:
        return False
    crews = [incident.assigned_crew_id] if incident.assigned_crew_id else []
    crews += list(
        await session.scalars(
            select(Offer.crew_id).where(
                Offer.incident_id == incident.id, Offer.status.in_(["pending", "accepted"])
            )
        )
    )
    return await member_of(session, principal, crews)


async def reaches(session: AsyncSession, principal: Principal, row: object) -> bool:
    """Whether `row` lies within the caller's reach (see the module's docstring)."""
    match row:
        case Incident():
            return _within(principal, row.region_code) or await mutual_aid(session, principal, row)
        case Team():
            return _serves(principal, row.region_code)
        case Person():
            # Held by a kab/kota: its staff (down to a kecamatan's) and those above reach it.
            return _serves(principal, row.region_code)
        case Facility():
            # Held by a kab/kota's Dinas Sosial: its staff (down to a kecamatan's) and those above.
            return _serves(principal, row.region_code)
        case FacilityUnit():
            region = await session.scalar(select(Facility.region_code).where(Facility.id == row.facility_id))
            return _serves(principal, region)
        case Placement():
            incident = await session.get(Incident, row.incident_id)
            return incident is not None and _within(principal, incident.region_code)
        case Personnel() | Vehicle():
            return _serves(principal, await _team_region(session, row.team_id))
        case Crew():
            return _within(principal, await _team_region(session, row.team_id)) or await member_of(
                session, principal, [row.id]
            )
        case Handover() | Repatriation():
            incident = await session.get(Incident, row.incident_id)
            return incident is not None and await reaches(session, principal, incident)
        case Offer():
            incident = await session.get(Incident, row.incident_id)
            return (incident is not None and _within(principal, incident.region_code)) or await member_of(
                session, principal, [row.crew_id]
            )
        case Referral():
            # An agency account reaches the referrals to its agency, wherever the incident is.
            if principal.role == Role.agency:
                return row.agency_id == await _own_agency(session, principal)
            incident = await session.get(Incident, row.incident_id)
            return incident is not None and await reaches(session, principal, incident)
        case Agency():
            return await _agency_reached(session, principal, row.id, strict=False)
        case WebhookEndpoint():
            return await _agency_reached(session, principal, row.agency_id, strict=True)
        case WebhookDelivery():
            endpoint = await session.get(WebhookEndpoint, row.endpoint_id)
            return endpoint is not None and await reaches(session, principal, endpoint)
        case Report():
            return row.submitted_by_id == principal.user_id or _within(principal, row.region_code)
        case RoutingRule() | SocialPost():
            return _within(principal, row.region_code)
        case User():
            return row.id == principal.user_id or _within(principal, row.region_code)
        case ApiKey():
            owner = await session.get(User, row.user_id)
            return owner is not None and _within(principal, owner.region_code)
        case PushSubscription():
            return row.user_id == principal.user_id
    raise TypeError(f"no reach rule for {type(row).__name__}")
