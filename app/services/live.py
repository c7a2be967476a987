"""Who may subscribe to which live topics (the endpoint closes the stream on a refusal), and the tickets that
open a stream from a browser: bound to their topics, used once on whichever worker."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import security
from app.errors import Forbidden
from app.live.topics import INCIDENT_ROLES, REGION_ROLES, Subscription, Topic
from app.models import Crew, CrewMember, Incident, Personnel, Role, UsedTicket, User
from app.models.base import utcnow
from app.services import agencies, users
from app.services.access import Principal
from app.settings import Settings


async def subscription(session: AsyncSession, principal: Principal, topics: list[Topic]) -> Subscription:
    if principal.role == Role.reporter:
        # Reporters follow their own reports by tracking code; the region streams carry internal notes.
        raise Forbidden(f"role {principal.role} has no live stream")
    agency_id: str | None = None
    if principal.role == Role.agency:
        if any(t.kind not in ("agency", "mine") for t in topics):
            raise Forbidden("agency accounts follow the topics agency and mine")
        if any(t.kind == "agency" for t in topics):
            agency_id = str((await agencies.agency_of(session, principal)).id)
    region_prefixes: list[str] = []
    incidents: set[str] = set()
    mine = False
    for topic in topics:
        if topic.kind == "agency":
            if agency_id is None:
                raise Forbidden("topic agency is for agency accounts")
        elif topic.kind == "mine":
            mine = True
        elif topic.kind == "region":
            if principal.role not in REGION_ROLES or not principal.sees_region(topic.value):
                raise Forbidden(f"topic {topic} is not yours")
            region_prefixes.append(topic.value)
        elif topic.kind == "incident":
            region = await session.scalar(
                select(Incident.region_code).where(Incident.id == uuid.UUID(topic.value))
            )
            if principal.role not in INCIDENT_ROLES or region is None or not principal.sees_region(region):
                raise Forbidden(f"topic {topic} is not yours")
            incidents.add(topic.value)
    crews: frozenset[str] = frozenset()
    if mine:
        rows = await session.scalars(
            select(CrewMember.crew_id)
            .join(Personnel, Personnel.id == CrewMember.personnel_id)
            .join(Crew, Crew.id == CrewMember.crew_id)
            .where(Personnel.user_id == principal.user_id, Personnel.active, Crew.shift_ends_at > utcnow())
        )
        crews = frozenset(str(c) for c in rows)
    return Subscription(
        principal.user_id,
        tuple(region_prefixes),
        frozenset(incidents),
        mine,
        crews,
        agency_id=agency_id,
        staff=principal.role in (Role.admin, Role.supervisor, Role.operator),
    )


async def issue_ticket(
    session: AsyncSession, settings: Settings, principal: Principal, topics: list[str]
) -> str:
    version = await session.scalar(select(User.token_version).where(User.id == principal.user_id))
    return security.create_ticket(settings, principal.user_id, version or 0, topics)


async def use_ticket(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    ticket: str,
    topics: list[str],
    client_ip: str | None,
) -> Principal | None:
    """The caller of a ticket asked for these topics (or more) and never used before; records its use, in a
    transaction of its own, so that no other request on any worker can use it again."""
    claims = security.decode_ticket(settings, ticket)
    if claims is None or not set(topics) <= set(claims.topics):
        return None
    async with maker() as session:
        assert isinstance(session.bind, AsyncEngine)
        principal = await users.principal_for_token(
            session.bind, security.TokenClaims(claims.user_id, "", "", "", claims.version), client_ip
        )
        if principal is None:
            return None
        ins = (postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert)(UsedTicket)
        result = await session.execute(
            ins.values(ticket_id=claims.ticket_id, expires_at=claims.expires_at).on_conflict_do_nothing()
        )
        await session.commit()
    return principal if getattr(result, "rowcount", 0) == 1 else None
