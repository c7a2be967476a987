"""Incidents: reading (scoped, masked, audited), triage and the lifecycle."""

from __future__ import annotations

import base64
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, and_, cast, exists, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app import identity
from app.dispatch import fourct, lifecycle
from app.dispatch import reasons as dispatch_reasons
from app.dispatch.lifecycle import OPEN_STATUSES, TRIAGE_STATUSES, Status
from app.dispatch.priority import default_priority
from app.errors import Conflict, InvalidTransition, NotFound, Unprocessable
from app.facilities.kinds import PlacementStatus
from app.family.vocab import REPATRIATION_OPEN
from app.models import (
    Assessment,
    CrewMember,
    Event,
    Handover,
    Incident,
    IncidentNote,
    IncidentSubject,
    MatchProposal,
    MatchRejection,
    Offer,
    PersonLink,
    Personnel,
    Placement,
    Repatriation,
    Report,
    Role,
    TracingContact,
)
from app.models.base import utcnow
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.schemas.common import bounded
from app.schemas.incidents import (
    DuplicateCandidate,
    EventOut,
    FourCT,
    IncidentDetail,
    IncidentListItem,
    IncidentPatch,
    IncidentSummary,
    LocationPatch,
    MergeIn,
    RejectIn,
    TransitionIn,
)
from app.schemas.reports import LocationOut, ReporterOut, ReportOut, SubjectOut
from app.schemas.triage import SuggestionOut
from app.services import audit, episodes, events, scoped, timers
from app.services.access import (
    READ_INCIDENTS,
    SEE_PERSONAL_DATA,
    TRANSITIONS_BY_ROLE,
    TRIAGE,
    Principal,
    in_region,
    require,
)
from app.services.intake import absorb, personal_fields

DUPLICATE_RADIUS_M = 300.0
DUPLICATE_WINDOW = timedelta(hours=24)
EARTH_RADIUS_M = 6_371_000.0


# ---- reading -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncidentFilters:
    status: Sequence[Status] = ()
    category: str | None = None
    priority: int | None = None
    region: str | None = None
    channel: str | None = None
    created_since: datetime | None = None
    created_until: datetime | None = None
    # 4CT: breached any of these stages ("any": any stage); the next unmet deadline before this instant.
    breached: Sequence[str] = ()
    deadline_before: datetime | None = None


def four_ct_of(incident: Incident) -> FourCT:
    """The 4CT stamps, deadlines (the team's targets, held in memory: no query) and breached stages."""
    return FourCT(
        found_at=incident.found_at,
        responded_at=incident.responded_at,
        acted_at=incident.acted_at,
        completed_at=incident.completed_at,
        breached=incident.four_ct_breaches or [],
        deadlines={
            s.name: at
            for s, at in fourct.deadlines(
                incident.priority, incident.first_received_at, timers.targets_for(incident.region_code)
            ).items()
        },
    )


def list_item(incident: Incident) -> IncidentListItem:
    return IncidentListItem(
        **IncidentSummary.model_validate(incident).model_dump(), four_ct=four_ct_of(incident)
    )


def breached_any(stages: Sequence[str]) -> ColumnElement[bool]:
    """Incidents that breached any of these stages ("any": at least one). The stages list is JSON on both
    databases; its text holds each name in quotes, and no stage name is part of another."""
    text_of = cast(Incident.four_ct_breaches, String)
    if "any" in stages:
        return and_(Incident.four_ct_breaches.is_not(None), text_of.like('%"%'))
    return or_(*(text_of.like(f'%"{stage}"%') for stage in stages))


