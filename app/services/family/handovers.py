"""Handovers (serah terima): a subject handed to his family, or to the receiving Dinas Sosial at the end of
a repatriation. Each gets a receipt number and a printable Berita Acara Serah Terima; the subject's outcome
becomes "reunified" through the outcome path, so the last outcome still closes the incident (tuntas)."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import identity
from app.errors import Conflict
from app.family.vocab import RELATION_LABELS, REPATRIATION_OPEN, Relation, receipt_number
from app.models import Handover, Incident, IncidentSubject, Repatriation, User
from app.models.base import utcnow
from app.persons.status import SubjectOutcome
from app.reference import regions
from app.schemas.family import HandoverIn, HandoverOut
from app.schemas.persons import OutcomeIn
from app.services import audit, events, incidents, scoped
from app.services.access import TRIAGE, Principal, require
from app.services.persons import subjects

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parents[2] / "family" / "templates"),
    autoescape=select_autoescape(["html"]),
)
PERSONAL = ("receiver_name", "receiver_nik", "receiver_phone", "receiver_address")


def regency(code: str) -> str:
    return ".".join(code.split(".")[:2])


def render(row: Handover, ordinal: int, outcome: str | None) -> HandoverOut:
    return HandoverOut(
        id=row.id,
        receipt_number=row.receipt_number,
        receipt_url=f"/api/v1/handovers/{row.id}/receipt",
        incident_id=row.incident_id,
        subject_ordinal=ordinal,
        person_id=row.person_id,
        repatriation_id=row.repatriation_id,
        receiver_name=row.receiver_name,
        receiver_relation=row.receiver_relation,
        receiver_relation_label=RELATION_LABELS[Relation(row.receiver_relation)],
        receiver_nik=identity.mask_nik(row.receiver_nik),
        receiver_phone=identity.mask_phone(row.receiver_phone),
        receiver_address=row.receiver_address,
        receiver_region_code=row.receiver_region_code,
        handed_over_at=row.handed_over_at,
        officer_name=row.officer_name,
        note=row.note,
        outcome=outcome,
    )


async def _already(session: AsyncSession, subject: IncidentSubject) -> str | None:
    return await session.scalar(
        select(Handover.receipt_number)
        .where(Handover.subject_id == subject.id)
        .order_by(Handover.created_at.desc())
        .limit(1)
    )


async def hand_over(
    session: AsyncSession,
    principal: Principal,
    incident: Incident,
    subject: IncidentSubject,
    body: HandoverIn,
    *,
    repatriation: Repatriation | None = None,
) -> Handover:
    """Writes the handover and its receipt, then the outcome (the incident and subject are locked)."""
    if subject.outcome == SubjectOutcome.reunified:
        receipt = await _already(session, subject)
        raise Conflict(
            f"subjek {subject.ordinal} sudah diserahkan ke keluarga (tanda terima {receipt}); buka kembali "
            "insiden untuk subjek ini bila serah terima itu tidak berlaku lagi"
        )
    at: datetime = body.handed_over_at or utcnow()
    zone = regions.zone_for(incident.region_code)
    row = Handover(
        id=uuid.uuid4(),
        incident_id=incident.id,
        subject_id=subject.id,
        person_id=subject.person_id,
        repatriation_id=repatriation.id if repatriation else None,
        receipt_number=receipt_number(regency(incident.region_code), at.astimezone(zone)),
        receiver_name=body.receiver_name,
        receiver_relation=str(body.receiver_relation),
        receiver_nik=body.receiver_nik,
        receiver_phone=body.receiver_phone,
        receiver_address=body.receiver_address,
        receiver_region_code=body.receiver_region_code,
        handed_over_at=at,
        officer_id=principal.user_id,
        officer_name=body.officer_name or principal.username,
        note=body.note,
        created_at=utcnow(),
    )
    session.add(row)
    # A receipt number drawn twice breaks the unique index: the app's handler answers 409 (retry).
    await session.flush()
    audit.record(
        session,
        principal,
        action="create",
        entity_type="handover",
        entity_id=row.id,
        fields=[f for f in PERSONAL if getattr(row, f)],
        region_code=incident.region_code,
        purpose="family reunification",
    )
    events.record(
        session,
        "subject.handed_over",
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "handover_id": str(row.id),
            "subject_id": str(subject.id),
            "ordinal": subject.ordinal,
            "person_id": str(subject.person_id) if subject.person_id else None,
            "receipt_number": row.receipt_number,
            "relation": row.receiver_relation,
            "repatriation_id": str(repatriation.id) if repatriation else None,
            "handed_over_at": at.isoformat(),
        },
    )
    note = f"serah terima, tanda terima {row.receipt_number}"
    await subjects.record_outcome(
        session,
        principal,
        incident.id,
        subject.ordinal,
        OutcomeIn(outcome=SubjectOutcome.reunified, note=note),
    )
    return row


async def reunify(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, body: HandoverIn
) -> HandoverOut:
    incident = await incidents.get_visible(session, principal, incident_id, lock=True)
    require(principal, TRIAGE, "record a handover to the family")
    subject = await subjects.get(session, incident, ordinal, lock=True)
    under_way = await session.scalar(
        select(Repatriation.id).where(
            Repatriation.subject_id == subject.id, Repatriation.status.in_(list(REPATRIATION_OPEN))
        )
    )
    if under_way is not None:
        raise Conflict(
            f"subjek {ordinal} sedang dipulangkan (pemulangan {under_way}): catat kedatangannya di "
            "POST /repatriations/{id}/arrival, atau batalkan rujukannya dulu"
        )
    row = await hand_over(session, principal, incident, subject, body)
    return render(row, ordinal, subject.outcome)


async def listing(session: AsyncSession, principal: Principal, incident_id: uuid.UUID) -> list[HandoverOut]:
    incident = await incidents.get_visible(session, principal, incident_id)
    require(principal, TRIAGE, "read handovers")
    rows = (
        await session.execute(
            select(Handover, IncidentSubject.ordinal, IncidentSubject.outcome)
            .join(IncidentSubject, IncidentSubject.id == Handover.subject_id)
            .where(Handover.incident_id == incident.id)
            .order_by(Handover.handed_over_at, Handover.id)
        )
    ).all()
    out = []
    for row, n, outcome in rows:
        audit.record(
            session,
            principal,
            action="read",
            entity_type="handover",
            entity_id=row.id,
            fields=[f for f in ("receiver_name", "receiver_address") if getattr(row, f)],
            region_code=incident.region_code,
            purpose="handovers",
        )
        out.append(render(row, n, outcome))
    return out


def _when(at: datetime, code: str) -> str:
    local = at.astimezone(regions.zone_for(code))
    months = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ]
    zone = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}[
        regions.timezone_for(code)
    ]
    return f"{local.day} {months[local.month - 1]} {local.year}, pukul {local:%H.%M} {zone}"


def _region_name(code: str | None) -> str:
    if not code:
        return "-"
    region = regions.get_region(code)
    return f"{region.name} ({code})" if region else code


async def receipt(session: AsyncSession, principal: Principal, handover_id: uuid.UUID) -> str:
    """The Berita Acara Serah Terima as a printable page: names and NIK in full (a read, audited)."""
    row = await scoped.find(session, principal, Handover, handover_id)
    require(principal, TRIAGE, "print a handover receipt")
    incident = await session.get_one(Incident, row.incident_id)
    subject = await session.get_one(IncidentSubject, row.subject_id)
    officer = await session.get(User, row.officer_id) if row.officer_id else None
    audit.record(
        session,
        principal,
        action="read",
        entity_type="handover",
        entity_id=row.id,
        fields=[f for f in PERSONAL if getattr(row, f)] + subjects.personal_fields(subject),
        region_code=incident.region_code,
        purpose="handover receipt",
    )
    context: dict[str, Any] = {
        "h": row,
        "subject": subject,
        "incident": incident,
        "when": _when(row.handed_over_at, incident.region_code),
        "relation": RELATION_LABELS[Relation(row.receiver_relation)],
        "receiver_region": _region_name(row.receiver_region_code),
        "region": _region_name(regency(incident.region_code)),
        "officer_account": officer.username if officer else None,
        "sex": {"male": "laki-laki", "female": "perempuan"}.get(subject.sex, "tidak diketahui"),
    }
    return _TEMPLATES.get_template("receipt.html").render(**context)
