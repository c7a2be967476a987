"""A crew's steps in the field, and the incident transitions that concern its crew: one state machine
(app/dispatch/crewflow.py). The crew's steps move its incident forward and stamp 4CT (at the phone's time,
when it sends its steps late); its incident's transitions move the crew; the crew is free again only when
it says so after the case is resolved (or when it is relieved: out of service, end of shift, reassigned).
A step the crew has already taken answers like the first time."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.crewflow import (
    CREW_FOR_INCIDENT,
    FINISHED,
    CrewStatus,
    OfferStatus,
    ReleaseReason,
    StepRefused,
    is_behind,
    is_forward,
    plan_step,
)
from app.dispatch.lifecycle import Status
from app.errors import Conflict, Forbidden, Unprocessable
from app.models import Crew, Incident, Role, Team
from app.models.base import utcnow
from app.schemas.crews import StatusIn
from app.schemas.incidents import TransitionIn
from app.services import crews, events, referrals, scoped
from app.services import incidents as incident_service
from app.services.access import TRANSITIONS_BY_ROLE, Principal, require
from app.services.dispatch import engagements, locks
from app.services.dispatch.clienttime import client_time
from app.services.incidents import move


async def _crew_and_regions(
    session: AsyncSession, principal: Principal, crew_id: uuid.UUID
) -> tuple[Crew, Team, list[str]]:
    crew = await scoped.find(session, principal, Crew, crew_id)
    team = await session.get_one(Team, crew.team_id)
    if not await crews.acts_for(session, principal, crew.id):
        raise Forbidden("anggota regu hanya bertindak untuk regunya sendiri")
    regions = [team.region_code]
    job = await engagements.active_offer_of_crew(session, crew.id)
    if job is not None:
        region = await session.scalar(select(Incident.region_code).where(Incident.id == job.incident_id))
        if region:
            regions.append(region)
    return crew, team, regions


async def set_crew_status(
    session: AsyncSession, principal: Principal, crew_id: uuid.UUID, body: StatusIn
) -> Crew:
    """A crew's status from its phone (or the console for it). See crewflow.plan_step for what each does."""
    _, team, regions = await _crew_and_regions(session, principal, crew_id)
    await locks.hold(session, *regions)
    crew = await engagements.locked_crew(session, crew_id)
    assert crew is not None
    job = await engagements.active_offer_of_crew(session, crew.id)
    if job is not None:
        # A job offered between the first read and the locks (mutual aid): its kab/kota is locked too, or
        # the request answers 409 (retry) rather than touching it unlocked.
        region = await session.scalar(select(Incident.region_code).where(Incident.id == job.incident_id))
        await locks.hold(session, region or team.region_code)
    incident = await engagements.locked_incident(session, job.incident_id) if job else None
    job = await engagements.active_offer_of_crew(session, crew.id, lock=True)
    if job is not None and (incident is None or incident.id != job.incident_id):
        raise Conflict("tugas regu berubah saat permintaan diproses; coba lagi", retry_after=1)
    now = utcnow()
    at = client_time(body.at, now, field="body.at")
    target = CrewStatus(body.status)
    if is_behind(CrewStatus(crew.status), target):
        return crew  # a step the crew is already past, sent late or again: it changes nothing
    current = CrewStatus(crew.status)
    try:
        plan = plan_step(
            current,
            target,
            holds_offer=job is not None and job.status == OfferStatus.pending,
            incident=Status(incident.status)
            if job is not None and job.status == OfferStatus.accepted and incident
            else None,
        )
    except StepRefused as refused:
        error = Unprocessable if refused.invalid else None
        if error is not None:
            raise Unprocessable(str(refused), field="body.status") from None
        extra: dict[str, str] = {"reason_code": refused.code}
        if job is not None:
            extra["offer_id" if job.status == OfferStatus.pending else "incident_id"] = str(
                job.id if job.status == OfferStatus.pending else job.incident_id
            )
        raise Conflict(str(refused), current_status=refused.current, **extra) from None
    if plan.unchanged:
        return crew
    before = crew.status
    if plan.withdraw_offer and job is not None and incident is not None:
        engagements.withdraw(
            session,
            principal,
            job,
            crew,
            incident,
            now,
            why=f"regu {target}: {body.reason or ''}".strip(": "),
        )
        await locks.round_due(session, incident.region_code)
    if plan.release is not None and job is not None and incident is not None:
        engagements.release(
            session,
            principal,
            job,
            crew,
            incident,
            now,
            reason=plan.release,
            crew_status=plan.crew_status,
            note=body.reason,
        )
        if plan.release != ReleaseReason.completed:
            await locks.round_due(session, incident.region_code)
    if plan.incident_to is not None and incident is not None:
        move(
            session,
            principal,
            incident,
            plan.incident_to,
            reason=f"{crew.name}: {target}",
            extra={"crew_id": str(crew.id), "crew_step": target},
            crew_id=crew.id,
            at=at,
        )
    crew.status, crew.status_reason, crew.status_at = plan.crew_status, body.reason, now
    events.record(
        session,
        "crew.status_changed",
        actor=principal,
        crew_id=crew.id,
        incident_id=incident.id
        if incident is not None and job is not None and job.status == OfferStatus.accepted
        else None,
        region_code=team.region_code,
        data={
            **events.change(before, plan.crew_status),
            "reason": body.reason,
            "client_at": at.isoformat() if at else None,
        },
    )
    if plan.round_due:
        await locks.round_due(session, team.region_code)
    return crew


