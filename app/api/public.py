"""Reporting without an account: a citizen's report, and its status by tracking code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from app.api.deps import IdempotencyKeyHeader, SessionDep, SessionmakerDep, SettingsDep, client_ip
from app.schemas.common import problem_responses
from app.schemas.reports import PublicReportCreate, PublicReportReceipt, PublicReportStatus, ReportCreate
from app.services import idempotency, intake, public_status, ratelimit

router = APIRouter(prefix="/public", tags=["public"])


async def rate_limited(request: Request, settings: SettingsDep, maker: SessionmakerDep) -> None:
    # A dependency, so that it counts even requests whose body fails validation.
    await ratelimit.hit(
        maker,
        f"public:{client_ip(request)}",
        limit=settings.public_rate_limit,
        window_s=settings.public_rate_window_seconds,
    )


@router.post(
    "/reports",
    status_code=201,
    response_model=PublicReportReceipt,
    dependencies=[Depends(rate_limited)],
    responses=problem_responses(400, 413, 415, 422, 429),
)
async def submit_public_report(
    body: PublicReportCreate,
    request: Request,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Report a person in need. Keep the tracking code: it tells the status later. Rate-limited per client."""
    ip = client_ip(request)
    report_body = ReportCreate(
        channel="public_app",
        location=body.location,
        category=body.category,
        description=body.description,
        subject=body.subject,
        reporter=body.reporter,
    )

    outcome = await idempotency.run_once(
        session,
        scope=f"public:{ip}",
        key=idempotency_key,
        body=body,
        create=lambda: intake.submit(
            session, None, report_body, tracking_code=intake.new_tracking_code(), client_ip=ip
        ),
        resource_id=lambda report: report.id,
    )
    receipt = await public_status.receipt(session, outcome.resource_id)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(receipt.model_dump(mode="json"), status_code=outcome.status_code, headers=headers)


@router.get(
    "/reports/{tracking_code}",
    response_model=PublicReportStatus,
    dependencies=[Depends(rate_limited)],
    responses=problem_responses(404, 429),
)
async def public_report_status(
    tracking_code: Annotated[str, Path(pattern=r"^TG-[0-9A-Z]{5}-[0-9A-Z]{5}$")], session: SessionDep
) -> PublicReportStatus:
    """The status of a public report. No personal data."""
    return await public_status.status(session, tracking_code)
