"""Retention of person records (app/persons/retention.py says how long and what stays): the scheduler's
housekeeping anonymises every record whose time is up, logs it (an event and an audit entry) and marks it,
so a second run does nothing.

Safe on every worker at once: a pass claims the persons due for review with FOR UPDATE SKIP LOCKED (two
workers take disjoint sets), then his subjects and the records merged into him the same way; a person one
of whose rows someone else holds (an operator linking, placing, splitting) is left to a later pass rather
than waited for, so the scheduler never waits in a lock order opposite to the request's. Linking, merging
and correcting take the person's lock and refuse an anonymised record; placing takes the subject's."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.dispatch.lifecycle import OPEN_STATUSES, Status
from app.facilities.kinds import PlacementStatus
from app.models import (
    Assessment,
    Handover,
    Incident,
    IncidentSubject,
    MatchProposal,
    MatchRejection,
    Person,
    PersonCorrection,
    PersonKey,
    PersonLink,
    PersonMerge,
    Placement,
    Report,
    TracingContact,
)
from app.persons import retention as rules
from app.services import audit, events

BATCH = 200
# Passes per run at most (the rest waits for the next housekeeping, ten minutes later).
MAX_PASSES = 20
# A person whose rows someone else holds is looked at again after this.
BUSY_RETRY = timedelta(minutes=10)
# Free text of an assessment (coded answers stay: they are the statistics).
FREE_TEXT = ("identity_note", "family_note", "risk_note", "notes")
PURPOSE = "retensi: masa simpan berakhir, identitas dianonimkan"


# One pass: (how many it anonymised, how many it looked at) in one transaction.
Pass = Callable[[AsyncSession, datetime, rules.Policy], Awaitable[tuple[int, int]]]


async def in_passes(
    maker: async_sessionmaker[AsyncSession], now: datetime, policy: rules.Policy, one: Pass
) -> int:
    """Runs `one` a transaction at a time until a pass sees less than a batch (or MAX_PASSES)."""
    done = 0
    for _ in range(MAX_PASSES):
        async with unit_of_work(maker) as session:
            anonymised, seen = await one(session, now, policy)
        done += anonymised
        if seen < BATCH:
            break
    return done


async def run(maker: async_sessionmaker[AsyncSession], now: datetime, policy: rules.Policy) -> int:
    """Anonymises the records due at `now`; returns how many (merged-in records not counted)."""
    return await in_passes(maker, now, policy, _pass)


def ended(
    status: str, completed: datetime | None, acted: datetime | None, updated: datetime
) -> datetime | None:
    if Status(status) in OPEN_STATUSES:
        return None
    if status == Status.closed:
        return completed or updated
    if status == Status.resolved:
        return acted or updated
    return updated


async def _claim(session: AsyncSession, now: datetime) -> list[Person]:
    due = or_(Person.retention_review_at.is_(None), Person.retention_review_at <= now)
    rows = await session.scalars(
        select(Person)
        .where(Person.anonymised_at.is_(None), Person.merged_into_id.is_(None), due)
        .order_by(Person.retention_review_at.asc().nulls_first(), Person.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    return list(rows.all())


async def _held_elsewhere(session: AsyncSession, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The persons one of whose subjects or merged-in records another transaction holds (the others' rows
    are locked now, by this one)."""
    held: set[uuid.UUID] = set()
    for model, column in ((IncidentSubject, IncidentSubject.person_id), (Person, Person.merged_into_id)):
        every = (await session.execute(select(model.id, column).where(column.in_(ids)))).all()
        got = set(
            await session.scalars(select(model.id).where(column.in_(ids)).with_for_update(skip_locked=True))
        )
        held |= {owner for row_id, owner in every if row_id not in got and owner is not None}
    return held


async def _facts(session: AsyncSession, people: Sequence[Person]) -> dict[uuid.UUID, rules.Facts]:
    ids = [p.id for p in people]
    cases: dict[uuid.UUID, list[rules.Case]] = {i: [] for i in ids}
    rows = await session.execute(
        select(
            IncidentSubject.person_id,
            Incident.category,
            Incident.status,
            Incident.completed_at,
            Incident.acted_at,
            Incident.updated_at,
        )
        .join(Incident, Incident.id == IncidentSubject.incident_id)
        .where(IncidentSubject.person_id.in_(ids))
    )
    for pid, category, status, completed, acted, updated in rows:
        if pid is not None:  # (the filter says so; the column is nullable)
            cases[pid].append(rules.Case(category, ended(status, completed, acted, updated)))
    active = PlacementStatus.active
    placed = set(
        await session.scalars(
            select(Placement.person_id).where(Placement.person_id.in_(ids), Placement.status == active)
        )
    ) | set(
        await session.scalars(
            select(IncidentSubject.person_id)
            .join(Placement, Placement.subject_id == IncidentSubject.id)
            .where(IncidentSubject.person_id.in_(ids), Placement.status == active)
        )
    )
    return {
        p.id: rules.Facts(
            created_at=p.created_at,
            vulnerabilities=frozenset(p.vulnerabilities),
            birth_year_max=p.birth_year_max,
            placed=p.id in placed,
            cases=cases[p.id],
        )
        for p in people
    }


