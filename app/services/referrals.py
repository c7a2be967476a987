"""Referrals: an incident handed to a partner agency, by a routing rule at verification or by hand, and the
agency's answers (acknowledged, accepted, declined, completed). Each step is an event: the timeline, the
live stream and the agency's webhooks all learn of it from the log."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import lifecycle
from app.dispatch.lifecycle import OPEN_STATUSES, Status
from app.dispatch.referralflow import ANSWERS, CLOSED, ReferralStatus
from app.errors import Conflict, InvalidTransition, Unprocessable
from app.models import Agency, Incident, Referral, RoutingRule
from app.models.base import utcnow
from app.schemas.agencies import AnswerIn, AnswerOnBehalfIn
from app.services import agencies, events, scoped
from app.services.access import READ_INCIDENTS, TRIAGE, Principal, require
from app.services.family import follow
from app.services.incidents import move

log = logging.getLogger(__name__)


def _record(
    session: AsyncSession,
    actor: Principal | None,
    referral: Referral,
    agency: Agency,
    incident: Incident,
    type_: str,
    **data: object,
) -> None:
    events.record(
        session,
        type_,
        actor=actor,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "referral_id": str(referral.id),
            "agency_id": str(agency.id),
            "agency": agency.name,
            "agency_kind": agency.kind,
            "status": referral.status,
            **{k: v for k, v in data.items() if v is not None},
        },
    )


async def _open(
    session: AsyncSession,
    actor: Principal | None,
    incident: Incident,
    agency: Agency,
    *,
    reason: str,
    rule: RoutingRule | None,
) -> Referral | None:
    """Refers the incident to the agency; an open referral stays as it is (None), a closed one reopens."""
    referral = await session.scalar(
        select(Referral)
        .where(Referral.incident_id == incident.id, Referral.agency_id == agency.id)
        .with_for_update()
    )
    now = utcnow()
    if referral is not None and referral.status not in CLOSED:
        return None
    if referral is None:
        referral = Referral(incident_id=incident.id, agency_id=agency.id)
        session.add(referral)
    referral.status = ReferralStatus.pending
    referral.reason = reason
    referral.rule_id = rule.id if rule else None
    referral.completes_incident = rule.completes_incident if rule else False
    referral.referred_by_id = actor.user_id if actor else None
    referral.created_at = referral.updated_at = now
    for stamp in ("acknowledged_at", "accepted_at", "declined_at", "completed_at", "cancelled_at"):
        setattr(referral, stamp, None)
    referral.answer_note = referral.decline_reason = referral.outcome = None
    await session.flush()
    _record(
        session, actor, referral, agency, incident, "referral.created", reason=reason, rule=rule and rule.name
    )
    return referral


async def route(session: AsyncSession, actor: Principal | None, incident: Incident) -> list[Referral]:
    """Applies the routing rules to a verified incident (app/services/agencies.py chooses the agencies)."""
    made = []
    chosen, unmatched = await agencies.targets(session, incident)
    for rule, agency in chosen:
        referral = await _open(session, actor, incident, agency, reason=f"rule: {rule.name}", rule=rule)
        if referral is not None:
            made.append(referral)
    for rule in unmatched:
        what = f"instansi {rule.agency_id}" if rule.agency_id else f"instansi jenis {rule.agency_kind}"
        detail = (
            f"aturan rujukan '{rule.name}' cocok, tetapi tidak ada {what} yang aktif dan wilayahnya mencakup "
            f"{incident.region_code}: tidak ada rujukan dibuat; rujuk dengan tangan atau perbaiki aturannya"
        )
        log.warning("routing rule %s found no agency for incident %s", rule.id, incident.id)
        events.record(
            session,
            "referral.unrouted",
            actor=actor or events.SYSTEM,
            incident_id=incident.id,
            region_code=incident.region_code,
            data={
                "rule_id": str(rule.id),
                "rule": rule.name,
                "agency_id": str(rule.agency_id) if rule.agency_id else None,
                "agency_kind": rule.agency_kind,
                "detail": detail,
            },
        )
    return made


async def reroute(session: AsyncSession, actor: Principal, incident: Incident) -> list[Referral]:
    """After the incident's place was corrected: referrals the rules made to agencies whose area no longer
    holds it are cancelled (the agency is told), and the rules are applied again at the new place."""
    chosen, _ = await agencies.targets(session, incident)
    still = {agency.id for _, agency in chosen}
    for referral in await session.scalars(
        select(Referral)
        .where(Referral.incident_id == incident.id, Referral.rule_id.is_not(None))
        .with_for_update()
    ):
        if referral.status in CLOSED or referral.agency_id in still:
            continue
        before = referral.status
        referral.status, referral.cancelled_at = ReferralStatus.cancelled, utcnow()
        referral.updated_at = referral.cancelled_at
        agency = await session.get_one(Agency, referral.agency_id)
        _record(
            session,
            actor,
            referral,
            agency,
            incident,
            "referral.cancelled",
            before=before,
            reason="lokasi insiden diperbaiki: di luar wilayah instansi ini (the place was corrected)",
        )
    return await route(session, actor, incident)


async def for_placement(
    session: AsyncSession, actor: Principal, incident: Incident, agency: Agency, *, reason: str
) -> Referral:
    """A placement in a facility another agency runs: the incident is referred to it (an open referral
    stays as it is), whatever the incident's stage."""
    made = await _open(session, actor, incident, agency, reason=reason, rule=None)
    if made is not None:
        return made
    referral = await session.scalar(
        select(Referral).where(Referral.incident_id == incident.id, Referral.agency_id == agency.id)
    )
    assert referral is not None
    return referral


