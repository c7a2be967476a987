"""Social-media intake and signed inbound webhooks from partner systems."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from app.api.deps import CurrentPrincipal, SessionDep, client_ip
from app.models import SocialPost
from app.schemas.common import problem_responses
from app.schemas.social import (
    InboundSourceCreated,
    InboundSourceIn,
    InboundSourceOut,
    PostToReport,
    SocialIntakeOut,
    SocialPostIn,
    SocialPostOut,
)
from app.services import inbound, social

router = APIRouter(tags=["channels"])
_errors = problem_responses(401, 403, 404, 409, 422)


def _post_out(post: SocialPost) -> dict[str, object]:
    return SocialPostOut.model_validate(post).model_dump()


@router.post(
    "/social/posts",
    status_code=201,
    response_model=SocialIntakeOut,
    responses={**_errors, 200: {"description": "the same post was taken before"}},
)
async def ingest_post(
    body: SocialPostIn, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> SocialIntakeOut:
    """A post found by a monitoring tool: triaged, recorded as a social-media report waiting for an
    operator's verification. The same post again is a 200 with `duplicate: true` and changes nothing."""
    done = await social.ingest(session, principal, body)
    if done.duplicate:
        response.status_code = 200
    return _intake_out(done)


def _intake_out(done: social.Ingested) -> SocialIntakeOut:
    return SocialIntakeOut(
        **_post_out(done.post),
        duplicate=done.duplicate,
        set_aside=done.set_aside,
        incident_priority=done.priority,
        incident_status=done.status,
    )


@router.get("/social/posts/set-aside", response_model=list[SocialPostOut], responses=_errors)
async def set_aside_posts(
    principal: CurrentPrincipal,
    session: SessionDep,
    reason: Annotated[str | None, Query(pattern=r"^[A-Z_]{3,20}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[SocialPostOut]:
    """Posts the triage read as not a case (`suggestion.not_case`: KIASAN, BERITA, IKLAN, TANYA, OPINI,
    SUDAH_DITANGANI, NEGASI, LAIN), newest first: for a glance, in case the triage was wrong."""
    posts = await social.set_aside(session, principal, reason=reason, limit=limit)
    return [SocialPostOut.model_validate(p) for p in posts]


@router.post(
    "/social/posts/{post_id}/report", status_code=201, response_model=SocialIntakeOut, responses=_errors
)
async def report_post(
    post_id: uuid.UUID, body: PostToReport, principal: CurrentPrincipal, session: SessionDep
) -> SocialIntakeOut:
    """Turn a set-aside post into a report after all (the operator overrules the triage); 409 if it is
    one already."""
    return _intake_out(await social.report_post(session, principal, post_id, body))


@router.get("/incidents/{incident_id}/social-posts", response_model=list[SocialPostOut], responses=_errors)
async def incident_posts(
    incident_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[SocialPostOut]:
    """The posts behind an incident, with the triage's suggestion for each."""
    return [SocialPostOut.model_validate(p) for p in await social.posts_of(session, principal, incident_id)]


@router.post("/inbound-sources", status_code=201, response_model=InboundSourceCreated, responses=_errors)
async def create_source(
    body: InboundSourceIn, principal: CurrentPrincipal, session: SessionDep
) -> InboundSourceCreated:
    """Register a partner system that posts signed webhooks; the secret is shown once."""
    source, secret = await inbound.create_source(session, principal, body)
    return InboundSourceCreated(**InboundSourceOut.model_validate(source).model_dump(), secret=secret)


@router.post("/inbound/{source}", status_code=201, responses=problem_responses(401, 404, 409, 413, 422))
async def receive(source: str, request: Request, session: SessionDep) -> JSONResponse:
    """A signed message from a partner system (Standard Webhooks headers). A bad or stale signature is a 401
    and nothing is written; a replayed `webhook-id` gets the first answer (`Webhook-Replayed: true`)."""
    raw = await request.body()
    status, answer, replayed = await inbound.receive(
        session, source, raw, request.headers, client_ip(request)
    )
    return JSONResponse(
        answer,
        status_code=200 if replayed else status,
        headers={"Webhook-Replayed": "true"} if replayed else None,
    )
