"""What a referral's answer does to the repatriations that asked through it: the destination's Dinas
Sosial accepted or declined (its own answer or one recorded on its behalf), or the team cancelled."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.referralflow import ReferralStatus
from app.family.vocab import LABELS, REPATRIATION_OPEN, RepatriationStatus
from app.models import Incident, IncidentSubject, Referral, Repatriation
from app.models.base import utcnow
from app.services import events
from app.services.access import Principal

_FOLLOWS = {
    ReferralStatus.accepted: RepatriationStatus.accepted,
    ReferralStatus.declined: RepatriationStatus.declined,
    ReferralStatus.cancelled: RepatriationStatus.cancelled,
}


async def referral_answered(
    session: AsyncSession,
    actor: Principal,
    referral: Referral,
    incident: Incident,
    on_behalf: dict[str, object] | None = None,
) -> None:
    target = _FOLLOWS.get(ReferralStatus(referral.status))
    if target is None:
        return
    rows = await session.scalars(
        select(Repatriation)
        .where(Repatriation.referral_id == referral.id, Repatriation.status.in_(list(REPATRIATION_OPEN)))
        .with_for_update()
    )
    now = utcnow()
    for rep in rows:
        if rep.status == target:
            continue
        before, rep.status, rep.updated_at = rep.status, target, now
        rep.answered_at = rep.answered_at or now
        rep.answer_note = referral.decline_reason or referral.answer_note
        ordinal = await session.scalar(
            select(IncidentSubject.ordinal).where(IncidentSubject.id == rep.subject_id)
        )
        events.record(
            session,
            f"repatriation.{target}",
            actor=actor,
            incident_id=incident.id,
            region_code=incident.region_code,
            data={
                "repatriation_id": str(rep.id),
                "referral_id": str(referral.id),
                "ordinal": ordinal,
                "before": before,
                "status": str(target),
                "label": LABELS[target],
                "destination_region_code": rep.destination_region_code,
                **(on_behalf or {}),
            },
        )