async def _incident(session: AsyncSession, principal: Principal, incident_id: uuid.UUID) -> Incident:
    return await scoped.find(session, principal, Incident, incident_id)


async def refer(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, agency_id: uuid.UUID, reason: str
) -> Referral:
    incident = await _incident(session, principal, incident_id)
    agency = await agencies.get(session, principal, agency_id)
    require(principal, TRIAGE, "refer incidents")
    if Status(incident.status) not in OPEN_STATUSES or incident.status == Status.received:
        raise Conflict(
            f"incident is {incident.status}; only verified, open incidents are referred",
            current_status=incident.status,
        )
    if not agency.active:
        raise Conflict(f"agency {agency.name} is inactive")
    referral = await _open(session, principal, incident, agency, reason=reason, rule=None)
    if referral is None:
        raise Conflict(f"incident {incident_id} is already referred to {agency.name}")
    return referral


async def for_incident(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID
) -> Sequence[Referral]:
    await _incident(session, principal, incident_id)
    require(principal, READ_INCIDENTS, "read referrals")
    return (
        await session.scalars(
            select(Referral).where(Referral.incident_id == incident_id).order_by(Referral.created_at)
        )
    ).all()


async def cancel(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, reason: str
) -> Referral:
    referral = await scoped.find(session, principal, Referral, referral_id, lock=True)
    require(principal, TRIAGE, "cancel referrals")
    incident = await session.get_one(Incident, referral.incident_id)
    if referral.status in CLOSED:
        raise Conflict(
            f"referral is {referral.status}; it cannot be cancelled", current_status=referral.status
        )
    before = referral.status
    referral.status, referral.cancelled_at = ReferralStatus.cancelled, utcnow()
    referral.updated_at = referral.cancelled_at
    agency = await session.get(Agency, referral.agency_id)
    assert agency is not None
    _record(
        session, principal, referral, agency, incident, "referral.cancelled", before=before, reason=reason
    )
    await follow.referral_answered(session, principal, referral, incident)
    return referral


# ---- the agency's side ---------------------------------------------------------------------------------


