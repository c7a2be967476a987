"""Match proposals for a subject, and the operator's answer: confirm (link), reject, or a new person; unlink.

Candidates are found through indexes only (NIK, the name keys of person_keys ranked by how well sex and age
fit, the last place seen), at most about seventy, then scored in Python (app/persons/match.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, Unprocessable
from app.models import Incident, IncidentSubject, MatchRejection, Person, PersonKey, PersonLink
from app.models.base import utcnow
from app.persons import match, names
from app.persons import nik as nik_rules
from app.persons.status import LinkHow
from app.schemas.persons import LinkOut, MatchesOut, MatchOut, PersonFields
from app.services import audit, events, incidents, scoped
from app.services.access import TRIAGE, Principal, require
from app.services.persons import records, subjects
from app.services.persons.follow import follow

# Persons sharing a name key, best fitting first (_key_order); those last seen at the report's kelurahan
# (most recent first), many when the report has no name, a few for nicknames the keys miss.
NAME_CANDIDATES = 40
PLACE_CANDIDATES = 100
PLACE_CANDIDATES_NAMED = 30
# What a key shared counts for; one of a common name part (names.COMMON) less.
KEY_POINTS = 5
COMMON_KEY_POINTS = 2


def seen_of_subject(subject: IncidentSubject, incident: Incident) -> match.Seen:
    lo, hi = match.birth_years(subject.approx_age, incident.first_received_at.date())
    seen = match.Seen(
        names=tuple(n for n in [subject.name, *subject.aliases] if n),
        nik=subject.nik,
        sex=subject.sex,
        birth_year_min=lo,
        birth_year_max=hi,
        region_code=incident.region_code,
        lat=incident.lat,
        lon=incident.lon,
        description=subject.description,
    )
    return match.with_nik(seen, incident.first_received_at.date())


def seen_of_person(p: Person) -> match.Seen:
    return match.Seen(
        names=tuple(n for n in [p.name, *p.aliases] if n),
        nik=p.nik,
        sex=p.sex,
        birth_year_min=p.birth_year_min,
        birth_year_max=p.birth_year_max,
        region_code=p.last_seen_region_code,
        home_region_code=p.home_region_code,
        lat=p.last_seen_lat,
        lon=p.last_seen_lon,
        description=p.description,
    )


# What scoring reads of a person: a light row, not the whole record (hundreds are read per report).
_MATCH_COLUMNS = (
    Person.id,
    Person.created_at,
    Person.name,
    Person.aliases,
    Person.nik,
    Person.sex,
    Person.birth_year_min,
    Person.birth_year_max,
    Person.last_seen_region_code,
    Person.home_region_code,
    Person.last_seen_lat,
    Person.last_seen_lon,
    Person.description,
)


@dataclass(frozen=True, slots=True)
class Candidate:
    id: uuid.UUID
    created_at: datetime
    seen: match.Seen


def _candidate(row: Any) -> Candidate:
    return Candidate(
        row.id,
        row.created_at,
        match.Seen(
            names=tuple(n for n in [row.name, *row.aliases] if n),
            nik=row.nik,
            sex=row.sex,
            birth_year_min=row.birth_year_min,
            birth_year_max=row.birth_year_max,
            region_code=row.last_seen_region_code,
            home_region_code=row.home_region_code,
            lat=row.last_seen_lat,
            lon=row.last_seen_lon,
            description=row.description,
        ),
    )


def _common_fits(seen: match.Seen, keys: set[str]) -> list[ColumnElement[bool]]:
    """A common name part (Muhammad, Siti: thousands of rows in a kab/kota) is read only of the persons of
    a compatible sex whose birth years are within 4 of the report's (no penalty in match.score); the other
    keys of everyone."""
    common = sorted(k for k in keys if k[2:] in names.COMMON)
    fits: list[ColumnElement[bool]] = []
    if seen.sex != "unknown":
        fits.append(or_(PersonKey.sex.is_(None), PersonKey.sex.in_([seen.sex, "unknown"])))
    lo, hi = seen.birth_year_min, seen.birth_year_max
    if lo is not None and hi is not None:
        pmin, pmax = PersonKey.birth_year_min, PersonKey.birth_year_max
        fits.append(or_(pmin.is_(None), pmax.is_(None), and_(pmin <= hi + 4, pmax >= lo - 4)))
    if not common or not fits:
        return []
    return [or_(PersonKey.key.not_in(common), *([and_(*fits)] if len(fits) > 1 else fits))]


def _key_order(seen: match.Seen, keys: set[str]) -> list[ColumnElement[Any]]:
    """How the persons sharing a name key are ranked, from the key rows alone (the index holds them): the
    keys shared, a common name part (Muhammad, Siti) weighing less; then how well sex and birth years fit,
    weighed as match.score weighs them (another sex most, an age far off next), in twentieths of a point
    (integers: PostgreSQL sorts them several times faster than numerics). The best come first, so a few
    dozen are enough where any of thousands of namesakes used to be taken."""
    common = sorted(k for k in keys if k[2:] in names.COMMON)
    shared = (
        func.sum(case((PersonKey.key.in_(common), COMMON_KEY_POINTS), else_=KEY_POINTS))
        if common
        else func.count()
    )
    fit: list[ColumnElement[Any]] = []
    if seen.sex != "unknown":
        fit.append(
            case(
                (PersonKey.sex == seen.sex, 2),
                (or_(PersonKey.sex.is_(None), PersonKey.sex == "unknown"), 0),
                else_=-10,
            )
        )
    lo, hi = seen.birth_year_min, seen.birth_year_max
    if lo is not None and hi is not None:
        pmin, pmax = PersonKey.birth_year_min, PersonKey.birth_year_max
        fit.append(
            case(
                (or_(pmin.is_(None), pmax.is_(None)), 0),
                (and_(pmin <= hi, pmax >= lo), 2),
                (and_(pmin <= hi + 4, pmax >= lo - 4), 0),
                (and_(pmin <= hi + 10, pmax >= lo - 10), -3),
                else_=-7,
            )
        )
    if not fit:
        return [shared.desc()]
    total = fit[0] if len(fit) == 1 else fit[0] + fit[1]
    # Every key row of a person carries the same copies: max() reads them once.
    return [shared.desc(), func.max(total).desc()]


async def candidates(
    session: AsyncSession, reach: str, seen: match.Seen, *, not_in: uuid.UUID | None = None
) -> list[Candidate]:
    """Persons within `reach` (a region code: the caller's) sharing the NIK, a name key, or the place last
    seen, and not already a subject of incident `not_in`: one statement (one round trip), every part of it
    through an index (a union of bounded id lists, then the rows)."""
    scope = records.in_reach(Person.region_code, reach)
    live = [
        Person.merged_into_id.is_(None),
        Person.anonymised_at.is_(None),
        *([scope] if scope is not None else []),
    ]
    parts: list[Select[Any]] = []
    if seen.nik:
        parts.append(select(Person.id.label("id")).where(Person.nik == seen.nik, *live))
    keys = names.keys(list(seen.names))
    if keys:
        key_scope = records.in_reach(PersonKey.region_code, reach)
        by_name = (
            select(PersonKey.person_id.label("id"))
            .where(
                PersonKey.key.in_(sorted(keys)),
                *([key_scope] if key_scope is not None else []),
                *_common_fits(seen, keys),
            )
            .group_by(PersonKey.person_id)
            .order_by(*_key_order(seen, keys), PersonKey.person_id)
            .limit(NAME_CANDIDATES)
            .subquery()
        )
        parts.append(select(by_name.c.id))
    # The place finds people reported without a name; with one, the name keys do most of the work.
    if seen.region_code and seen.region_code.count(".") == 3:
        by_place = (
            select(Person.id.label("id"))
            .where(Person.last_seen_region_code == seen.region_code, *live)
            .order_by(Person.last_seen_at.desc())
            .limit(PLACE_CANDIDATES if not keys else PLACE_CANDIDATES_NAMED)
            .subquery()
        )
        parts.append(select(by_place.c.id))
    if not parts:
        return []
    ids = union(*parts).subquery()
    linked = (
        [
            Person.id.not_in(
                select(PersonLink.person_id).where(
                    PersonLink.incident_id == not_in, PersonLink.unlinked_at.is_(None)
                )
            )
        ]
        if not_in is not None
        else []
    )
    rows = await session.execute(
        select(*_MATCH_COLUMNS).where(
            Person.id.in_(select(ids.c.id)),
            Person.merged_into_id.is_(None),
            Person.anonymised_at.is_(None),
            *linked,
        )
    )
    return [_candidate(r) for r in rows]


def rank(
    seen: match.Seen, found: Sequence[Candidate], *, skip: set[uuid.UUID]
) -> list[tuple[Candidate, match.Scored]]:
    scored = [(c, match.score(seen, c.seen)) for c in found if c.id not in skip]
    good = [(c, s) for c, s in scored if s.score >= match.PROPOSE]
    good.sort(key=lambda cs: (-cs[1].score, cs[0].created_at))
    return good[: match.MAX_PROPOSALS]


async def propose(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int
) -> MatchesOut:
    incident = await incidents.get_visible(session, principal, incident_id)
    require(principal, TRIAGE, "see match proposals")
    subject = await subjects.get(session, incident, ordinal)
    seen = seen_of_subject(subject, incident)
    found = await candidates(session, principal.region_code, seen)
    rejected = set(
        await session.scalars(select(MatchRejection.person_id).where(MatchRejection.subject_id == subject.id))
    )
    skip = rejected | ({subject.person_id} if subject.person_id else set())
    best = rank(seen, found, skip=skip)
    history = await records.histories(session, [c.id for c, _ in best])
    loaded = {
        p.id: p for p in await session.scalars(select(Person).where(Person.id.in_([c.id for c, _ in best])))
    }
    out = []
    for cand, scored in best:
        person = loaded[cand.id]
        records.audit_read(session, principal, person, reveal=False, purpose="match proposal")
        out.append(
            MatchOut(
                person=records.render(person, reveal=False),
                score=scored.score,
                strength=match.strength(scored.score),
                reasons=scored.reasons,
                history=history[person.id],
            )
        )
    audit.record(
        session,
        principal,
        action="read",
        entity_type="incident_subject",
        entity_id=subject.id,
        fields=subjects.personal_fields(subject),
        region_code=incident.region_code,
        purpose="match proposal",
    )
    return MatchesOut(subject=subjects.render(subject, reveal=True), matches=out, checked=len(found))


def _seen_here(person: Person, incident: Incident) -> None:
    if person.last_seen_at is None or incident.first_received_at >= person.last_seen_at:
        person.last_seen_at = incident.first_received_at
        person.last_seen_region_code = incident.region_code
        person.last_seen_lat, person.last_seen_lon = incident.lat, incident.lon


async def _link(
    session: AsyncSession,
    principal: Principal,
    incident: Incident,
    subject: IncidentSubject,
    person: Person,
    *,
    how: LinkHow,
    scored: match.Scored | None,
) -> PersonLink:
    link = PersonLink(
        id=uuid.uuid4(),
        subject_id=subject.id,
        incident_id=incident.id,
        person_id=person.id,
        how=how,
        score=scored.score if scored else None,
        reasons=scored.reasons if scored else [],
        linked_at=utcnow(),
        linked_by_id=principal.user_id,
    )
    session.add(link)
    subject.person_id = person.id
    _seen_here(person, incident)
    await follow(session, [subject.id])
    audit.record(
        session,
        principal,
        action="link",
        entity_type="person",
        entity_id=person.id,
        fields=["incident_subject"],
        region_code=person.region_code,
        purpose=f"subject {subject.ordinal} of incident {incident.id}"[:120],
    )
    events.record(
        session,
        "person.linked",
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "subject_id": str(subject.id),
            "ordinal": subject.ordinal,
            "person_id": str(person.id),
            "how": str(how),
            "score": link.score,
        },
    )
    return link


async def _open_subject(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, action: str
) -> tuple[Incident, IncidentSubject]:
    incident = await incidents.get_visible(session, principal, incident_id)
    require(principal, TRIAGE, action)
    return incident, await subjects.get(session, incident, ordinal, lock=True)


async def confirm(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, person_id: uuid.UUID
) -> PersonLink:
    incident, subject = await _open_subject(session, principal, incident_id, ordinal, "link subjects")
    person = await scoped.find(session, principal, Person, person_id, lock=True)
    # Under the person's lock: retention anonymises under it too, so a link never lands on an erased record.
    records.refuse_anonymised(person)
    if person.merged_into_id is not None:
        raise Conflict(
            f"klien ini sudah digabung ke {person.merged_into_id}; tautkan ke klien itu",
            merged_into_id=str(person.merged_into_id),
        )
    current = await active_link(session, subject.id)
    if current is not None:
        if current.person_id == person.id:
            return current  # the same confirmation again (two operators at once): one link
        raise Conflict(
            f"subjek {ordinal} sudah ditautkan ke klien {current.person_id}; lepaskan dulu (unlink)",
            person_id=str(current.person_id),
        )
    other = await session.scalar(
        select(IncidentSubject.ordinal)
        .join(PersonLink, PersonLink.subject_id == IncidentSubject.id)
        .where(
            PersonLink.incident_id == incident.id,
            PersonLink.person_id == person.id,
            PersonLink.unlinked_at.is_(None),
        )
    )
    if other is not None:
        raise Conflict(f"klien ini sudah menjadi subjek {other} insiden ini (already subject {other})")
    scored = match.score(seen_of_subject(subject, incident), seen_of_person(person))
    return await _link(session, principal, incident, subject, person, how=LinkHow.confirmed, scored=scored)


async def create_person(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, body: PersonFields
) -> tuple[Person, PersonLink]:
    """A new person record from what the subject's reports said (the body adds or corrects), linked."""
    incident, subject = await _open_subject(session, principal, incident_id, ordinal, "create persons")
    if await active_link(session, subject.id) is not None:
        raise Conflict(
            f"subjek {ordinal} sudah ditautkan ke klien {subject.person_id}; lepaskan dulu (unlink)"
        )
    sent = body.model_fields_set
    nik = body.nik if "nik" in sent else subject.nik
    if nik is not None and "nik" not in sent:
        try:
            nik_rules.parse_nik(nik, today=utcnow().date())
        except ValueError as exc:
            raise Unprocessable(
                f"NIK subjek dari laporan tidak sah: {exc}; kirim nik yang benar", field="nik"
            ) from exc
    data = body.model_dump()
    data.update(
        name=body.name if "name" in sent else subject.name,
        aliases=list(dict.fromkeys([*subject.aliases, *body.aliases])),
        sex=body.sex if body.sex not in (None, "unknown") else subject.sex,
        nik=nik,
        description=body.description if "description" in sent else subject.description,
    )
    if "birth_date" not in sent and "approx_age" not in sent:
        data["approx_age"] = subject.approx_age
    try:
        fields = PersonFields.model_validate(data)
    except ValueError as exc:
        raise Unprocessable(f"data subjek tidak konsisten: {exc}", field="body") from exc
    person = await records.create(session, principal, fields, region_code=incident.region_code)
    link = await _link(session, principal, incident, subject, person, how=LinkHow.created, scored=None)
    return person, link


async def reject(
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    ordinal: int,
    person_id: uuid.UUID,
    reason: str | None,
) -> MatchRejection:
    incident, subject = await _open_subject(session, principal, incident_id, ordinal, "reject proposals")
    person = await scoped.find(session, principal, Person, person_id)
    if subject.person_id == person.id:
        raise Conflict("klien ini tertaut ke subjek ini; lepaskan dulu (unlink) sebelum menolak")
    existing = await session.scalar(
        select(MatchRejection).where(
            MatchRejection.subject_id == subject.id, MatchRejection.person_id == person.id
        )
    )
    if existing is not None:
        return existing
    scored = match.score(seen_of_subject(subject, incident), seen_of_person(person))
    rejection = MatchRejection(
        id=uuid.uuid4(),
        subject_id=subject.id,
        person_id=person.id,
        score=scored.score,
        reason=reason,
        rejected_at=utcnow(),
        rejected_by_id=principal.user_id,
    )
    session.add(rejection)
    await session.flush()
    audit.record(
        session,
        principal,
        action="reject",
        entity_type="person",
        entity_id=person.id,
        fields=["incident_subject"],
        region_code=person.region_code,
        purpose=f"not subject {ordinal} of incident {incident.id}"[:120],
    )
    events.record(
        session,
        "match.rejected",
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "subject_id": str(subject.id),
            "ordinal": ordinal,
            "person_id": str(person.id),
            "score": scored.score,
            "reason": reason,
        },
    )
    return rejection


