"""Partner agencies and the routing rules that refer verified incidents to them.

Supervisors and admins keep the agencies and rules of their region; agency accounts are linked to one
agency (`users.agency_id`) and act for it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Forbidden, Unprocessable
from app.models import Agency, Incident, Role, RoutingRule, User
from app.models.base import utcnow
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.schemas.agencies import AgencyIn, AgencyPatch, RuleIn, RulePatch
from app.services import scoped
from app.services.access import Principal, in_region, require, require_region

MANAGE = (Role.admin, Role.supervisor)
READ = (Role.admin, Role.supervisor, Role.operator)


async def agency_of(session: AsyncSession, principal: Principal) -> Agency:
    """The agency an agency account acts for."""
    if principal.role != Role.agency:
        raise Forbidden(f"role {principal.role} does not act for an agency")
    agency = await session.scalar(
        select(Agency).join(User, User.agency_id == Agency.id).where(User.id == principal.user_id)
    )
    if agency is None or not agency.active:
        raise Forbidden("this account is not linked to an active agency")
    return agency


async def create(session: AsyncSession, principal: Principal, body: AgencyIn) -> Agency:
    require(principal, MANAGE, "manage agencies")
    require_region(principal, body.region_code)
    agency = Agency(
        name=body.name,
        kind=body.kind,
        region_code=body.region_code,
        contacts=[c.model_dump(exclude_none=True) for c in body.contacts],
    )
    session.add(agency)
    await session.flush()
    return agency


async def get(session: AsyncSession, principal: Principal, agency_id: uuid.UUID) -> Agency:
    """An agency in reach (an agency account reaches only its own), then the role."""
    agency = await scoped.find(session, principal, Agency, agency_id)
    if principal.role != Role.agency:
        require(principal, READ, "read agencies")
    return agency


def _visible(principal: Principal, code: str) -> bool:
    """An agency is visible to staff whose region holds it, or whose region it serves (a provincial BPBD is
    a partner of every kab/kota team in the province)."""
    return principal.sees_region(code) or regions.within(principal.region_code, code)


async def list_agencies(
    session: AsyncSession, principal: Principal, *, kind: str | None, include_inactive: bool
) -> Sequence[Agency]:
    require(principal, READ, "list agencies")
    q = select(Agency).order_by(Agency.region_code, Agency.name)
    if kind:
        q = q.where(Agency.kind == kind)
    if not include_inactive:
        q = q.where(Agency.active)
    rows = (await session.scalars(q)).all()
    return [a for a in rows if _visible(principal, a.region_code)]


async def patch(
    session: AsyncSession, principal: Principal, agency_id: uuid.UUID, body: AgencyPatch
) -> Agency:
    agency = await get(session, principal, agency_id)
    require(principal, MANAGE, "manage agencies")
    require_region(principal, agency.region_code)
    if body.name is not None:
        agency.name = body.name
    if body.contacts is not None:
        agency.contacts = [c.model_dump(exclude_none=True) for c in body.contacts]
    if body.active is not None:
        agency.active = body.active
    agency.updated_at = utcnow()
    return agency


# ---- routing rules -------------------------------------------------------------------------------------


async def create_rule(session: AsyncSession, principal: Principal, body: RuleIn) -> RoutingRule:
    require(principal, MANAGE, "manage routing rules")
    require_region(principal, body.region_code)
    if (body.agency_kind is None) == (body.agency_id is None):
        raise Unprocessable("give either agency_kind or agency_id", field="body.agency_kind")
    if body.agency_id is not None:
        await get(session, principal, body.agency_id)
    rule = RoutingRule(
        name=body.name,
        region_code=body.region_code,
        category=body.category,
        flags=body.flags,
        agency_kind=body.agency_kind,
        agency_id=body.agency_id,
        completes_incident=body.completes_incident,
        created_by_id=principal.user_id,
    )
    session.add(rule)
    await session.flush()
    return rule


async def list_rules(session: AsyncSession, principal: Principal) -> Sequence[RoutingRule]:
    require(principal, READ, "list routing rules")
    q = select(RoutingRule).order_by(RoutingRule.region_code, RoutingRule.name)
    if principal.region_code:
        q = q.where(in_region(RoutingRule.region_code, principal.region_code))
    return (await session.scalars(q)).all()


async def patch_rule(
    session: AsyncSession, principal: Principal, rule_id: uuid.UUID, body: RulePatch
) -> RoutingRule:
    rule = await scoped.find(session, principal, RoutingRule, rule_id)
    require(principal, MANAGE, "manage routing rules")
    for field in ("name", "flags", "completes_incident", "active"):
        value = getattr(body, field)
        if value is not None:
            setattr(rule, field, sorted(set(value)) if field == "flags" else value)
    rule.updated_at = utcnow()
    return rule


def _category_matches(rule_category: str, incident_category: str) -> bool:
    category = CATEGORIES.get(incident_category)
    return rule_category == incident_category or (category is not None and category.parent == rule_category)


async def targets(
    session: AsyncSession, incident: Incident
) -> tuple[list[tuple[RoutingRule, Agency]], list[RoutingRule]]:
    """The agencies the active rules send this incident to, each once (the first rule that names it wins),
    and the rules that matched but found no agency (its agency inactive, or no active agency of its kind
    whose area holds the incident): those are said, not silently dropped.

    A kind resolves to the most local active agency of that kind whose area holds the incident: the Polsek
    of its kecamatan before the Polres of its kab/kota."""
    rules = [
        r
        for r in (
            await session.scalars(
                select(RoutingRule).where(RoutingRule.active).order_by(RoutingRule.created_at)
            )
        ).all()
        if regions.within(incident.region_code, r.region_code)
        and _category_matches(r.category, incident.category)
        and set(r.flags) <= set(incident.subject_flags)
    ]
    if not rules:
        return [], []
    candidates = (await session.scalars(select(Agency).where(Agency.active))).all()
    chosen: dict[uuid.UUID, tuple[RoutingRule, Agency]] = {}
    unmatched: list[RoutingRule] = []
    for rule in rules:
        if rule.agency_id is not None:
            agency = next((a for a in candidates if a.id == rule.agency_id), None)
        else:
            local = [
                a
                for a in candidates
                if a.kind == rule.agency_kind and regions.within(incident.region_code, a.region_code)
            ]
            agency = max(local, key=lambda a: (len(a.region_code), a.name), default=None)
        if agency is None:
            unmatched.append(rule)
        elif agency.id not in chosen:
            chosen[agency.id] = (rule, agency)
    return list(chosen.values()), unmatched
