from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from app.api.deps import CurrentPrincipal, IdempotencyKeyHeader, SessionDep, SessionmakerDep
from app.api.exports import FileFormat, file_response
from app.dispatch.lifecycle import Status
from app.models import Incident
from app.reference.regions import CODE_PATTERN
from app.reporting import tables
from app.reporting.files import XLSX_TYPE
from app.schemas.common import AnyInstant, problem_responses
from app.schemas.incidents import (
    FourCTStage,
    IncidentDetail,
    IncidentPage,
    IncidentPatch,
    IncidentSummary,
    LocationPatch,
    MergeIn,
    NoteIn,
    NoteOut,
    RejectIn,
    TransitionIn,
    VerifyIn,
)
from app.schemas.reports import Channel
from app.services import dispatch, exports, idempotency, incidents
from app.services.incidents import IncidentFilters

router = APIRouter(prefix="/incidents", tags=["incidents"])
_errors = problem_responses(401, 403, 404, 409, 415, 422)


def _filters(
    status: Annotated[list[Status] | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=16)] = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    region: Annotated[str | None, Query(pattern=CODE_PATTERN, description="region code prefix")] = None,
    channel: Channel | None = None,
    created_since: AnyInstant | None = None,
    created_until: AnyInstant | None = None,
    breached: Annotated[
        list[FourCTStage | Literal["any"]] | None,
        Query(description="4CT: incidents that breached any of these stages (`any`: at least one stage)"),
    ] = None,
    deadline_before: Annotated[
        AnyInstant | None,
        Query(description="4CT: incidents whose next unmet deadline falls before this instant"),
    ] = None,
) -> IncidentFilters:
    return IncidentFilters(
        status=status or (),
        category=category,
        priority=priority,
        region=region,
        channel=channel,
        created_since=created_since,
        created_until=created_until,
        breached=[str(b) for b in breached or ()],
        deadline_before=deadline_before,
    )


Filters = Annotated[IncidentFilters, Depends(_filters)]
Order = Literal["newest", "priority"]


@router.get("", response_model=IncidentPage, responses=problem_responses(401, 403, 404, 422))
async def list_incidents(
    principal: CurrentPrincipal,
    session: SessionDep,
    filters: Filters,
    order: Order = "newest",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> IncidentPage:
    """Incidents in the caller's region, each with its 4CT stamps, deadlines and breached stages.
    `order=priority` is the work queue: P1 first, oldest first. No personal data: not audited as a read."""
    rows, next_cursor = await incidents.list_incidents(
        session, principal, filters, order=order, cursor=cursor, limit=limit
    )
    return IncidentPage(items=[incidents.list_item(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, XLSX_TYPE: {}}},
        **problem_responses(401, 403, 404, 422),
    },
)
async def export_incidents(
    principal: CurrentPrincipal,
    maker: SessionmakerDep,
    filters: Filters,
    format: FileFormat = "csv",
    order: Order = "newest",
) -> StreamingResponse:
    """The incident list with the same filters as a file (operators, supervisors, admins): CSV streamed as
    it is read, or XLSX; Indonesian headers, times in UTC, the 4CT fields; no personal data and no
    coordinates."""
    exports.check(principal, filters)
    rows = exports.incident_rows(maker, principal, filters, order)
    return await file_response(format, "insiden", tables.INCIDENT_HEADERS, rows)


@router.get("/{incident_id}", response_model=IncidentDetail, responses=problem_responses(401, 403, 404))
async def get_incident(
    incident_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> IncidentDetail:
    """An incident with its reports, its timeline and its likely duplicates."""
    return await incidents.get_detail(session, principal, incident_id)


@router.post("/{incident_id}/verify", response_model=IncidentSummary, responses=_errors)
async def verify(
    incident_id: uuid.UUID, body: VerifyIn, principal: CurrentPrincipal, session: SessionDep
) -> IncidentSummary:
    """Confirm that the report is real and in scope. Within a second the kab/kota's dispatch round offers it
    to the best crew on duty (`offer.made` on the timeline and the live stream), or escalates it."""
    return IncidentSummary.model_validate(await dispatch.verify(session, principal, incident_id, body.note))


@router.post("/{incident_id}/reject", response_model=IncidentSummary, responses=_errors)
async def reject(
    incident_id: uuid.UUID, body: RejectIn, principal: CurrentPrincipal, session: SessionDep
) -> IncidentSummary:
    """Reject as hoax, duplicate or out of scope, with a reason."""
    return IncidentSummary.model_validate(await dispatch.reject(session, principal, incident_id, body))


@router.patch("/{incident_id}", response_model=IncidentSummary, responses=_errors)
async def patch(
    incident_id: uuid.UUID, body: IncidentPatch, principal: CurrentPrincipal, session: SessionDep
) -> IncidentSummary:
    """Change the category or the priority (a priority set by hand is never overridden by the rules)."""
    return IncidentSummary.model_validate(await dispatch.patch(session, principal, incident_id, body))


@router.patch("/{incident_id}/location", response_model=IncidentSummary, responses=_errors)
async def relocate(
    incident_id: uuid.UUID, body: LocationPatch, principal: CurrentPrincipal, session: SessionDep
) -> IncidentSummary:
    """Correct the place (operators, supervisors): within the incident's kab/kota, while it is open. The
    timeline keeps the old place; referrals follow (rules applied again, those to agencies that no longer
    cover it cancelled); the dispatch round looks again."""
    return IncidentSummary.model_validate(await dispatch.relocate(session, principal, incident_id, body))


@router.post("/{incident_id}/merge", response_model=IncidentSummary, responses=_errors)
async def merge(
    incident_id: uuid.UUID, body: MergeIn, principal: CurrentPrincipal, session: SessionDep
) -> IncidentSummary:
    """Merge this duplicate into another open incident; returns the incident merged into."""
    return IncidentSummary.model_validate(await dispatch.merge(session, principal, incident_id, body))


@router.post("/{incident_id}/transitions", response_model=IncidentSummary, responses=_errors)
async def transition(
    incident_id: uuid.UUID,
    body: TransitionIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> IncidentSummary:
    """Move the incident along its lifecycle; an illegal step is a 409 naming the current state. The crew's
    own steps (en_route, on_scene, handling, resolved) move its status too; the same step again answers like
    the first. Reopening a resolved incident (to handling) is a supervisor's, with a reason."""
    outcome = await idempotency.act_once(
        session,
        actor=principal.user_id,
        action=f"incident:{incident_id}:transition",
        key=idempotency_key,
        body=body,
        act=lambda: dispatch.transition(session, principal, incident_id, body),
        resource_id=lambda incident: incident.id,
    )
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    incident = outcome.created or await session.get_one(Incident, outcome.resource_id)
    return IncidentSummary.model_validate(incident)


@router.post("/{incident_id}/notes", status_code=201, response_model=NoteOut, responses=_errors)
async def add_note(
    incident_id: uuid.UUID, body: NoteIn, principal: CurrentPrincipal, session: SessionDep
) -> NoteOut:
    """Add a note to the incident's timeline."""
    return NoteOut.model_validate(await incidents.add_note(session, principal, incident_id, body.text))
