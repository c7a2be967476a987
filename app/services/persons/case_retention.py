"""Retention of a closed case's personal data (app/persons/retention.py `case_keep_until` says how long):
housekeeping anonymises what the reports and notes of every incident whose time is up say of people (the
reporter's name and phone, the subject's name and NIK, the description and the address, staff notes and
reasons, and the free text its timeline carries; the family tracing contacts' names, phones, addresses and
notes; the handover receipts' receiver; the placements' and repatriations' free text, the assessments'
notes), whether or not a person record was made for it. The coordinates go too (incident and reports):
the reference data has no kecamatan centroid to snap them to, and a point rounded to a grid either still
names a house (110 m, the recurrence cell) or invents clusters at grid corners (1 km) where the
recurrence statistics would count them; without them those statistics fall back to the landmark or the
kelurahan, which stay. The incident's category, places (kelurahan, landmark), times, priority and outcomes
stay: they are the statistics; so do coded answers (a contact's relation, method and result, the receipt
number, the receiver's region). Logged as an event and an audit entry; stamped, so a second run does
nothing.

Safe on every worker at once: the incidents due are claimed with FOR UPDATE SKIP LOCKED; one that has just
reopened is open again and not touched."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.dispatch.lifecycle import OPEN_STATUSES, Status
from app.facilities.kinds import PlacementStatus
from app.models import (
    Assessment,
    Event,
    EventArchive,
    Handover,
    Incident,
    IncidentNote,
    IncidentSubject,
    MatchProposal,
    Placement,
    Repatriation,
    Report,
    TracingContact,
)
from app.persons import retention as rules
from app.services import audit, events
from app.services.persons.retention import BATCH, FREE_TEXT, ended, in_passes

ERASED = rules.ERASED
# Keys of the timeline's data that hold free text or a person's contact (notes, answers by phone).
FREE_KEYS = ("text", "note", "contact", "phone", "destination", "answer_note", "decline_reason", "reason")
PURPOSE = (
    "retensi: masa simpan kasus berakhir, data pelapor, kontak keluarga, koordinat dan teks bebas dianonimkan"
)
ENDED = [s.value for s in Status if s not in OPEN_STATUSES]


async def run(maker: async_sessionmaker[AsyncSession], now: datetime, policy: rules.Policy) -> int:
    """Anonymises the cases due at `now`; returns how many."""
    return await in_passes(maker, now, policy, _pass)


async def _pass(session: AsyncSession, now: datetime, policy: rules.Policy) -> tuple[int, int]:
    # Nothing that changed more recently than the shortest period can be due.
    cutoff = rules.add_years(now, -rules.shortest_years(policy))
    claimed = list(
        await session.scalars(
            select(Incident)
            .where(
                Incident.anonymised_at.is_(None),
                Incident.status.in_(ENDED),
                Incident.updated_at <= cutoff,
                or_(Incident.retention_review_at.is_(None), Incident.retention_review_at <= now),
            )
            .order_by(Incident.updated_at, Incident.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if not claimed:
        return 0, 0
    placed = set(
        await session.scalars(
            select(Placement.incident_id).where(
                Placement.incident_id.in_([i.id for i in claimed]), Placement.status == PlacementStatus.active
            )
        )
    )
    done = 0
    for incident in claimed:
        until = rules.case_keep_until(
            policy,
            incident.category,
            incident.subject_flags,
            incident.subject_age,
            ended(incident.status, incident.completed_at, incident.acted_at, incident.updated_at),
        )
        if incident.id in placed or until is None or until > now:
            # Looked at again when it is due (or in a month, if someone is still placed).
            incident.retention_review_at = until if until and until > now else now + timedelta(days=30)
            continue
        await anonymise(session, incident, now, until)
        done += 1
    return done, len(claimed)


async def anonymise(session: AsyncSession, incident: Incident, now: datetime, until: datetime) -> None:
    """Removes what the case's reports, notes, subjects and timeline say of people; keeps the rows."""
    held = sorted(
        {
            f
            for r in await session.scalars(select(Report).where(Report.incident_id == incident.id))
            for f in ("reporter_name", "reporter_phone", "subject_name", "subject_nik", "address")
            if getattr(r, f)
        }
        | {"description"}
        | ({"coordinates"} if incident.lat is not None else set())
        | {
            f
            for model, f in ((TracingContact, "family_tracing"), (Handover, "handover_receiver"))
            if await session.scalar(select(model.id).where(model.incident_id == incident.id).limit(1))
        }
    )
    for statement in (
        update(Report)
        .where(Report.incident_id == incident.id)
        .values(
            reporter_name=None,
            reporter_phone=None,
            subject_name=None,
            subject_nik=None,
            address=None,
            description=ERASED,
            external_ref=None,
        ),
        update(IncidentNote).where(IncidentNote.incident_id == incident.id).values(text=ERASED),
        # A proposal's reasons quote the names the report gave.
        update(MatchProposal).where(MatchProposal.incident_id == incident.id).values(reasons=[]),
        update(IncidentSubject)
        .where(IncidentSubject.incident_id == incident.id)
        .values(name=None, aliases=[], nik=None, description=None, outcome_note=None),
        update(Report).where(Report.incident_id == incident.id).values(lat=None, lon=None),
        update(TracingContact)
        .where(TracingContact.incident_id == incident.id)
        .values(contact_name=ERASED, phone=None, address=None, note=None),
        update(Handover)
        .where(Handover.incident_id == incident.id)
        .values(
            receiver_name=ERASED, receiver_nik=None, receiver_phone=None, receiver_address=ERASED, note=None
        ),
        update(Repatriation)
        .where(Repatriation.incident_id == incident.id)
        .values(reason=None, answer_note=None),
        update(Placement)
        .where(Placement.incident_id == incident.id)
        .values(note=None, end_note=None, destination=None),
    ):
        await session.execute(statement, execution_options={"synchronize_session": False})
    assessed = await session.scalars(
        select(Assessment)
        .join(IncidentSubject, IncidentSubject.id == Assessment.subject_id)
        .where(IncidentSubject.incident_id == incident.id)
    )
    for a in assessed:
        if any(a.form.get(k) for k in FREE_TEXT):
            a.form = {k: v for k, v in a.form.items() if k not in FREE_TEXT}
    # The archived ones too (`tanggap archive events`).
    hot = await session.scalars(select(Event).where(Event.incident_id == incident.id))
    archived = await session.scalars(select(EventArchive).where(EventArchive.incident_id == incident.id))
    for event in [*hot, *archived]:
        if any(k in event.data for k in FREE_KEYS):
            event.data = {k: (ERASED if k in FREE_KEYS and v else v) for k, v in event.data.items()}
    incident.address = None
    incident.lat = incident.lon = None
    incident.anonymised_at, incident.retention_review_at = now, None
    audit.record(
        session,
        None,
        action="erase",
        entity_type="incident",
        entity_id=incident.id,
        fields=held,
        region_code=incident.region_code,
        purpose=PURPOSE,
        actor_name=events.SYSTEM,
    )
    events.record(
        session,
        "incident.anonymised",
        actor=events.SYSTEM,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "category": incident.category,
            "kept_until": until.isoformat(),
            "message": (
                "masa simpan kasus berakhir: data pelapor, kontak keluarga, penerima serah terima, koordinat"
                " dan teks bebas dianonimkan, statistik tetap"
            ),
        },
    )
