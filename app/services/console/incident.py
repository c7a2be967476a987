"""The incident page: the API's incident detail, and beside it what the page's actions need: the referrals
with their agencies (and the agencies it may still be referred to), the crews to dispatch by hand with their
distances, the 4CT stages with targets and stamps, and the names of the crews its timeline mentions."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import fourct
from app.dispatch.candidates import HandCandidate
from app.dispatch.lifecycle import OPEN_STATUSES, Stage, Status
from app.dispatch.referralflow import ANSWERS, CLOSED, ReferralStatus
from app.models import Agency, Crew, Referral
from app.schemas.incidents import IncidentDetail
from app.schemas.persons import ProposalOut
from app.services import agencies, incidents, referrals, timers
from app.services.access import TRIAGE, Principal
from app.services.dispatch import candidates
from app.services.persons import proposals

_STAMPS = {
    Stage.temu: "found_at",
    Stage.tanggap: "responded_at",
    Stage.tindak: "acted_at",
    Stage.tuntas: "completed_at",
}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True, slots=True)
class StageRow:
    stage: str
    target_minutes: int
    deadline: datetime
    met_at: datetime | None
    breached: bool


@dataclass(frozen=True, slots=True)
class ReferralRow:
    referral: Referral
    agency: str
    # The answers the agency may give next (app/dispatch/referralflow.py), for recording one on its behalf.
    answers: list[str]
    open: bool


@dataclass(frozen=True, slots=True)
class IncidentPage:
    detail: IncidentDetail
    stages: list[StageRow]
    referrals: list[ReferralRow]
    # Agencies it may be referred to by hand (active, in reach, not already holding an open referral).
    agencies: list[Agency]
    can_refer: bool
    crews: list[HandCandidate]
    # Crew id → name, for the timeline's dispatch reasons (the engine writes crew ids).
    crew_names: dict[str, str]
    # Likely existing persons proposed when the reports arrived (app/services/persons/proposals.py).
    proposals: list[ProposalOut]


def stages(detail: IncidentDetail) -> list[StageRow]:
    targets = timers.targets_for(detail.region_code)[detail.priority]
    return [
        StageRow(
            stage=stage.name,
            target_minutes=targets[stage],
            deadline=detail.four_ct.deadlines[stage.name],
            met_at=getattr(detail.four_ct, _STAMPS[stage]),
            breached=stage.name in detail.four_ct.breached,
        )
        for stage in fourct.STAGES
    ]


def _crew_ids(data: dict[str, Any]) -> set[str]:
    found = {str(c.get("crew_id")) for c in data.get("candidates") or () if isinstance(c, dict)}
    found |= {str(k) for k in (data.get("refusals") or {})}
    for text in data.get("reasons") or ():
        found |= set(_UUID.findall(str(text)))
    return found


async def incident_page(session: AsyncSession, principal: Principal, incident_id: uuid.UUID) -> IncidentPage:
    detail = await incidents.get_detail(session, principal, incident_id)
    rows = await referrals.for_incident(session, principal, incident_id)
    names = {
        a.id: a.name
        for a in (
            await session.scalars(select(Agency).where(Agency.id.in_([r.agency_id for r in rows])))
        ).all()
    }
    held = {r.agency_id for r in rows if r.status not in CLOSED}
    can_refer = detail.status in OPEN_STATUSES and detail.status != Status.received
    choices = []
    if can_refer:
        every = await agencies.list_agencies(session, principal, kind=None, include_inactive=False)
        choices = [a for a in every if a.id not in held]
    crews = await candidates.for_incident(session, principal, incident_id)
    wanted: set[str] = set()
    for e in detail.timeline:
        wanted |= _crew_ids(e.data)
    crew_names = {c.crew_id: c.name for c in crews}
    ids = []
    for raw in wanted - set(crew_names):
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            continue
    if ids:
        for crew_id, name in (
            await session.execute(select(Crew.id, Crew.name).where(Crew.id.in_(ids)))
        ).all():
            crew_names[str(crew_id)] = name
    return IncidentPage(
        detail=detail,
        stages=stages(detail),
        referrals=[
            ReferralRow(
                referral=r,
                agency=names.get(r.agency_id, str(r.agency_id)),
                answers=sorted(ANSWERS[ReferralStatus(r.status)], key=_ANSWER_ORDER.index),
                open=r.status not in CLOSED,
            )
            for r in rows
        ],
        agencies=choices,
        can_refer=can_refer,
        crews=crews,
        crew_names=crew_names,
        proposals=(
            await proposals.for_incident(session, principal, incident_id) if principal.role in TRIAGE else []
        ),
    )


_ANSWER_ORDER = [s.value for s in ReferralStatus]


def named(text: str, crew_names: dict[str, str]) -> str:
    """A dispatch reason with the crew ids the engine wrote replaced by the crews' names."""
    return _UUID.sub(lambda m: crew_names.get(m.group(0), m.group(0)), text)
