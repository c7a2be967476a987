from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.api.deps import CurrentPrincipal, IdempotencyKeyHeader, SessionDep, SessionmakerDep
from app.models import Report
from app.schemas.common import problem_responses
from app.schemas.reports import MyReport, ReportCreate, ReportOut
from app.services import idempotency, intake, reports
from app.services.incidents import render_report

router = APIRouter(prefix="/reports", tags=["reports"])


@router.post(
    "",
    status_code=201,
    response_model=ReportOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
)
async def submit_report(
    body: ReportCreate,
    principal: CurrentPrincipal,
    sessionmaker: SessionmakerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Record a report from any channel. It opens a new incident, or joins the open `incident_id` given.

    With an `Idempotency-Key`, a retry returns the first response (header `Idempotent-Replayed: true`).
    """
    # The busiest endpoint owns its unit of work (run_once commits it) instead of taking the request-scoped
    # session dependency, whose set-up and tear-down cost more than the session itself.
    async with sessionmaker() as session:
        outcome = await idempotency.run_once(
            session,
            scope=str(principal.user_id),
            key=idempotency_key,
            body=body,
            create=lambda: intake.submit(session, principal, body),
            resource_id=lambda report: report.id,
        )
        report = outcome.created
        if report is None:
            report = await session.get_one(Report, outcome.resource_id)
    headers = {"Location": f"/api/v1/reports/{report.id}"}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    # The submitter sees what he sent; the intake audited it as written.
    out = render_report(report, reveal=True)
    return Response(
        out.model_dump_json(), status_code=outcome.status_code, headers=headers, media_type="application/json"
    )


@router.get("/mine", response_model=list[MyReport], responses=problem_responses(401))
async def my_reports(
    principal: CurrentPrincipal, session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[MyReport]:
    """The caller's own reports, newest first, with the status of their incidents. Names, phone and NIK are
    masked, as in every list: `GET /reports/{id}` shows them in full (and the read is audited)."""
    rows = await reports.mine(session, principal, limit=limit)
    return [MyReport(**render_report(r, reveal=False).model_dump(), incident_status=s) for r, s in rows]


@router.get("/{report_id}", response_model=ReportOut, responses=problem_responses(401, 404))
async def get_report(report_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> ReportOut:
    """One report, for its submitter or for those who may read its incident."""
    return await reports.get_report(session, principal, report_id)
