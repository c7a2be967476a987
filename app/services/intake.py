"""Where a report enters: one unit of work turns a report into a new incident (or adds it to an open one),
with its timeline events and the audit of the personal data it carries."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import append, new_row
from app.dispatch.lifecycle import OPEN_STATUSES, Status
from app.dispatch.priority import PriorityDecision, default_priority, say
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models import Incident, Report
from app.models.base import new_id, utcnow
from app.reference.categories import CATEGORIES, UNKNOWN
from app.schemas.reports import ReportCreate
from app.services import audit, events, timers
from app.services.access import CHANNELS_BY_ROLE, SUBMIT_REPORTS, Principal, require
from app.triage import engine as triage

# Crockford's base32 without look-alikes: read out over the phone without confusion.
_TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_tracking_code() -> str:
    body = "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(10))
    return f"TG-{body[:5]}-{body[5:]}"


def personal_fields(report: Report) -> list[str]:
    """Names of the personal-data fields a report holds (for the audit trail)."""
    present = {
        "reporter_name": report.reporter_name,
        "reporter_phone": report.reporter_phone,
        "subject_name": report.subject_name,
        "subject_nik": report.subject_nik,
    }
    return [name for name, value in present.items() if value]


def _region_of(principal: Principal | None, body: ReportCreate) -> str:
    code = body.location.region_code
    if code is None:
        # An operator's call about "his" kab/kota needs no code; a national account must name one.
        if principal is None or principal.region_code.count(".") < 1:
            raise Unprocessable("region_code is required", field="location.region_code")
        code = principal.region_code
    if principal is not None and not principal.sees_region(code):
        raise Forbidden(f"region {code} is outside your region {principal.region_code or 'ID'}")
    return code


async def submit(
    session: AsyncSession,
    principal: Principal | None,
    body: ReportCreate,
    *,
    tracking_code: str | None = None,
    client_ip: str | None = None,
) -> Report:
    """Records a report. `principal` is None for a public report (no account)."""
    report, _ = await submit_to_incident(
        session, principal, body, tracking_code=tracking_code, client_ip=client_ip
    )
    return report


async def submit_to_incident(
    session: AsyncSession,
    principal: Principal | None,
    body: ReportCreate,
    *,
    tracking_code: str | None = None,
    client_ip: str | None = None,
    suggestion: triage.Suggestion | None = None,
) -> tuple[Report, Incident]:
    """Records a report; returns it with the incident it opened or joined. The triage reads its
    description (`suggestion`, when the caller has already triaged it)."""
    if principal is not None:
        require(principal, SUBMIT_REPORTS, "submit reports")
        allowed = CHANNELS_BY_ROLE[principal.role]
        if allowed is not None and body.channel not in allowed:
            raise Forbidden(f"a {principal.role} submits reports through {', '.join(sorted(allowed))}")
    region_code = _region_of(principal, body)
    if suggestion is None:
        suggestion = triage.suggest(
            body.description,
            region_scope=".".join(region_code.split(".")[:2]),
            place_name=body.location.landmark,
        )
    now = utcnow()
    subject = body.subject
    report = new_row(
        Report,
        id=new_id(),
        channel=body.channel,
        received_at=body.received_at or now,
        created_at=now,
        submitted_by_id=principal.user_id if principal else None,
        reporter_name=body.reporter.name,
        reporter_phone=body.reporter.phone,
        reporter_anonymous=body.reporter.anonymous,
        lat=body.location.lat,
        lon=body.location.lon,
        region_code=region_code,
        address=body.location.address,
        landmark=body.location.landmark,
        category=body.category,
        description=body.description,
        subject_count=subject.count,
        subject_age=subject.approx_age,
        subject_sex=subject.sex,
        subject_flags=sorted(set(subject.flags)),
        subject_name=subject.name,
        subject_nik=subject.nik,
        external_ref=body.external_ref,
        tracking_code=tracking_code,
        suggestion=suggestion.as_dict(),
    )
    if body.incident_id is not None:
        incident = await _attach(session, principal, body.incident_id, report)
        report.incident_id = incident.id
        append(session, report)
    else:
        incident = _open_incident(session, principal, report)
        report.incident_id = incident.id
        append(session, incident, report)
    events.record(
        session,
        "report.received",
        actor=principal,
        incident_id=incident.id,
        region_code=region_code,
        data={"report_id": str(report.id), "channel": report.channel, "category": report.category},
    )
    audit.record(
        session,
        principal,
        action="create",
        entity_type="report",
        entity_id=report.id,
        fields=personal_fields(report),
        region_code=region_code,
        purpose="report intake",
        client_ip=client_ip,
    )
    return report, incident


def _open_incident(session: AsyncSession, principal: Principal | None, report: Report) -> Incident:
    category = CATEGORIES[report.category]
    decision = with_hint(
        default_priority(
            category_priority=category.default_priority,
            category=category.code,
            flags=report.subject_flags,
            approx_age=report.subject_age,
        ),
        report.suggestion,
    )
    incident = new_row(
        Incident,
        id=new_id(),
        status=Status.received,
        category=report.category,
        priority=decision.priority,
        priority_source="rules",
        priority_reasons=list(decision.reasons),
        region_code=report.region_code,
        lat=report.lat,
        lon=report.lon,
        address=report.address,
        landmark=report.landmark,
        subject_count=report.subject_count,
        subject_flags=list(report.subject_flags),
        subject_sex=report.subject_sex or "unknown",
        subject_age=report.subject_age,
        report_count=1,
        dispatch_attempts=0,
        first_received_at=report.received_at,
        created_at=report.created_at,
        updated_at=report.created_at,
        created_by_id=principal.user_id if principal else None,
        four_ct_breaches=[],
    )
    timers.refresh(incident)
    events.record(
        session,
        "incident.created",
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "status": incident.status,
            "category": incident.category,
            "priority": incident.priority,
            "priority_reasons": incident.priority_reasons,
        },
    )
    return incident


def with_hint(decision: PriorityDecision, suggestion: dict[str, Any] | None) -> PriorityDecision:
    """The rules' priority, made more urgent (never less) by the triage's reading of the description:
    "orang gila mengamuk" typed by an operator is as urgent as the same words posted. Category and flags
    stay what the reporter or operator chose."""
    hint = (suggestion or {}).get("priority")
    if not isinstance(hint, int) or hint >= decision.priority:
        return decision
    flags = ", ".join(suggestion.get("flags", ())) if suggestion else ""
    why = say(
        "priority.triage", category=suggestion.get("category") if suggestion else "?", flags=flags, p=hint
    )
    return PriorityDecision(hint, (*decision.reasons, why))


async def _attach(
    session: AsyncSession, principal: Principal | None, incident_id: uuid.UUID, report: Report
) -> Incident:
    incident = await session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())
    if incident is None or principal is None or not principal.sees_region(incident.region_code):
        raise NotFound(f"incident {incident_id} not found")
    if incident.status not in OPEN_STATUSES:
        raise Conflict(
            f"incident {incident_id} is {incident.status}; reports attach only to open incidents",
            current_status=incident.status,
        )
    absorb(session, principal, incident, [report])
    return incident


def absorb(session: AsyncSession, actor: Principal | None, incident: Incident, reports: list[Report]) -> None:
    """Adds what new reports tell about the subject to an incident; rules may raise (never lower) priority."""
    flags = set(incident.subject_flags)
    ages = [a for a in [incident.subject_age, *(r.subject_age for r in reports)] if a is not None]
    for r in reports:
        flags.update(r.subject_flags)
        incident.subject_count = max(incident.subject_count, r.subject_count)
        if incident.subject_sex == "unknown" and r.subject_sex in ("male", "female"):
            incident.subject_sex = r.subject_sex
        if incident.lat is None and r.lat is not None:
            incident.lat, incident.lon = r.lat, r.lon
        if incident.category == UNKNOWN and r.category != UNKNOWN:
            events.record(
                session,
                "incident.category_changed",
                actor=actor,
                incident_id=incident.id,
                region_code=incident.region_code,
                data=events.change(incident.category, r.category),
            )
            incident.category = r.category
    incident.subject_flags = sorted(flags)
    incident.subject_age = min(ages) if ages else None
    incident.report_count += len(reports)
    incident.first_received_at = min([incident.first_received_at, *(r.received_at for r in reports)])
    incident.updated_at = utcnow()
    timers.refresh(incident)
    if incident.priority_source == "rules":
        decision = default_priority(
            category_priority=CATEGORIES[incident.category].default_priority,
            category=incident.category,
            flags=incident.subject_flags,
            approx_age=incident.subject_age,
        )
        for r in reports:
            decision = with_hint(decision, r.suggestion)
        if decision.priority < incident.priority:
            events.record(
                session,
                "incident.priority_changed",
                actor=actor,
                incident_id=incident.id,
                region_code=incident.region_code,
                data={
                    **events.change(incident.priority, decision.priority),
                    "reasons": list(decision.reasons),
                },
            )
            incident.priority = decision.priority
            incident.priority_reasons = list(decision.reasons)
            timers.refresh(incident)
    events.record(
        session,
        "incident.reports_added",
        actor=actor,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={"report_ids": [str(r.id) for r in reports], "report_count": incident.report_count},
    )
