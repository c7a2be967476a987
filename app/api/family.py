"""Family tracing and return: contacts tried, handovers to the family with their receipt (Berita Acara
Serah Terima), repatriations to another region's Dinas Sosial, and reopening an incident (a new episode)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from app.api.deps import CurrentPrincipal, SessionDep
from app.schemas.common import problem_responses
from app.schemas.family import (
    HandoverIn,
    HandoverOut,
    ReopenIn,
    RepatriationIn,
    RepatriationOut,
    TraceIn,
    TraceOut,
)
from app.schemas.incidents import IncidentSummary
from app.services import reopening
from app.services.family import handovers, repatriations, tracing

router = APIRouter(tags=["family"])
_errors = problem_responses(401, 403, 404, 409, 415, 422)
Ordinal = Annotated[int, Path(ge=1, le=100, description="the subject's number in the incident, from 1")]


@router.post("/persons/{person_id}/tracing", status_code=201, response_model=TraceOut, responses=_errors)
async def trace_for_person(
    person_id: uuid.UUID, body: TraceIn, principal: CurrentPrincipal, session: SessionDep
) -> TraceOut:
    """One attempt to reach the person's family (who, how, when, result), on his record."""
    return await tracing.for_person(session, principal, person_id, body)


@router.get("/persons/{person_id}/tracing", response_model=list[TraceOut], responses=_errors)
async def person_tracing(
    person_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[TraceOut]:
    """Every contact tried for him, on his record and in the incidents he was a subject of (audited)."""
    return await tracing.of_person(session, principal, person_id)


@router.post(
    "/incidents/{incident_id}/subjects/{ordinal}/tracing",
    status_code=201,
    response_model=TraceOut,
    responses=_errors,
)
async def trace_for_subject(
    incident_id: uuid.UUID, ordinal: Ordinal, body: TraceIn, principal: CurrentPrincipal, session: SessionDep
) -> TraceOut:
    """One attempt to reach this subject's family: on the incident's timeline (the phone masked there)."""
    return await tracing.for_subject(session, principal, incident_id, ordinal, body)


@router.get("/incidents/{incident_id}/tracing", response_model=list[TraceOut], responses=_errors)
async def incident_tracing(
    incident_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[TraceOut]:
    """The contacts tried for the incident's subjects: the console and the crew working it (audited)."""
    return await tracing.of_incident(session, principal, incident_id)


@router.post(
    "/incidents/{incident_id}/subjects/{ordinal}/handover",
    status_code=201,
    response_model=HandoverOut,
    responses=_errors,
)
async def hand_over(
    incident_id: uuid.UUID,
    ordinal: Ordinal,
    body: HandoverIn,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> HandoverOut:
    """Hand the subject over to his family: a receipt number and a printable Berita Acara; his outcome
    becomes reunified (the last outcome of a resolved incident closes it: 4CT tuntas)."""
    return await handovers.reunify(session, principal, incident_id, ordinal, body)


@router.get("/incidents/{incident_id}/handovers", response_model=list[HandoverOut], responses=_errors)
async def list_handovers(
    incident_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[HandoverOut]:
    """The incident's handovers (receiver's NIK and phone masked)."""
    return await handovers.listing(session, principal, incident_id)


@router.get(
    "/handovers/{handover_id}/receipt",
    response_class=HTMLResponse,
    responses={**_errors, 200: {"content": {"text/html": {}}, "description": "Berita Acara Serah Terima"}},
)
async def handover_receipt(
    handover_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> HTMLResponse:
    """The printable Berita Acara Serah Terima (names and NIK in full: the read is audited)."""
    return HTMLResponse(await handovers.receipt(session, principal, handover_id))


@router.post(
    "/incidents/{incident_id}/subjects/{ordinal}/repatriations",
    status_code=201,
    response_model=RepatriationOut,
    responses=_errors,
)
async def repatriate(
    incident_id: uuid.UUID,
    ordinal: Ordinal,
    body: RepatriationIn,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> RepatriationOut:
    """Return the subject to his home kab/kota or province: its Dinas Sosial is referred to (webhooks); its
    answer, or one recorded on its behalf (POST /referrals/{id}/answers), moves the repatriation."""
    rep = await repatriations.request(session, principal, incident_id, ordinal, body)
    return await repatriations.render(session, rep)


@router.get("/incidents/{incident_id}/repatriations", response_model=list[RepatriationOut], responses=_errors)
async def list_repatriations(
    incident_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[RepatriationOut]:
    return await repatriations.listing(session, principal, incident_id)


@router.get("/repatriations/{repatriation_id}", response_model=RepatriationOut, responses=_errors)
async def get_repatriation(
    repatriation_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> RepatriationOut:
    return await repatriations.render(session, await repatriations.get(session, principal, repatriation_id))


@router.post("/repatriations/{repatriation_id}/arrival", response_model=RepatriationOut, responses=_errors)
async def arrival(
    repatriation_id: uuid.UUID, body: HandoverIn, principal: CurrentPrincipal, session: SessionDep
) -> RepatriationOut:
    """He arrived and was handed over there (after the destination accepted): a receipt, his outcome."""
    rep = await repatriations.arrive(session, principal, repatriation_id, body)
    return await repatriations.render(session, rep)


@router.post("/incidents/{incident_id}/reopen", response_model=IncidentSummary, responses=_errors)
async def reopen(
    incident_id: uuid.UUID, body: ReopenIn, principal: CurrentPrincipal, session: SessionDep
) -> IncidentSummary:
    """Reopen a resolved incident (supervisors, with a reason): a new episode with its own 4CT timing; the
    first stamps stay. The subjects named wait for a new outcome."""
    return IncidentSummary.model_validate(await reopening.reopen(session, principal, incident_id, body))
