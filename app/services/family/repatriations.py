"""Repatriation (pemulangan) to another kab/kota or province: the Dinas Sosial of the destination is asked
through the referral loop (its webhooks, its own answer or one recorded on its behalf when it answered by
phone: app/services/family/follow.py moves the repatriation), then his arrival there is a handover with its
receipt and his outcome."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.referralflow import ReferralStatus
from app.errors import Conflict, Unprocessable
from app.family.vocab import LABELS, REPATRIATION_OPEN, RepatriationStatus
from app.models import Agency, Handover, Incident, IncidentSubject, Referral, Repatriation
from app.models.base import utcnow
from app.persons.status import SubjectOutcome
from app.reference import regions
from app.schemas.agencies import AnswerOnBehalfIn
from app.schemas.family import HandoverIn, RepatriationIn, RepatriationOut
from app.schemas.incidents import Outcome
from app.services import events, incidents, referrals, scoped
from app.services.access import TRIAGE, Principal, require
from app.services.family import handovers
from app.services.persons import subjects

DINAS_SOSIAL = "dinas_sosial"
# A referral already answered this way asks nothing new: the repatriation starts where it stands.
_FROM_REFERRAL = {ReferralStatus.accepted: RepatriationStatus.accepted}


def _name(code: str) -> str:
    region = regions.get_region(code)
    return f"{region.name} ({code})" if region else code


async def destination_agency(session: AsyncSession, destination: str, agency_id: uuid.UUID | None) -> Agency:
    """The receiving Dinas Sosial: the one named, or the most local active one whose area holds the
    destination (the kab/kota's before the province's). Outside the caller's region by nature."""
    if agency_id is not None:
        agency = await session.get(Agency, agency_id)
        if agency is None or agency.kind != DINAS_SOSIAL or not agency.active:
            raise Unprocessable(
                f"instansi {agency_id} bukan Dinas Sosial yang aktif (jenis dinas_sosial)", field="agency_id"
            )
        if not regions.within(destination, agency.region_code):
            raise Unprocessable(
                f"{agency.name} tidak melayani wilayah tujuan {_name(destination)}", field="agency_id"
            )
        return agency
    candidates = [
        a
        for a in await session.scalars(
            select(Agency).where(Agency.kind == DINAS_SOSIAL, Agency.active).order_by(Agency.name)
        )
        if regions.within(destination, a.region_code)
    ]
    if not candidates:
        raise Conflict(
            f"belum ada Dinas Sosial yang terdaftar dan aktif untuk wilayah tujuan {_name(destination)}: "
            "daftarkan instansinya (jenis dinas_sosial, POST /agencies) lalu ulangi; jawabannya lewat "
            "telepon dapat dicatat atas namanya (POST /referrals/{id}/answers)"
        )
    return max(candidates, key=lambda a: len(a.region_code))


async def render(session: AsyncSession, rep: Repatriation) -> RepatriationOut:
    agency = await session.get_one(Agency, rep.agency_id)
    referral = await session.get_one(Referral, rep.referral_id)
    subject = await session.get_one(IncidentSubject, rep.subject_id)
    handover = await session.scalar(select(Handover).where(Handover.repatriation_id == rep.id))
    return RepatriationOut(
        id=rep.id,
        incident_id=rep.incident_id,
        subject_ordinal=subject.ordinal,
        person_id=rep.person_id,
        destination_region_code=rep.destination_region_code,
        agency_id=agency.id,
        agency_name=agency.name,
        referral_id=referral.id,
        referral_status=referral.status,
        status=RepatriationStatus(rep.status),
        status_label=LABELS[rep.status],
        reason=rep.reason,
        answer_note=rep.answer_note,
        requested_at=rep.requested_at,
        answered_at=rep.answered_at,
        arrived_at=rep.arrived_at,
        handover=handovers.render(handover, subject.ordinal, subject.outcome) if handover else None,
    )


def _event(
    session: AsyncSession,
    principal: Principal,
    incident: Incident,
    rep: Repatriation,
    ordinal: int,
    **more: object,
) -> None:
    events.record(
        session,
        f"repatriation.{rep.status}",
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "repatriation_id": str(rep.id),
            "referral_id": str(rep.referral_id),
            "agency_id": str(rep.agency_id),
            "ordinal": ordinal,
            "status": rep.status,
            "label": LABELS[rep.status],
            "destination_region_code": rep.destination_region_code,
            **more,
        },
    )