def _encode_cursor(values: list[str | int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, order: str) -> tuple[int | None, datetime, uuid.UUID]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        # A cursor is the client's text: bounded like any query parameter, so a forged one is a 422, not a
        # 500 from the database (a priority beyond 64 bits, a year 9999 with an offset).
        if order == "priority":
            priority = int(raw[0])
            if not 1 <= priority <= 4:
                raise ValueError("priority out of range")
            return priority, bounded(datetime.fromisoformat(raw[1])), uuid.UUID(raw[2])
        return None, bounded(datetime.fromisoformat(raw[0])), uuid.UUID(raw[1])
    except (ValueError, TypeError, IndexError, json.JSONDecodeError) as exc:
        raise Unprocessable(
            "invalid cursor; pass next_cursor of the previous page", field="query.cursor"
        ) from exc


async def list_incidents(
    session: AsyncSession,
    principal: Principal,
    filters: IncidentFilters,
    *,
    order: str,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Incident], str | None]:
    require(principal, READ_INCIDENTS, "list incidents")
    q = select(Incident)
    if principal.region_code:
        q = q.where(in_region(Incident.region_code, principal.region_code))
    if filters.region:
        if not (
            principal.sees_region(filters.region) or regions.within(principal.region_code, filters.region)
        ):
            raise NotFound(f"region {filters.region} is outside your region")
        q = q.where(in_region(Incident.region_code, filters.region))
    if filters.status:
        q = q.where(Incident.status.in_(list(filters.status)))
    if filters.category:
        q = q.where(Incident.category == filters.category)
    if filters.priority:
        q = q.where(Incident.priority == filters.priority)
    if filters.created_since:
        q = q.where(Incident.created_at >= filters.created_since)
    if filters.created_until:
        q = q.where(Incident.created_at < filters.created_until)
    if filters.breached:
        q = q.where(breached_any(filters.breached))
    if filters.deadline_before:
        q = q.where(Incident.four_ct_next_due < filters.deadline_before)
    if filters.channel:
        q = q.where(exists().where(Report.incident_id == Incident.id, Report.channel == filters.channel))
    if order == "priority":
        q = q.order_by(Incident.priority, Incident.created_at, Incident.id)
        if cursor:
            p, created, last_id = _decode_cursor(cursor, order)
            q = q.where(
                tuple_(Incident.priority, Incident.created_at, Incident.id) > tuple_(p, created, last_id)
            )
    else:
        q = q.order_by(Incident.created_at.desc(), Incident.id.desc())
        if cursor:
            _, created, last_id = _decode_cursor(cursor, order)
            q = q.where(tuple_(Incident.created_at, Incident.id) < tuple_(created, last_id))
    rows = (await session.scalars(q.limit(limit + 1))).all()
    page, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more:
        last = page[-1]
        key: list[str | int] = [last.created_at.isoformat(), str(last.id)]
        next_cursor = _encode_cursor([last.priority, *key] if order == "priority" else key)
    return page, next_cursor


async def get_visible(
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    *,
    lock: bool = False,
    with_reports: bool = False,
) -> Incident:
    q = select(Incident).where(Incident.id == incident_id)
    if with_reports:
        q = q.options(selectinload(Incident.reports))
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    incident = await session.scalar(q)
    # Out of reach is "not found": it does not even confirm that the incident exists.
    if incident is None or not await scoped.reaches(session, principal, incident):
        raise scoped.not_found(Incident, incident_id)
    return incident


def render_report(report: Report, *, reveal: bool) -> ReportOut:
    def m(value: str | None, mask: identity.Masker) -> str | None:
        return value if reveal else mask(value)

    return ReportOut(
        id=report.id,
        incident_id=report.incident_id,
        channel=report.channel,
        received_at=report.received_at,
        created_at=report.created_at,
        category=report.category,
        description=report.description,
        reporter=ReporterOut(
            name=m(report.reporter_name, identity.mask_name),
            phone=m(report.reporter_phone, identity.mask_phone),
            anonymous=report.reporter_anonymous,
        ),
        location=LocationOut(
            lat=report.lat,
            lon=report.lon,
            region_code=report.region_code,
            address=report.address,
            landmark=report.landmark,
        ),
        subject=SubjectOut(
            count=report.subject_count,
            approx_age=report.subject_age,
            sex=report.subject_sex,
            flags=report.subject_flags,
            name=m(report.subject_name, identity.mask_name),
            nik=m(report.subject_nik, identity.mask_nik),
        ),
        external_ref=report.external_ref,
        tracking_code=report.tracking_code,
        suggestion=SuggestionOut.model_validate(report.suggestion) if report.suggestion else None,
    )


