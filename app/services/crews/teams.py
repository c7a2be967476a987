"""Teams: one TRC per kab/kota, its 4CT targets and shift template, and who may manage it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import fourct
from app.errors import Forbidden, Unprocessable
from app.models import Incident, Role, Team
from app.schemas.crews import (
    TeamPatch,
)
from app.services import events, scoped, timers
from app.services.access import Principal, in_region, require

MANAGE = (Role.admin, Role.supervisor)


SEE = (Role.admin, Role.supervisor, Role.operator, Role.crew)
# Positions closer together in time than this are not kept in the history (the last one still is).


async def create_team(session: AsyncSession, principal: Principal, name: str, region_code: str) -> Team:
    require(principal, (Role.admin,), "create teams")
    if region_code.count(".") != 1:
        raise Unprocessable("a team belongs to a kab/kota: give a code like 21.71", field="region_code")
    if not principal.sees_region(region_code):
        raise Forbidden(f"region {region_code} is outside your region")
    team = Team(name=name, region_code=region_code)
    session.add(team)
    await session.flush()
    return team


async def teams(session: AsyncSession, principal: Principal) -> Sequence[Team]:
    require(principal, SEE, "list teams")
    q = select(Team).order_by(Team.region_code, Team.name)
    if principal.region_code:
        q = q.where(
            or_(
                in_region(Team.region_code, principal.region_code),
                Team.region_code == principal.region_code[:5],
            )
        )
    return (await session.scalars(q)).all()


async def team_in_reach(session: AsyncSession, principal: Principal, team_id: uuid.UUID) -> Team:
    return await scoped.find(session, principal, Team, team_id)


async def patch_team(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, body: TeamPatch
) -> Team:
    team = await team_in_reach(session, principal, team_id)
    require_manager(principal, team)
    if body.name is not None:
        team.name = body.name
    if body.shift_template is not None:
        team.shift_template = body.shift_template
    if body.four_ct_targets is not None:
        given: dict[str, dict[str, int]] = {
            str(p): {k: v for k, v in stages.model_dump().items() if v is not None}
            for p, stages in body.four_ct_targets.items()
        }
        overrides: dict[str, Any] = {p: s for p, s in given.items() if s}
        wrong = fourct.problems(fourct.merge(overrides))
        if wrong:
            raise Unprocessable("; ".join(wrong), field="body.four_ct_targets")
        team.four_ct_targets = overrides
        await session.flush()
        await timers.load_targets(session)
        # Open incidents of the kab/kota get their next deadline from the new targets.
        for incident in await session.scalars(
            select(Incident).where(
                in_region(Incident.region_code, team.region_code), Incident.four_ct_next_due.is_not(None)
            )
        ):
            timers.refresh(incident)
        events.record(
            session,
            "team.targets_changed",
            actor=principal,
            region_code=team.region_code,
            data={"team_id": str(team.id), "four_ct_targets": overrides},
        )
    return team


def require_manager(principal: Principal, team: Team) -> None:
    require(principal, MANAGE, "manage teams")
    if not principal.sees_region(team.region_code):
        raise Forbidden(f"team {team.name} is outside your region")
