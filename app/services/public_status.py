"""What a citizen may learn about his report: a coarse status, never anyone's personal data."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.lifecycle import Status
from app.errors import NotFound
from app.models import Incident, Report
from app.schemas.reports import PublicReportReceipt, PublicReportStatus

_PUBLIC = {
    Status.received: "received",
    Status.verified: "in_progress",
    Status.dispatched: "in_progress",
    Status.en_route: "in_progress",
    Status.on_scene: "in_progress",
    Status.handling: "in_progress",
    Status.resolved: "resolved",
    Status.closed: "closed",
    Status.cancelled: "closed",
    Status.rejected: "rejected",
}


async def receipt(session: AsyncSession, report_id: uuid.UUID) -> PublicReportReceipt:
    report = await session.get_one(Report, report_id)
    assert report.tracking_code is not None
    return PublicReportReceipt(
        tracking_code=report.tracking_code, status="received", received_at=report.received_at
    )


async def status(session: AsyncSession, tracking_code: str) -> PublicReportStatus:
    query = (
        select(Report, Incident)
        .join(Incident, Incident.id == Report.incident_id)
        .where(Report.tracking_code == tracking_code)
    )
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("no report has this tracking code")
    # Merging moves reports, so a merged duplicate's report follows the incident it joined.
    report, incident = row
    public = _PUBLIC[Status(incident.status)]
    return PublicReportStatus(
        tracking_code=tracking_code,
        status=public,
        category=incident.category,
        received_at=report.received_at,
        updated_at=incident.updated_at,
    )