async def agency_referrals(
    session: AsyncSession,
    principal: Principal,
    *,
    status: Sequence[str],
    cursor: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[list[tuple[Referral, Incident]], tuple[datetime, uuid.UUID] | None]:
    """The referrals to the caller's agency, newest first, with the incidents they concern."""
    agency = await agencies.agency_of(session, principal)
    q = (
        select(Referral, Incident)
        .join(Incident, Incident.id == Referral.incident_id)
        .where(Referral.agency_id == agency.id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(limit + 1)
    )
    if status:
        q = q.where(Referral.status.in_(list(status)))
    if cursor:
        q = q.where(tuple_(Referral.created_at, Referral.id) < tuple_(*cursor))
    rows = [(r, i) for r, i in (await session.execute(q)).all()]
    page = rows[:limit]
    last = page[-1][0] if len(rows) > limit else None
    return page, (last.created_at, last.id) if last else None


async def agency_referral(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, *, lock: bool = False
) -> tuple[Referral, Incident, Agency]:
    """One referral to the caller's agency; any other is "not found" (it does not confirm it exists)."""
    referral = await scoped.find(session, principal, Referral, referral_id, lock=lock)
    agency = await agencies.agency_of(session, principal)
    if referral.agency_id != agency.id:
        raise scoped.not_found(Referral, referral_id)
    incident = await session.get(Incident, referral.incident_id, with_for_update=lock)
    assert incident is not None
    return referral, incident, agency


async def answer(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, body: AnswerIn
) -> tuple[Referral, Incident, bool]:
    """The agency's answer; returns the referral, its incident and whether the incident was resolved by it
    (the caller, app/services/dispatch.py, then releases the crew). Sending the answer it already gave
    again changes nothing (its systems retry)."""
    referral, incident, agency = await agency_referral(session, principal, referral_id, lock=True)
    done = _apply(session, principal, referral, incident, agency, body)
    await follow.referral_answered(session, principal, referral, incident)
    return done


async def answer_on_behalf(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, body: AnswerOnBehalfIn
) -> tuple[Referral, Incident, bool]:
    """An agency's answer that reached the console another way (by phone, in person, a letter, a message),
    recorded by an operator or supervisor of the incident's region on its behalf: the same states and
    checks as the agency's own answer, marked on the timeline as recorded on behalf, how it came and from
    whom."""
    referral = await scoped.find(session, principal, Referral, referral_id, lock=True)
    require(principal, TRIAGE, "record an agency's answer")
    incident = await session.get_one(Incident, referral.incident_id, with_for_update=True)
    agency = await session.get_one(Agency, referral.agency_id)
    answer = AnswerIn(status=body.status, note=body.note, reason=body.reason, outcome=body.outcome)
    on_behalf: dict[str, object] = {
        "on_behalf": True,
        "received_via": body.received_via,
        "contact": body.contact,
    }
    done = _apply(session, principal, referral, incident, agency, answer, on_behalf)
    await follow.referral_answered(session, principal, referral, incident, on_behalf)
    return done


def _apply(
    session: AsyncSession,
    principal: Principal,
    referral: Referral,
    incident: Incident,
    agency: Agency,
    body: AnswerIn,
    on_behalf: dict[str, object] | None = None,
) -> tuple[Referral, Incident, bool]:
    if body.status == referral.status:
        return referral, incident, False
    allowed = ANSWERS[ReferralStatus(referral.status)]
    if body.status not in allowed:
        raise InvalidTransition(
            f"referral is {referral.status}; it cannot become {body.status}",
            current_status=referral.status,
            allowed=sorted(allowed),
        )
    if body.status == ReferralStatus.declined and not body.reason:
        raise Unprocessable("a reason is required to decline", field="body.reason")
    now = utcnow()
    before = referral.status
    referral.status, referral.updated_at = body.status, now
    setattr(referral, f"{body.status}_at", now)
    if body.status == ReferralStatus.accepted and referral.acknowledged_at is None:
        referral.acknowledged_at = now
    referral.answer_note = body.note
    if body.status == ReferralStatus.declined:
        referral.decline_reason = body.reason
    if body.status == ReferralStatus.completed:
        referral.outcome = body.outcome
    _record(
        session,
        principal,
        referral,
        agency,
        incident,
        f"referral.{body.status}",
        before=before,
        note=body.note,
        reason=body.reason,
        outcome=body.outcome,
        **(on_behalf or {}),
    )
    current = Status(incident.status)
    if (
        body.status == ReferralStatus.completed
        and referral.completes_incident
        and body.outcome is not None
        and lifecycle.can_transition(current, Status.resolved)
    ):
        move(
            session,
            principal,
            incident,
            Status.resolved,
            reason=f"{agency.name}: referral completed",
            extra={"outcome": body.outcome, "referral_id": str(referral.id)},
        )
        incident.outcome = body.outcome
        return referral, incident, True
    return referral, incident, False
