"""Partner agencies: the register and routing rules (supervisors), referrals (operators refer, agencies
answer with their own API key)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import CurrentPrincipal, SessionDep
from app.dispatch.referralflow import ReferralStatus
from app.errors import Unprocessable
from app.schemas.agencies import (
    AgencyIn,
    AgencyKind,
    AgencyOut,
    AgencyPatch,
    AgencyReferralOut,
    AnswerIn,
    AnswerOnBehalfIn,
    CancelIn,
    IncidentBrief,
    ReferIn,
    ReferralOut,
    ReferralPage,
    RuleIn,
    RuleOut,
    RulePatch,
)
from app.schemas.common import bounded, problem_responses
from app.services import agencies, dispatch, referrals

router = APIRouter(tags=["agencies"])
_errors = problem_responses(401, 403, 404, 409, 422)


@router.post("/agencies", status_code=201, response_model=AgencyOut, responses=_errors)
async def create_agency(body: AgencyIn, principal: CurrentPrincipal, session: SessionDep) -> AgencyOut:
    """Register a partner agency in your region (supervisors, admins)."""
    return AgencyOut.model_validate(await agencies.create(session, principal, body))


@router.get("/agencies", response_model=list[AgencyOut], responses=_errors)
async def list_agencies(
    principal: CurrentPrincipal,
    session: SessionDep,
    kind: AgencyKind | None = None,
    include_inactive: bool = False,
) -> list[AgencyOut]:
    """The agencies in your region, and those whose area holds it (a provincial BPBD)."""
    rows = await agencies.list_agencies(session, principal, kind=kind, include_inactive=include_inactive)
    return [AgencyOut.model_validate(a) for a in rows]


@router.get("/agencies/{agency_id}", response_model=AgencyOut, responses=_errors)
async def get_agency(agency_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> AgencyOut:
    return AgencyOut.model_validate(await agencies.get(session, principal, agency_id))


@router.patch("/agencies/{agency_id}", response_model=AgencyOut, responses=_errors)
async def patch_agency(
    agency_id: uuid.UUID, body: AgencyPatch, principal: CurrentPrincipal, session: SessionDep
) -> AgencyOut:
    return AgencyOut.model_validate(await agencies.patch(session, principal, agency_id, body))


@router.post("/routing-rules", status_code=201, response_model=RuleOut, responses=_errors)
async def create_rule(body: RuleIn, principal: CurrentPrincipal, session: SessionDep) -> RuleOut:
    """A rule applied when an incident is verified: e.g. OT in 32.73 -> the police of its kecamatan."""
    return RuleOut.model_validate(await agencies.create_rule(session, principal, body))


@router.get("/routing-rules", response_model=list[RuleOut], responses=_errors)
async def list_rules(principal: CurrentPrincipal, session: SessionDep) -> list[RuleOut]:
    return [RuleOut.model_validate(r) for r in await agencies.list_rules(session, principal)]


@router.patch("/routing-rules/{rule_id}", response_model=RuleOut, responses=_errors)
async def patch_rule(
    rule_id: uuid.UUID, body: RulePatch, principal: CurrentPrincipal, session: SessionDep
) -> RuleOut:
    """Change or switch off a rule (set `active: false`); rules are never deleted, referrals name them."""
    return RuleOut.model_validate(await agencies.patch_rule(session, principal, rule_id, body))


# ---- referrals: the team's side ------------------------------------------------------------------------


@router.post(
    "/incidents/{incident_id}/referrals", status_code=201, response_model=ReferralOut, responses=_errors
)
async def refer(
    incident_id: uuid.UUID, body: ReferIn, principal: CurrentPrincipal, session: SessionDep
) -> ReferralOut:
    """Refer a verified incident to an agency by hand (rules do it at verification)."""
    return ReferralOut.model_validate(
        await referrals.refer(session, principal, incident_id, body.agency_id, body.reason)
    )


@router.get("/incidents/{incident_id}/referrals", response_model=list[ReferralOut], responses=_errors)
async def incident_referrals(
    incident_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[ReferralOut]:
    return [
        ReferralOut.model_validate(r) for r in await referrals.for_incident(session, principal, incident_id)
    ]


@router.post("/referrals/{referral_id}/cancel", response_model=ReferralOut, responses=_errors)
async def cancel(
    referral_id: uuid.UUID, body: CancelIn, principal: CurrentPrincipal, session: SessionDep
) -> ReferralOut:
    return ReferralOut.model_validate(await referrals.cancel(session, principal, referral_id, body.reason))


# ---- referrals: the agency's side ----------------------------------------------------------------------


def _cursor(raw: str | None) -> tuple[datetime, uuid.UUID] | None:
    if raw is None:
        return None
    try:
        created, rid = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        return bounded(datetime.fromisoformat(created)), uuid.UUID(rid)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise Unprocessable(
            "invalid cursor; pass next_cursor of the previous page", field="query.cursor"
        ) from exc


@router.get("/agency", response_model=AgencyOut, responses=_errors)
async def my_agency(principal: CurrentPrincipal, session: SessionDep) -> AgencyOut:
    """The agency your account acts for (agency accounts)."""
    return AgencyOut.model_validate(await agencies.agency_of(session, principal))


@router.post("/referrals/{referral_id}/answers", response_model=ReferralOut, responses=_errors)
async def answer_on_behalf(
    referral_id: uuid.UUID, body: AnswerOnBehalfIn, principal: CurrentPrincipal, session: SessionDep
) -> ReferralOut:
    """An agency's answer that came by phone, in person, by letter or message (an agency without an account,
    or whose system is down), recorded by an operator or supervisor on its behalf: the same states as the
    agency's own answer, marked on the timeline as recorded on behalf, with how and from whom."""
    return ReferralOut.model_validate(
        await dispatch.answer_referral_on_behalf(session, principal, referral_id, body)
    )


@router.get("/agency/referrals", response_model=ReferralPage, responses=_errors)
async def my_referrals(
    principal: CurrentPrincipal,
    session: SessionDep,
    status: Annotated[list[ReferralStatus] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReferralPage:
    """The incidents referred to your agency (agency accounts), newest first."""
    rows, last = await referrals.agency_referrals(
        session, principal, status=status or (), cursor=_cursor(cursor), limit=limit
    )
    next_cursor = None
    if last:
        raw = json.dumps([last[0].isoformat(), str(last[1])]).encode()
        next_cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return ReferralPage(
        items=[
            AgencyReferralOut(
                **ReferralOut.model_validate(r).model_dump(), incident=IncidentBrief.model_validate(i)
            )
            for r, i in rows
        ],
        next_cursor=next_cursor,
    )


@router.get("/agency/referrals/{referral_id}", response_model=AgencyReferralOut, responses=_errors)
async def my_referral(
    referral_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> AgencyReferralOut:
    referral, incident, _ = await referrals.agency_referral(session, principal, referral_id)
    return AgencyReferralOut(
        **ReferralOut.model_validate(referral).model_dump(), incident=IncidentBrief.model_validate(incident)
    )


@router.post("/agency/referrals/{referral_id}/answers", response_model=ReferralOut, responses=_errors)
async def answer(
    referral_id: uuid.UUID, body: AnswerIn, principal: CurrentPrincipal, session: SessionDep
) -> ReferralOut:
    """Your agency's answer: acknowledged, accepted, declined (with a reason) or completed (with an outcome).
    The same answer again changes nothing; an answer out of order is a 409 naming the current state."""
    return ReferralOut.model_validate(await dispatch.answer_referral(session, principal, referral_id, body))