async def request(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, body: RepatriationIn
) -> Repatriation:
    incident = await incidents.get_visible(session, principal, incident_id, lock=True)
    require(principal, TRIAGE, "repatriate a subject")
    subject = await subjects.get(session, incident, ordinal, lock=True)
    destination = body.destination_region_code
    home = handovers.regency(incident.region_code)
    if regions.within(destination, home):
        raise Unprocessable(
            f"tujuan {_name(destination)} masih di kab/kota kasus ini: serahkan langsung ke keluarga "
            "(POST .../handover), bukan pemulangan",
            field="destination_region_code",
        )
    if subject.outcome == SubjectOutcome.reunified:
        raise Conflict(f"subjek {ordinal} sudah diserahkan ke keluarga; tidak perlu dipulangkan")
    under_way = await session.scalar(
        select(Repatriation.id).where(
            Repatriation.subject_id == subject.id, Repatriation.status.in_(list(REPATRIATION_OPEN))
        )
    )
    if under_way is not None:
        raise Conflict(f"subjek {ordinal} sudah dalam pemulangan {under_way}")
    agency = await destination_agency(session, destination, body.agency_id)
    # The reason leaves with the referral's webhook: it names the region, never the person.
    referral = await referrals.for_placement(
        session,
        principal,
        incident,
        agency,
        reason=f"permintaan pemulangan klien (subjek {ordinal}) ke {_name(destination)}",
    )
    now = utcnow()
    rep = Repatriation(
        id=uuid.uuid4(),
        incident_id=incident.id,
        subject_id=subject.id,
        person_id=subject.person_id,
        destination_region_code=destination,
        agency_id=agency.id,
        referral_id=referral.id,
        status=RepatriationStatus.requested,
        reason=body.reason,
        requested_at=now,
        requested_by_id=principal.user_id,
        updated_at=now,
    )
    session.add(rep)
    _event(session, principal, incident, rep, ordinal, agency=agency.name)
    already = _FROM_REFERRAL.get(ReferralStatus(referral.status))
    if already is not None:
        rep.status, rep.answered_at = already, now
        _event(session, principal, incident, rep, ordinal, reason="rujukan ke instansi ini sudah diterima")
    await session.flush()
    return rep


async def get(session: AsyncSession, principal: Principal, repatriation_id: uuid.UUID) -> Repatriation:
    rep = await scoped.find(session, principal, Repatriation, repatriation_id)
    require(principal, TRIAGE, "read repatriations")
    return rep


async def listing(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID
) -> list[RepatriationOut]:
    incident = await incidents.get_visible(session, principal, incident_id)
    require(principal, TRIAGE, "read repatriations")
    rows = await session.scalars(
        select(Repatriation)
        .where(Repatriation.incident_id == incident.id)
        .order_by(Repatriation.requested_at)
    )
    return [await render(session, r) for r in rows.all()]


async def arrive(
    session: AsyncSession, principal: Principal, repatriation_id: uuid.UUID, body: HandoverIn
) -> Repatriation:
    """He arrived and was handed over (to the receiving Dinas Sosial or his family there): a handover with
    its receipt, his outcome, and the referral completed on the agency's behalf (the handover is its word)."""
    found = await scoped.find(session, principal, Repatriation, repatriation_id)
    require(principal, TRIAGE, "record a repatriation's arrival")
    incident = await incidents.get_visible(session, principal, found.incident_id, lock=True)
    rep = await session.get_one(Repatriation, found.id, with_for_update=True, populate_existing=True)
    subject = await session.get_one(IncidentSubject, rep.subject_id, with_for_update=True)
    if rep.status != RepatriationStatus.accepted:
        raise Conflict(
            f"pemulangan ini {LABELS[rep.status]}: kedatangan dicatat setelah Dinas Sosial tujuan menerima",
            current_status=rep.status,
        )
    now = utcnow()
    rep.status, rep.arrived_at, rep.updated_at = RepatriationStatus.arrived, body.handed_over_at or now, now
    _event(session, principal, incident, rep, subject.ordinal)
    await session.flush()
    others = await session.scalar(
        select(Repatriation.id).where(
            Repatriation.referral_id == rep.referral_id,
            Repatriation.status.in_(list(REPATRIATION_OPEN)),
        )
    )
    referral = await session.get_one(Referral, rep.referral_id)
    if others is None and referral.status == ReferralStatus.accepted:
        await referrals.answer_on_behalf(
            session,
            principal,
            referral.id,
            AnswerOnBehalfIn(
                status=ReferralStatus.completed,
                outcome=Outcome.reunified,
                note="klien tiba dan diserahterimakan",
                received_via="in_person",
                contact=body.receiver_name[:120] if len(body.receiver_name) >= 2 else "penerima",
            ),
        )
    await handovers.hand_over(session, principal, incident, subject, body, repatriation=rep)
    return rep