async def assigned_to_caller(session: AsyncSession, principal: Principal, incident_id: uuid.UUID) -> bool:
    """Whether the caller is a member of the crew working this incident now (an accepted, unreleased offer):
    that crew sees the reporter's and the subject's contact in full, and only while it works the case."""
    if principal.role != Role.crew:
        return False
    member = await session.scalar(
        select(Offer.id)
        .join(CrewMember, CrewMember.crew_id == Offer.crew_id)
        .join(Personnel, Personnel.id == CrewMember.personnel_id)
        .where(
            Offer.incident_id == incident_id,
            Offer.status == "accepted",
            Personnel.user_id == principal.user_id,
            Personnel.active,
        )
        .limit(1)
    )
    return member is not None


def _timeline_entry(event: Event, *, staff: bool) -> EventOut:
    out = EventOut.model_validate(event)
    return out if staff else out.model_copy(update={"data": events.narrowed(out.data)})


async def get_detail(session: AsyncSession, principal: Principal, incident_id: uuid.UUID) -> IncidentDetail:
    incident = await get_visible(session, principal, incident_id, with_reports=True)
    require(principal, READ_INCIDENTS, "read incidents")
    assigned = await assigned_to_caller(session, principal, incident.id)
    reveal = principal.role in SEE_PERSONAL_DATA or assigned
    if reveal:
        for r in incident.reports:
            audit.record(
                session,
                principal,
                action="read",
                entity_type="report",
                entity_id=r.id,
                fields=personal_fields(r),
                region_code=r.region_code,
                purpose="assigned crew" if assigned else "incident detail",
            )
    timeline = await events.timeline(session, incident.id)
    duplicates = await likely_duplicates(session, incident)
    return IncidentDetail(
        **IncidentSummary.model_validate(incident).model_dump(),
        priority_source=incident.priority_source,
        priority_reasons=incident.priority_reasons,
        address=incident.address,
        landmark=incident.landmark,
        verified_at=incident.verified_at,
        dispatched_at=incident.dispatched_at,
        four_ct=four_ct_of(incident),
        rejection_reason=incident.rejection_reason,
        outcome=incident.outcome,
        reports=[render_report(r, reveal=reveal) for r in incident.reports],
        timeline=[_timeline_entry(e, staff=principal.role in TRIAGE) for e in timeline],
        episodes=episodes.of(incident, timeline),
        likely_duplicates=duplicates,
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


async def likely_duplicates(session: AsyncSession, incident: Incident) -> list[DuplicateCandidate]:
    """Open incidents of the same (or an unknown) category, within DUPLICATE_RADIUS_M or in the same
    desa/kelurahan, first reported within 24 h of this one."""
    regency = ".".join(incident.region_code.split(".")[:2])
    q = select(Incident).where(
        Incident.id != incident.id,
        Incident.status.in_(list(OPEN_STATUSES)),
        in_region(Incident.region_code, regency),
        Incident.first_received_at >= incident.first_received_at - DUPLICATE_WINDOW,
        Incident.first_received_at <= incident.first_received_at + DUPLICATE_WINDOW,
    )
    if incident.category != "unknown":
        q = q.where(Incident.category.in_([incident.category, "unknown"]))
    near: list[ColumnElement[bool]] = []
    if incident.lat is not None and incident.lon is not None:
        dlat = DUPLICATE_RADIUS_M / 111_000
        dlon = dlat / max(math.cos(math.radians(incident.lat)), 0.01)
        near.append(
            Incident.lat.between(incident.lat - dlat, incident.lat + dlat)
            & Incident.lon.between(incident.lon - dlon, incident.lon + dlon)
        )
    village = regions.is_village(incident.region_code)
    if village:
        near.append(Incident.region_code == incident.region_code)
    if not near:
        return []
    found: list[DuplicateCandidate] = []
    for other in (await session.scalars(q.where(or_(*near)).limit(50))).all():
        d = None
        if None not in (incident.lat, incident.lon, other.lat, other.lon):
            d = distance_m(incident.lat, incident.lon, other.lat, other.lon)  # type: ignore[arg-type]
        same_village = village and other.region_code == incident.region_code
        if same_village or (d is not None and d <= DUPLICATE_RADIUS_M):
            found.append(
                DuplicateCandidate(
                    id=other.id,
                    status=Status(other.status),
                    category=other.category,
                    priority=other.priority,
                    region_code=other.region_code,
                    distance_m=None if d is None else round(d, 1),
                    same_village=same_village,
                    created_at=other.created_at,
                )
            )
    found.sort(key=lambda c: (c.distance_m if c.distance_m is not None else DUPLICATE_RADIUS_M, c.created_at))
    return found[:10]


# ---- triage and lifecycle -----------------------------------------------------------------------------


def move(
    session: AsyncSession,
    principal: Principal | str,
    incident: Incident,
    target: Status,
    *,
    reason: str | None,
    extra: dict[str, object] | None = None,
    crew_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> None:
    """Moves an incident to `target` and stamps the 4CT stages it reaches (never a stage already stamped:
    the first time stays). `at` is when it happened, if earlier than now (a crew's step sent later)."""
    current = Status(incident.status)
    if not lifecycle.can_transition(current, target):
        raise InvalidTransition(
            f"insiden berstatus {current}; tidak bisa menjadi {target}",
            current_status=current,
            allowed=sorted(lifecycle.TRANSITIONS[current]),
        )
    now = utcnow()
    when = min(at, now) if at is not None else now
    incident.status = target
    incident.updated_at = now
    if target == Status.verified and incident.verified_at is None:
        incident.verified_at = now
    if target == Status.dispatched and incident.dispatched_at is None:
        incident.dispatched_at = now
    stamped = []
    for stage in lifecycle.stages_reached(target):
        if getattr(incident, stage.value) is None:
            # Never before the first report (a phone's clock may be off within the skew allowed).
            setattr(incident, stage.value, max(when, incident.first_received_at))
            stamped.append(stage.name)
    data: dict[str, object] = {
        **events.change(current, target),
        "reason": reason,
        **dispatch_reasons.why("reason", reason),
        **(extra or {}),
    }
    if stamped:
        data["four_ct"] = stamped
    if at is not None:
        data["client_at"] = at.isoformat()
    timers.refresh(incident)
    events.record(
        session,
        "incident.status_changed",
        actor=principal,
        incident_id=incident.id,
        crew_id=crew_id or incident.assigned_crew_id,
        region_code=incident.region_code,
        data=data,
    )


async def verify(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, note: str | None
) -> Incident:
    incident = await get_visible(session, principal, incident_id, lock=True)
    require(principal, TRIAGE, "verify incidents")
    move(session, principal, incident, Status.verified, reason=note)
    return incident


async def relocate(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: LocationPatch
) -> Incident:
    """A corrected place (the caller named the wrong kelurahan, the pin was off): within the incident's own
    kab/kota, while it is open; the timeline keeps where it was before."""
    incident = await get_visible(session, principal, incident_id, lock=True)
    require(principal, TRIAGE, "correct an incident's place")
    if incident.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"insiden berstatus {incident.status}; hanya insiden terbuka yang dipindah lokasinya",
            current_status=incident.status,
        )
    regency = ".".join(incident.region_code.split(".")[:2])
    if body.region_code is not None and (
        not regions.within(body.region_code, regency) or not principal.sees_region(body.region_code)
    ):
        raise Conflict(
            f"wilayah {body.region_code} di luar kab/kota {regency}: kasus kab/kota lain dirujuk, "
            "tidak dipindah (refer it to that kab/kota instead)"
        )
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    before = {name: getattr(incident, name) for name in changes}
    if before == changes:
        return incident
    for name, value in changes.items():
        setattr(incident, name, value)
    incident.updated_at = utcnow()
    events.record(
        session,
        "incident.location_changed",
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={"before": before, "after": changes, "reason": body.reason},
    )
    return incident


async def reject(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: RejectIn
) -> Incident:
    incident = await get_visible(session, principal, incident_id, lock=True)
    require(principal, TRIAGE, "reject incidents")
    if incident.status not in TRIAGE_STATUSES:
        raise InvalidTransition(
            f"incident is {incident.status}; only received or verified incidents are rejected",
            current_status=incident.status,
        )
    move(session, principal, incident, Status.rejected, reason=body.note, extra={"rejection": body.reason})
    incident.rejection_reason = body.reason
    return incident


async def transition(
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    body: TransitionIn,
    *,
    at: datetime | None = None,
) -> Incident:
    """The incident's lifecycle by hand. Reopening a resolved incident is a supervisor's act, with a reason;
    the first 4CT stamps stay (the timeline keeps both). Moving to dispatched by hand says someone was sent
    outside Tanggap; a crew is dispatched with POST .../dispatch."""
    incident = await get_visible(session, principal, incident_id, lock=True)
    require(principal, TRANSITIONS_BY_ROLE[body.to], f"move incidents to {body.to}")
    target = Status(body.to)
    if target == Status.resolved and body.outcome is None:
        raise Unprocessable("an outcome is required to resolve an incident", field="outcome")
    if target in (Status.cancelled, Status.received) and not body.reason:
        raise Unprocessable(f"a reason is required to move an incident to {target}", field="reason")
    if target == Status.received and incident.merged_into_id is not None:
        raise Conflict(
            f"a merged incident cannot be reopened; its reports now belong to {incident.merged_into_id}",
            current_status=incident.status,
        )
    if target == Status.closed:
        # Tuntas means every person of the case has an outcome (when the case lists its subjects).
        waiting = (
            await session.scalars(
                select(IncidentSubject.ordinal)
                .where(IncidentSubject.incident_id == incident.id, IncidentSubject.outcome.is_(None))
                .order_by(IncidentSubject.ordinal)
            )
        ).all()
        if waiting:
            raise Conflict(
                "subjek " + ", ".join(map(str, waiting)) + " belum punya hasil: catat hasil tiap subjek "
                "(POST /incidents/{id}/subjects/{n}/outcome), insiden tertutup dengan hasil terakhir",
                current_status=incident.status,
            )
    reopening = incident.status == Status.resolved and target == Status.handling
    if reopening:
        require(principal, (Role.admin, Role.supervisor), "reopen a resolved incident")
        if not body.reason:
            raise Unprocessable("membuka kembali insiden perlu alasan", field="reason")
    move(
        session,
        principal,
        incident,
        target,
        reason=body.reason,
        extra={"outcome": body.outcome} if body.outcome else None,
        at=at,
    )
    if reopening:
        episodes.start(session, principal, incident, body.reason)
    if target == Status.resolved:
        incident.outcome = body.outcome
    if target == Status.received:
        incident.rejection_reason = None
    return incident


async def patch(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: IncidentPatch
) -> Incident:
    incident = await get_visible(session, principal, incident_id, lock=True)
    require(principal, TRIAGE, "change incidents")
    if body.category is None and body.priority is None:
        raise Unprocessable("give a category or a priority to change", field="category")
    if incident.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"incident is {incident.status}; only open incidents change", current_status=incident.status
        )
    now = utcnow()
    if body.category is not None and body.category != incident.category:
        events.record(
            session,
            "incident.category_changed",
            actor=principal,
            incident_id=incident.id,
            region_code=incident.region_code,
            data={**events.change(incident.category, body.category), "reason": body.reason},
        )
        incident.category = body.category
        if body.priority is None and incident.priority_source == "rules":
            decision = default_priority(
                category_priority=CATEGORIES[incident.category].default_priority,
                category=incident.category,
                flags=incident.subject_flags,
                approx_age=incident.subject_age,
            )
            _set_priority(
                session, principal, incident, decision.priority, "rules", list(decision.reasons), body.reason
            )
    if body.priority is not None:
        _set_priority(
            session,
            principal,
            incident,
            body.priority,
            "manual",
            [f"set by {principal.username}"],
            body.reason,
        )
    incident.updated_at = now
    return incident


