"""Match proposals when a report arrives: the likely existing persons for what a report says of its
subject, scored as on demand (links.py), stored, and told on the incident's timeline.

Intake never waits for this and cannot fail because of it: a reader of the event log takes each
`report.received` after its commit (the scheduler's pass on every worker; the reader's place is row 2 of
`outbox_cursor`, taken with SKIP LOCKED, so two workers never read the same events and a crash reads them
again). The operator answers through the subject: confirming a proposal links the report's subject (made
from the report when it has none yet) to the person, rejecting it is the subject's rejection."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.errors import NotFound
from app.models import (
    AuditEntry,
    Event,
    Incident,
    IncidentSubject,
    MatchProposal,
    MatchRejection,
    OutboxCursor,
    Person,
    Report,
)
from app.models.base import utcnow
from app.persons import match
from app.schemas.persons import ProposalOut, SubjectsIn
from app.services import events, incidents
from app.services.access import TRIAGE, Principal, require
from app.services.persons import links, records, subjects

log = logging.getLogger("tanggap.persons.proposals")

CURSOR = 2
BATCH = 200
PROPOSED = "subject.matches_proposed"


def wants_proposals(report: Report) -> bool:
    """A report says something of one human: a name or NIK, or a single subject (place, sex, age and the
    description may still find him). A crowd without names (a raid, a disaster) has nothing to match."""
    return bool(report.subject_name or report.subject_nik or report.subject_count == 1)


def seen_of_report(report: Report) -> match.Seen:
    lo, hi = match.birth_years(report.subject_age, report.received_at.date())
    seen = match.Seen(
        names=(report.subject_name,) if report.subject_name else (),
        nik=report.subject_nik,
        sex=report.subject_sex or "unknown",
        birth_year_min=lo,
        birth_year_max=hi,
        region_code=report.region_code,
        lat=report.lat,
        lon=report.lon,
        description=report.description,
    )
    return match.with_nik(seen, report.received_at.date())


async def propose_for(session: AsyncSession, report: Report, incident: Incident) -> list[MatchProposal]:
    """Scores the persons of the report's kab/kota against it and keeps the best (none already a subject
    of this incident); one event when there are any."""
    seen = seen_of_report(report)
    # The persons already subjects of this incident are left out by the same statement.
    found = await links.candidates(session, records.regency(incident.region_code), seen, not_in=incident.id)
    best = links.rank(seen, found, skip=set())
    now = utcnow()
    made = [
        MatchProposal(
            id=uuid.uuid4(),
            report_id=report.id,
            incident_id=incident.id,
            person_id=cand.id,
            score=scored.score,
            strength=match.strength(scored.score),
            reasons=scored.reasons,
            proposed_at=now,
        )
        for cand, scored in best
    ]
    session.add_all(made)
    if made:
        top = made[0]
        # Counts and scores only: the event reaches live streams, never names or numbers of a person.
        events.record(
            session,
            PROPOSED,
            actor=events.SYSTEM,
            incident_id=incident.id,
            region_code=incident.region_code,
            data={
                "report_id": str(report.id),
                "proposals": len(made),
                "checked": len(found),
                "best_score": top.score,
                "strength": top.strength,
                "strong": sum(1 for p in made if p.score >= match.STRONG),
                "nik_match": top.score >= 1.0,
            },
        )
    return made


async def run(maker: async_sessionmaker[AsyncSession]) -> int:
    """Proposes for the reports that arrived since the last pass; returns how many reports were matched.
    A report whose matching fails is logged and left (intake already has it; an operator can ask again)."""
    async with unit_of_work(maker) as session:
        cursor = await session.scalar(
            select(OutboxCursor).where(OutboxCursor.id == CURSOR).with_for_update(skip_locked=True)
        )
        if cursor is None:  # another worker is at it
            return 0
        batch = select(Event.seq).where(Event.seq > cursor.seq).order_by(Event.seq).limit(BATCH).subquery()
        read, last = (await session.execute(select(func.count(), func.max(batch.c.seq)))).one()
        if not read:
            return 0
        arrived = [
            uuid.UUID(str(data["report_id"]))
            for data in await session.scalars(
                select(Event.data)
                .where(Event.seq > cursor.seq, Event.seq <= last, Event.type == "report.received")
                .order_by(Event.seq)
            )
        ]
        cursor.seq = last
        reports = {r.id: r for r in await session.scalars(select(Report).where(Report.id.in_(arrived)))}
        wanted = [reports[i] for i in arrived if i in reports and wants_proposals(reports[i])]
        found = {
            i.id: i
            for i in await session.scalars(
                select(Incident).where(Incident.id.in_({r.incident_id for r in wanted}))
            )
        }
        done = 0
        for report in wanted:
            # Every await of propose_for reads; its writes come last and cannot fail half-way.
            try:
                await propose_for(session, report, found[report.incident_id])
                done += 1
            except Exception:
                log.exception("match proposals for report %s failed", report.id)
        return done


StateLiteral = Literal["open", "confirmed", "rejected"]


async def merged_family(session: AsyncSession, incident_id: uuid.UUID) -> list[uuid.UUID]:
    """The incident and every incident merged into it, however deep (a merge moves the proposals over; a
    proposal the log's reader wrote for a report while its incident was being merged is found this way)."""
    family, frontier = [incident_id], [incident_id]
    while frontier:
        frontier = list(
            await session.scalars(select(Incident.id).where(Incident.merged_into_id.in_(frontier)))
        )
        family += [i for i in frontier if i not in family]
    return family


# A proposed person shown again to the same user on the same incident within this time is not audited
# again: the entry already says who saw him, where and since when (see _audit_shown).
AUDIT_COALESCE = timedelta(hours=1)


async def _audit_shown(
    session: AsyncSession, principal: Principal, incident: Incident, people: list[Person]
) -> None:
    """Audits the proposed persons shown (masked), one entry per person, so that his subject-access export
    and the audit search by person find them; a person this user already saw proposed on this incident in
    the last AUDIT_COALESCE is not audited again (an incident page looked at all afternoon would otherwise
    write a row per person per refresh, and drown the reads that matter)."""
    purpose = f"match proposal (incident {incident.id})"
    recent = set(
        await session.scalars(
            select(AuditEntry.entity_id).where(
                AuditEntry.entity_id.in_([p.id for p in people]),
                AuditEntry.actor_id == principal.user_id,
                AuditEntry.action == "read",
                AuditEntry.purpose == purpose,
                AuditEntry.at >= utcnow() - AUDIT_COALESCE,
            )
        )
    )
    for person in people:
        if person.id not in recent:
            records.audit_read(session, principal, person, reveal=False, purpose=purpose)


async def for_incident(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID
) -> list[ProposalOut]:
    """The incident's proposals (with those of the incidents merged into it), one per person at his best
    score, best first, with each person's history and what the operator answered (through the subjects
    made from the reports). Persons since merged, anonymised or out of reach are left out. The persons
    shown are audited as read (_audit_shown)."""
    incident = await incidents.get_visible(session, principal, incident_id)
    require(principal, TRIAGE, "see match proposals")
    family = await merged_family(session, incident.id)
    rows = (
        await session.execute(
            select(MatchProposal, Person)
            .join(Person, Person.id == MatchProposal.person_id)
            .where(
                MatchProposal.incident_id.in_(family),
                Person.merged_into_id.is_(None),
                Person.anonymised_at.is_(None),
                *[c for c in [records.in_scope(Person.region_code, principal)] if c is not None],
            )
            .order_by(MatchProposal.score.desc(), MatchProposal.proposed_at, MatchProposal.id)
        )
    ).all()
    if not rows:
        return []
    subject_rows = await session.execute(
        select(
            IncidentSubject.report_id, IncidentSubject.ordinal, IncidentSubject.id, IncidentSubject.person_id
        )
        .where(IncidentSubject.incident_id == incident.id, IncidentSubject.report_id.is_not(None))
        .order_by(IncidentSubject.ordinal)
    )
    first: dict[uuid.UUID | None, tuple[int | None, uuid.UUID | None, uuid.UUID | None]] = {}
    for report_id, ordinal, subject_id, person_id in subject_rows:
        first.setdefault(report_id, (ordinal, subject_id, person_id))
    rejected = {
        (subject_id, person_id)
        for subject_id, person_id in await session.execute(
            select(MatchRejection.subject_id, MatchRejection.person_id).where(
                MatchRejection.subject_id.in_([s for _, s, _ in first.values() if s is not None])
            )
        )
    }
    # Each person once, at his best score; what was answered through any of his proposals counts.
    best: dict[uuid.UUID, tuple[MatchProposal, Person]] = {}
    states: dict[uuid.UUID, set[str]] = {}
    for proposal, person in rows:
        best.setdefault(person.id, (proposal, person))
        _, made_id, linked = first.get(proposal.report_id, (None, None, None))
        if linked == person.id:
            states.setdefault(person.id, set()).add("confirmed")
        elif (made_id, person.id) in rejected:
            states.setdefault(person.id, set()).add("rejected")
    shown = list(best.values())
    history = await records.histories(session, list(best))
    await _audit_shown(session, principal, incident, [p for _, p in shown])
    out = []
    for proposal, person in shown:
        made_as = first.get(proposal.report_id, (None, None, None))[0]
        answered = states.get(person.id, set())
        state: StateLiteral = (
            "confirmed" if "confirmed" in answered else "rejected" if "rejected" in answered else "open"
        )
        out.append(
            ProposalOut(
                id=proposal.id,
                report_id=proposal.report_id,
                ordinal=made_as,
                person=records.render(person, reveal=False),
                score=proposal.score,
                strength=proposal.strength,
                reasons=proposal.reasons,
                proposed_at=proposal.proposed_at,
                state=state,
                history=[h for h in history[person.id] if h.incident_id not in family],
            )
        )
    return out


async def subject_of(
    session: AsyncSession, principal: Principal, incident: Incident, report_id: uuid.UUID
) -> IncidentSubject:
    """The subject the report told of: its first subject made from that report, or a new one made from it."""
    subject = await session.scalar(
        select(IncidentSubject)
        .where(IncidentSubject.incident_id == incident.id, IncidentSubject.report_id == report_id)
        .order_by(IncidentSubject.ordinal)
        .limit(1)
    )
    if subject is not None:
        return subject
    made = await subjects.add(session, principal, incident.id, SubjectsIn(from_report_id=report_id))
    return made[0]


async def answer(
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    proposal_id: uuid.UUID,
    *,
    confirm: bool,
    reason: str | None = None,
) -> IncidentSubject:
    """Confirm (link the report's subject to the person) or reject a proposal; returns the subject."""
    incident = await incidents.get_visible(session, principal, incident_id)
    require(principal, TRIAGE, "answer match proposals")
    # A proposal of an incident merged into this one is answered here (its report is this incident's now).
    proposal = await session.scalar(
        select(MatchProposal).where(
            MatchProposal.id == proposal_id,
            MatchProposal.incident_id.in_(await merged_family(session, incident.id)),
        )
    )
    if proposal is None:
        raise NotFound(f"usulan {proposal_id} tidak ditemukan di insiden ini (not found)")
    subject = await subject_of(session, principal, incident, proposal.report_id)
    if confirm:
        await links.confirm(session, principal, incident.id, subject.ordinal, proposal.person_id)
    else:
        await links.reject(session, principal, incident.id, subject.ordinal, proposal.person_id, reason)
    return subject