async def transition(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: TransitionIn
) -> Incident:
    """Moves an incident along its lifecycle. A crew member moves only his own crew's incident, forward,
    until it is resolved (resolved is final for crews: a supervisor reopens); the crew's status follows.
    Withdrawing (back to verified) or cancelling relieves the crew; resolving does not (it is free when it
    says so)."""
    seen = await incident_service.get_visible(session, principal, incident_id)
    # Before anything answers, even "already there": an agency or a reporter account moves nothing.
    require(principal, TRANSITIONS_BY_ROLE[body.to], f"move incidents to {body.to}")
    job = await engagements.active_offer_of_incident(session, seen.id)
    holder = await session.get(Crew, job.crew_id) if job else None
    holder_region = (
        await session.scalar(select(Team.region_code).where(Team.id == holder.team_id)) if holder else None
    )
    if principal.role == Role.crew:
        if (
            job is None
            or holder is None
            or job.status != OfferStatus.accepted
            or not await crews.acts_for(session, principal, holder.id)
        ):
            raise Forbidden("anggota regu hanya memindahkan insiden yang sedang ditangani regunya")
        if Status(seen.status) in FINISHED:
            raise Forbidden(
                "insiden yang sudah selesai tidak diubah oleh regu; supervisor dapat membukanya kembali"
            )
    await locks.hold(session, seen.region_code, *([holder_region] if holder_region else []))
    crew = await engagements.locked_crew(session, holder.id) if holder else None
    incident = await engagements.locked_incident(session, seen.id)
    assert incident is not None
    job = await engagements.active_offer_of_incident(session, incident.id, lock=True)
    if job is not None and (crew is None or job.crew_id != crew.id):
        raise Conflict("tugas insiden berubah saat permintaan diproses; coba lagi", retry_after=1)
    target = Status(body.to)
    if target == incident.status:
        return incident  # a retried step answers like the first
    if target == Status.dispatched and job is not None:
        raise Conflict(
            "insiden ini sudah ditawarkan atau ditangani regu; pilih regu lain lewat POST "
            f"/incidents/{incident.id}/dispatch",
            current_status=incident.status,
        )
    now = utcnow()
    at = client_time(body.at, now, field="body.at")
    if principal.role == Role.crew and not (
        is_forward(Status(incident.status), target) or target == Status.resolved
    ):
        raise Conflict(
            f"insiden berstatus {incident.status}; regu hanya memajukannya", current_status=incident.status
        )
    if principal.role == Role.crew and (job is None or job.status != OfferStatus.accepted):
        raise Forbidden("anggota regu hanya memindahkan insiden yang sedang ditangani regunya")
    before = Status(incident.status)
    await incident_service.transition(session, principal, incident.id, body, at=at)
    if target == Status.verified:
        # Verified by hand like POST .../verify: referred by the rules (the first time), and in the next
        # round.
        if before == Status.received:
            await referrals.route(session, principal, incident)
        await locks.round_due(session, incident.region_code)
    if job is None or crew is None:
        return incident
    if job.status == OfferStatus.pending and target in (Status.cancelled, Status.rejected, Status.received):
        engagements.withdraw(session, principal, job, crew, incident, now, why=f"insiden {target}")
        await locks.round_due(session, holder_region or incident.region_code)
    elif job.status == OfferStatus.accepted:
        if target in (Status.verified, Status.cancelled, Status.received):
            why = ReleaseReason.cancelled if target == Status.cancelled else ReleaseReason.withdrawn
            engagements.release(session, principal, job, crew, incident, now, reason=why, note=body.reason)
            await locks.round_due(session, holder_region or incident.region_code)
            if target == Status.verified:
                await locks.round_due(session, incident.region_code)
        elif target in CREW_FOR_INCIDENT:
            follows = CREW_FOR_INCIDENT[target]
            if (
                crew.status in (CrewStatus.dispatched, CrewStatus.en_route, CrewStatus.on_scene)
                and crew.status != follows
            ):
                was = crew.status
                crew.status, crew.status_at = follows, now
                events.record(
                    session,
                    "crew.status_changed",
                    actor=principal,
                    crew_id=crew.id,
                    incident_id=incident.id,
                    region_code=holder_region,
                    data={**events.change(was, follows), "reason": f"insiden {target}"},
                )
    return incident