def _set_priority(
    session: AsyncSession,
    principal: Principal,
    incident: Incident,
    priority: int,
    source: str,
    reasons: list[str],
    why: str,
) -> None:
    if priority != incident.priority:
        events.record(
            session,
            "incident.priority_changed",
            actor=principal,
            incident_id=incident.id,
            region_code=incident.region_code,
            data={**events.change(incident.priority, priority), "source": source, "reason": why},
        )
    incident.priority, incident.priority_source, incident.priority_reasons = priority, source, reasons
    timers.refresh(incident)


# The rows that hang off a subject (by its id) and carry its incident's id too: they follow him.
_SUBJECT_ROWS: tuple[type[Assessment | Placement | TracingContact | Handover | Repatriation], ...] = (
    Assessment,
    Placement,
    TracingContact,
    Handover,
    Repatriation,
)
_NO_SYNC = {"synchronize_session": False}


async def _move_subjects(
    session: AsyncSession, principal: Principal, source: Incident, target: Incident
) -> dict[str, list[dict[str, int]]]:
    """The merged incident's subjects go to the kept one, numbered after its own; their assessments,
    placements, tracing, handovers, repatriations and links follow (same subject ids, the kept incident's
    id). A subject whose person is already a subject of the kept incident is not duplicated: the kept
    subject stays, the rows of the dropped one are re-pointed to it (assessment versions numbered after
    its own), the dropped one's link is closed (as an unlink: its person_id cleared) and the subject row
    stays on the merged incident as its history; his outcome, if the kept one has none, goes to the kept.
    Returns the ordinals moved and collapsed, for the merge event (no names)."""
    moving = list(
        await session.scalars(
            select(IncidentSubject)
            .where(IncidentSubject.incident_id == source.id)
            .order_by(IncidentSubject.ordinal)
            .with_for_update()
        )
    )
    kept = list(
        await session.scalars(
            select(IncidentSubject)
            .where(IncidentSubject.incident_id == target.id)
            .order_by(IncidentSubject.ordinal)
            .with_for_update()
        )
    )
    by_person = {k.person_id: k for k in kept if k.person_id is not None}
    pairs = [(s, by_person[s.person_id]) for s in moving if s.person_id in by_person]
    # Refused before anything changes: two stays or two returns under way for one person.
    for dropped, keep in pairs:
        both = [dropped.id, keep.id]
        stays = select(func.count()).where(
            Placement.subject_id.in_(both), Placement.status == PlacementStatus.active
        )
        returns = select(func.count()).where(
            Repatriation.subject_id.in_(both), Repatriation.status.in_(list(REPATRIATION_OPEN))
        )
        for what, query in (("ditempatkan", stays), ("dalam pemulangan", returns)):
            if (await session.scalar(query) or 0) > 1:
                raise Conflict(
                    f"subjek {dropped.ordinal} insiden {source.id} dan subjek {keep.ordinal} insiden ini "
                    f"orang yang sama dan keduanya sedang {what}: akhiri salah satunya dulu, lalu gabungkan"
                )
    moved: list[dict[str, int]] = []
    collapsed: list[dict[str, int]] = []
    after = max((k.ordinal for k in kept), default=0)
    for subject in moving:
        same = by_person.get(subject.person_id) if subject.person_id is not None else None
        if same is None:
            after += 1
            moved.append({"from": subject.ordinal, "to": after})
            subject.incident_id, subject.ordinal = target.id, after
            for model in (*_SUBJECT_ROWS, PersonLink):
                await session.execute(
                    update(model).where(model.subject_id == subject.id).values(incident_id=target.id),
                    execution_options=_NO_SYNC,
                )
            continue
        keep = same
        collapsed.append({"from": subject.ordinal, "into": keep.ordinal})
        top = await session.scalar(
            select(func.max(Assessment.version)).where(Assessment.subject_id == keep.id)
        )
        await session.execute(
            update(Assessment)
            .where(Assessment.subject_id == subject.id)
            .values(subject_id=keep.id, incident_id=target.id, version=Assessment.version + (top or 0)),
            execution_options=_NO_SYNC,
        )
        for model in _SUBJECT_ROWS[1:]:
            await session.execute(
                update(model)
                .where(model.subject_id == subject.id)
                .values(subject_id=keep.id, incident_id=target.id),
                execution_options=_NO_SYNC,
            )
        # "Not that person" said of the dropped subject holds for the kept one (unless said there too).
        said = select(MatchRejection.person_id).where(MatchRejection.subject_id == keep.id)
        await session.execute(
            update(MatchRejection)
            .where(MatchRejection.subject_id == subject.id, MatchRejection.person_id.not_in(said))
            .values(subject_id=keep.id),
            execution_options=_NO_SYNC,
        )
        await session.execute(
            update(PersonLink)
            .where(PersonLink.subject_id == subject.id, PersonLink.unlinked_at.is_(None))
            .values(
                unlinked_at=utcnow(),
                unlinked_by_id=principal.user_id,
                unlink_reason=f"insiden digabung ke {target.id}: sama dengan subjek {keep.ordinal}",
            ),
            execution_options=_NO_SYNC,
        )
        subject.person_id = None  # as an unlink does: a subject's person is his active link's
        if keep.outcome is None and subject.outcome is not None:
            keep.outcome, keep.outcome_note = subject.outcome, subject.outcome_note
            keep.outcome_at, keep.outcome_by_id = subject.outcome_at, subject.outcome_by_id
            keep.status = subject.status
    await session.flush()
    return {"subjects_moved": moved, "subjects_collapsed": collapsed}