async def _pass(session: AsyncSession, now: datetime, policy: rules.Policy) -> tuple[int, int]:
    people = await _claim(session, now)
    if not people:
        return 0, 0
    busy = await _held_elsewhere(session, [p.id for p in people])
    facts = await _facts(session, [p for p in people if p.id not in busy])
    done = 0
    for person in people:
        if person.id in busy:
            person.retention_review_at = now + BUSY_RETRY
            continue
        review = rules.next_review(policy, facts[person.id], now)
        if review is not None:
            person.retention_review_at = review
            continue
        await anonymise(session, person, facts[person.id], policy, now)
        done += 1
    return done, len(people)


def _strip(person: Person, *, band: bool, now: datetime) -> list[str]:
    """Removes the record's identity in place; returns the fields that held something."""
    held = [
        f
        for f in ("name", "aliases", "nik", "kk", "birth_date", "description", "family_contacts")
        if getattr(person, f)
    ]
    person.birth_year_min, person.birth_year_max = rules.coarse_birth(
        person.birth_date, person.birth_year_min, person.birth_year_max, band=band
    )
    person.name, person.aliases, person.nik, person.kk = None, [], None, None
    person.birth_date, person.birth_precision = None, None
    person.description, person.family_contacts = None, []
    person.last_seen_lat = person.last_seen_lon = None
    person.last_seen_region_code = rules.coarse_region(person.last_seen_region_code)
    person.home_region_code = rules.coarse_region(person.home_region_code)
    person.anonymised_at, person.updated_at, person.retention_review_at = now, now, None
    return held


async def anonymise(
    session: AsyncSession, person: Person, facts: rules.Facts, policy: rules.Policy, now: datetime
) -> None:
    """Removes the identity of `person` and of the records merged into him, from every row that holds
    it; keeps the rows (and so the statistics). Call with the person, his subjects and merged-in records
    locked."""
    absorbed = list(await session.scalars(select(Person).where(Person.merged_into_id == person.id)))
    ids = [person.id, *(a.id for a in absorbed)]
    names = {n for p in (person, *absorbed) for n in [p.name, *p.aliases] if n}
    niks = {p.nik for p in (person, *absorbed) if p.nik}
    band = rules.specific(facts)
    held = _strip(person, band=band, now=now)
    for other in absorbed:
        _strip(other, band=band, now=now)
    subject_ids = list(
        await session.scalars(select(IncidentSubject.id).where(IncidentSubject.person_id.in_(ids)))
    )
    incident_ids = list(
        await session.scalars(
            select(IncidentSubject.incident_id).where(IncidentSubject.id.in_(subject_ids)).distinct()
        )
    )
    for statement in (
        delete(PersonKey).where(PersonKey.person_id.in_(ids)),
        delete(PersonCorrection).where(PersonCorrection.person_id.in_(ids)),
        update(IncidentSubject)
        .where(IncidentSubject.id.in_(subject_ids))
        .values(name=None, aliases=[], nik=None, description=None, outcome_note=None),
        update(PersonLink).where(PersonLink.person_id.in_(ids)).values(reasons=[], unlink_reason=None),
        update(MatchRejection).where(MatchRejection.person_id.in_(ids)).values(reason=None),
        # A proposal's reasons quote names ("Jack ~ Joko Susilo").
        update(MatchProposal).where(MatchProposal.person_id.in_(ids)).values(reasons=[]),
        update(PersonMerge)
        .where(or_(PersonMerge.kept_id.in_(ids), PersonMerge.absorbed_id.in_(ids)))
        .values(copied={}, reason=None),
        update(Placement)
        .where(or_(Placement.person_id.in_(ids), Placement.subject_id.in_(subject_ids)))
        .values(note=None, end_note=None, destination=None),
        # His family: the contacts tried (on a case, or on his record alone), whoever received him.
        update(TracingContact)
        .where(or_(TracingContact.person_id.in_(ids), TracingContact.subject_id.in_(subject_ids)))
        .values(contact_name=rules.ERASED, phone=None, address=None, note=None),
        update(Handover)
        .where(or_(Handover.person_id.in_(ids), Handover.subject_id.in_(subject_ids)))
        .values(
            receiver_name=rules.ERASED,
            receiver_nik=None,
            receiver_phone=None,
            receiver_address=rules.ERASED,
            note=None,
        ),
        # What the reports said of him by name or NIK (a report of a raid names one child, maybe him).
        update(Report)
        .where(Report.incident_id.in_(incident_ids), Report.subject_nik.in_(niks))
        .values(subject_nik=None),
        update(Report)
        .where(Report.incident_id.in_(incident_ids), Report.subject_name.in_(names))
        .values(subject_name=None),
    ):
        await session.execute(statement, execution_options={"synchronize_session": False})
    assessed = await session.scalars(
        select(Assessment).where(or_(Assessment.person_id.in_(ids), Assessment.subject_id.in_(subject_ids)))
    )
    for a in assessed:
        if any(a.form.get(k) for k in FREE_TEXT):
            a.form = {k: v for k, v in a.form.items() if k not in FREE_TEXT}
    until = rules.keep_until(policy, facts)
    audit.record(
        session,
        None,
        action="erase",
        entity_type="person",
        entity_id=person.id,
        fields=held or ["identity"],
        region_code=person.region_code,
        purpose=PURPOSE,
        actor_name=events.SYSTEM,
    )
    events.record(
        session,
        "person.anonymised",
        actor=events.SYSTEM,
        region_code=person.region_code,
        data={
            "person_id": str(person.id),
            "absorbed_ids": [str(a.id) for a in absorbed],
            "categories": sorted({c.category for c in facts.cases}),
            "kept_until": until.isoformat() if until else None,
            "age_band": band,
            "message": "masa simpan data berakhir: identitas klien dianonimkan, statistik tetap",
        },
    )
