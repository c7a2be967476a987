"""Reading reports: by their submitter (own data, unmasked) or by those who read the incident."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models import Incident, Report
from app.schemas.reports import ReportOut
from app.services import audit
from app.services.access import READ_INCIDENTS, SEE_PERSONAL_DATA, Principal
from app.services.incidents import render_report
from app.services.intake import personal_fields


async def get_report(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> ReportOut:
    report = await session.get(Report, report_id)
    own = report is not None and report.submitted_by_id == principal.user_id
    if report is None or not (
        own or (principal.role in READ_INCIDENTS and principal.sees_region(report.region_code))
    ):
        raise NotFound(f"report {report_id} not found")
    reveal = own or principal.role in SEE_PERSONAL_DATA
    if reveal:
        # The submitter sees what he gave; his reading it is recorded like anyone else's.
        audit.record(
            session,
            principal,
            action="read",
            entity_type="report",
            entity_id=report.id,
            fields=personal_fields(report),
            region_code=report.region_code,
            purpose="own report" if own else "report detail",
        )
    return render_report(report, reveal=reveal)


async def mine(session: AsyncSession, principal: Principal, *, limit: int) -> Sequence[tuple[Report, str]]:
    rows = await session.execute(
        select(Report, Incident.status)
        .join(Incident, Incident.id == Report.incident_id)
        .where(Report.submitted_by_id == principal.user_id)
        .order_by(Report.created_at.desc())
        .limit(limit)
    )
    return [(r, s) for r, s in rows]