async def merge(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, body: MergeIn
) -> Incident:
    """Merges a duplicate into another open incident: its reports, proposals and subjects move over, it ends
    as rejected/duplicate."""
    await get_visible(session, principal, incident_id)
    require(principal, TRIAGE, "merge incidents")
    if body.into_incident_id == incident_id:
        raise Unprocessable("an incident cannot be merged into itself", field="into_incident_id")
    # Lock both rows in one order, so two opposite merges cannot deadlock.
    first, second = sorted([incident_id, body.into_incident_id])
    locked = {
        i.id: i
        for i in [
            await get_visible(session, principal, first, lock=True),
            await get_visible(session, principal, second, lock=True),
        ]
    }
    source, target = locked[incident_id], locked[body.into_incident_id]
    if source.status not in TRIAGE_STATUSES:
        raise InvalidTransition(
            f"incident is {source.status}; only received or verified incidents are merged",
            current_status=source.status,
        )
    if target.status not in OPEN_STATUSES:
        raise Conflict(
            f"incident {target.id} is {target.status}; merge only into an open incident",
            current_status=target.status,
        )
    reports = (await session.scalars(select(Report).where(Report.incident_id == source.id))).all()
    await session.execute(update(Report).where(Report.incident_id == source.id).values(incident_id=target.id))
    # The match proposals made for those reports follow them (the kept incident shows and answers them).
    await session.execute(
        update(MatchProposal).where(MatchProposal.incident_id == source.id).values(incident_id=target.id),
        execution_options={"synchronize_session": False},
    )
    # His subjects too (the kept incident's tuntas waits for their outcomes).
    shifted = await _move_subjects(session, principal, source, target)
    move(
        session,
        principal,
        source,
        Status.rejected,
        reason=body.note,
        extra={"rejection": "duplicate", "merged_into": str(target.id)},
    )
    source.rejection_reason = "duplicate"
    source.merged_into_id = target.id
    events.record(
        session,
        "incident.merged",
        actor=principal,
        incident_id=target.id,
        region_code=target.region_code,
        data={
            "merged_from": str(source.id),
            "report_ids": [str(r.id) for r in reports],
            "note": body.note,
            **shifted,
        },
    )
    absorb(session, principal, target, list(reports))
    return target


async def add_note(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, text: str
) -> IncidentNote:
    incident = await get_visible(session, principal, incident_id)
    require(principal, (*TRIAGE, *READ_INCIDENTS), "add notes")
    note = IncidentNote(incident_id=incident.id, author_id=principal.user_id, text=text, created_at=utcnow())
    session.add(note)
    await session.flush()
    events.record(
        session,
        "incident.note_added",
        actor=principal,
        incident_id=incident.id,
        crew_id=incident.assigned_crew_id,
        region_code=incident.region_code,
        data={"note_id": str(note.id), "text": text},
    )
    return note