async def active_link(session: AsyncSession, subject_id: uuid.UUID) -> PersonLink | None:
    return await session.scalar(
        select(PersonLink).where(PersonLink.subject_id == subject_id, PersonLink.unlinked_at.is_(None))
    )


async def unlink(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, ordinal: int, reason: str
) -> PersonLink:
    incident, subject = await _open_subject(session, principal, incident_id, ordinal, "unlink subjects")
    link = await active_link(session, subject.id)
    if link is None:
        raise Conflict(f"subjek {ordinal} belum ditautkan ke klien mana pun (not linked)")
    link.unlinked_at = utcnow()
    link.unlinked_by_id = principal.user_id
    link.unlink_reason = reason
    subject.person_id = None
    await follow(session, [subject.id])
    region = await session.scalar(select(Person.region_code).where(Person.id == link.person_id))
    audit.record(
        session,
        principal,
        action="unlink",
        entity_type="person",
        entity_id=link.person_id,
        fields=["incident_subject"],
        region_code=region or incident.region_code,
        purpose=f"unlinked: {reason}"[:120],
    )
    events.record(
        session,
        "person.unlinked",
        actor=principal,
        incident_id=incident.id,
        region_code=incident.region_code,
        data={
            "subject_id": str(subject.id),
            "ordinal": ordinal,
            "person_id": str(link.person_id),
            "reason": reason,
        },
    )
    return link


def render_link(link: PersonLink) -> LinkOut:
    return LinkOut.model_validate(link)
