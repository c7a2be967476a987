"""Merging two records of one person, and splitting them again.

A merge points the absorbed record to the kept one, moves its active links (their ids are kept on the merge)
and fills the kept record's empty fields from it (what was filled is kept too). A split undoes exactly that:
the links still where the merge put them go back, the filled fields still as the merge left them are
emptied, the added aliases, contacts and flags are taken off. The absorbed record itself was never changed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, Unprocessable
from app.models import Incident, IncidentSubject, Person, PersonLink, PersonMerge
from app.models.base import utcnow
from app.services import audit, events, scoped
from app.services.access import TRIAGE, Principal, require
from app.services.persons import records
from app.services.persons.follow import follow

FILLED = (
    "name",
    "nik",
    "kk",
    "birth_date",
    "birth_precision",
    "birth_year_min",
    "birth_year_max",
    "description",
    "home_region_code",
)


def _contact_key(c: dict[str, Any]) -> str:
    return f"{c.get('name')}|{c.get('relation')}|{c.get('phone')}"


async def _incidents_of(session: AsyncSession, link_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, str]]:
    if not link_ids:
        return []
    rows = await session.execute(
        select(Incident.id, Incident.region_code)
        .join(PersonLink, PersonLink.incident_id == Incident.id)
        .where(PersonLink.id.in_(link_ids))
        .distinct()
    )
    return [(i, r) for i, r in rows]


def _announce(
    session: AsyncSession,
    principal: Principal,
    type_: str,
    kept: Person,
    absorbed: Person,
    where: list[tuple[uuid.UUID, str]],
    data: dict[str, Any],
) -> None:
    payload = {"kept_id": str(kept.id), "absorbed_id": str(absorbed.id), **data}
    for incident_id, region in where or [(None, kept.region_code)]:  # type: ignore[list-item]
        events.record(
            session, type_, actor=principal, incident_id=incident_id, region_code=region, data=payload
        )
    for p in (kept, absorbed):
        audit.record(
            session,
            principal,
            action=type_.split(".")[1][:16],
            entity_type="person",
            entity_id=p.id,
            fields=["person_record"],
            region_code=p.region_code,
            purpose=str(data.get("reason", ""))[:120],
        )


async def merge(
    session: AsyncSession, principal: Principal, kept_id: uuid.UUID, absorbed_id: uuid.UUID, reason: str
) -> PersonMerge:
    if kept_id == absorbed_id:
        raise Unprocessable("klien tidak bisa digabung dengan dirinya sendiri", field="absorbed_id")
    first, second = sorted([kept_id, absorbed_id])  # one lock order: two opposite merges never deadlock
    locked = {
        first: await scoped.find(session, principal, Person, first, lock=True),
        second: await scoped.find(session, principal, Person, second, lock=True),
    }
    kept, absorbed = locked[kept_id], locked[absorbed_id]
    require(principal, TRIAGE, "merge persons")
    for p in (kept, absorbed):
        records.refuse_anonymised(p)
        if p.merged_into_id is not None:
            raise Conflict(
                f"klien {p.id} sudah digabung ke {p.merged_into_id}", merged_into_id=str(p.merged_into_id)
            )
    if kept.nik and absorbed.nik and kept.nik != absorbed.nik:
        raise Conflict("NIK kedua klien berbeda: mereka orang yang berbeda (the NIKs differ)")
    if "unknown" not in (kept.sex, absorbed.sex) and kept.sex != absorbed.sex:
        raise Conflict("jenis kelamin kedua klien berbeda (the sexes differ)")
    links = list(
        await session.scalars(
            select(PersonLink)
            .where(PersonLink.person_id == absorbed.id, PersonLink.unlinked_at.is_(None))
            .with_for_update()
        )
    )
    shared = await session.scalar(
        select(PersonLink.incident_id)
        .where(
            PersonLink.person_id == kept.id,
            PersonLink.unlinked_at.is_(None),
            PersonLink.incident_id.in_([link.incident_id for link in links]),
        )
        .limit(1)
    )
    if shared is not None:
        raise Conflict(
            f"keduanya subjek insiden {shared}: dua orang berbeda (both are subjects of one incident)"
        )
    absorbed.merged_into_id = kept.id
    absorbed.updated_at = utcnow()
    await session.flush()  # the absorbed record leaves the unique NIK index before the kept one takes its NIK
    filled: dict[str, Any] = {}
    for field in FILLED:
        if getattr(kept, field) is None and getattr(absorbed, field) is not None:
            setattr(kept, field, getattr(absorbed, field))
            filled[field] = _plain(getattr(absorbed, field))
    if kept.sex == "unknown" and absorbed.sex != "unknown":
        kept.sex = absorbed.sex
        filled["sex"] = absorbed.sex
    have = {kept.name, *kept.aliases}
    aliases_added = [a for a in [absorbed.name, *absorbed.aliases] if a and a not in have]
    kept.aliases = [*kept.aliases, *dict.fromkeys(aliases_added)]
    known = {_contact_key(c) for c in kept.family_contacts}
    contacts_added = [c for c in absorbed.family_contacts if _contact_key(c) not in known]
    kept.family_contacts = [*kept.family_contacts, *contacts_added]
    flags_added = sorted(set(absorbed.vulnerabilities) - set(kept.vulnerabilities))
    kept.vulnerabilities = sorted({*kept.vulnerabilities, *flags_added})
    if absorbed.last_seen_at and (kept.last_seen_at is None or absorbed.last_seen_at > kept.last_seen_at):
        kept.last_seen_at, kept.last_seen_region_code = absorbed.last_seen_at, absorbed.last_seen_region_code
        kept.last_seen_lat, kept.last_seen_lon = absorbed.last_seen_lat, absorbed.last_seen_lon
    kept.updated_at = utcnow()
    for link in links:
        link.person_id = kept.id
    subject_ids = [link.subject_id for link in links]
    for subject in await session.scalars(select(IncidentSubject).where(IncidentSubject.id.in_(subject_ids))):
        subject.person_id = kept.id
    await follow(session, subject_ids)
    record = PersonMerge(
        id=uuid.uuid4(),
        kept_id=kept.id,
        absorbed_id=absorbed.id,
        moved_link_ids=[str(link.id) for link in links],
        copied={
            "fields": filled,
            "aliases": aliases_added,
            "family_contacts": contacts_added,
            "vulnerabilities": flags_added,
        },
        reason=reason,
        merged_at=utcnow(),
        merged_by_id=principal.user_id,
    )
    session.add(record)
    await session.flush()
    await records.set_keys(session, kept)
    await records.set_keys(session, absorbed)
    where = await _incidents_of(session, [link.id for link in links])
    _announce(
        session,
        principal,
        "person.merged",
        kept,
        absorbed,
        where,
        {"merge_id": str(record.id), "links_moved": len(links), "reason": reason},
    )
    return record


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


async def split(
    session: AsyncSession, principal: Principal, kept_id: uuid.UUID, absorbed_id: uuid.UUID, reason: str
) -> PersonMerge:
    first, second = sorted([kept_id, absorbed_id])
    locked = {
        first: await scoped.find(session, principal, Person, first, lock=True),
        second: await scoped.find(session, principal, Person, second, lock=True),
    }
    kept, absorbed = locked[kept_id], locked[absorbed_id]
    require(principal, TRIAGE, "split persons")
    for p in (kept, absorbed):
        records.refuse_anonymised(p)
    record = await session.scalar(
        select(PersonMerge)
        .where(
            PersonMerge.kept_id == kept.id,
            PersonMerge.absorbed_id == absorbed.id,
            PersonMerge.split_at.is_(None),
        )
        .order_by(PersonMerge.merged_at.desc())
        .limit(1)
        .with_for_update()
    )
    if record is None or absorbed.merged_into_id != kept.id:
        raise Conflict(f"klien {absorbed.id} tidak digabung ke {kept.id} (no such merge to split)")
    copied = record.copied
    for field, value in copied.get("fields", {}).items():
        if _plain(getattr(kept, field)) == value:
            setattr(kept, field, "unknown" if field == "sex" else None)
    gone = set(copied.get("aliases", []))
    kept.aliases = [a for a in kept.aliases if a not in gone]
    gone_contacts = {_contact_key(c) for c in copied.get("family_contacts", [])}
    kept.family_contacts = [c for c in kept.family_contacts if _contact_key(c) not in gone_contacts]
    kept.vulnerabilities = [
        v for v in kept.vulnerabilities if v not in set(copied.get("vulnerabilities", []))
    ]
    kept.updated_at = utcnow()
    await session.flush()  # the kept record gives back the NIK before the absorbed one is live again
    moved = [uuid.UUID(i) for i in record.moved_link_ids]
    links = list(
        await session.scalars(
            select(PersonLink).where(
                PersonLink.id.in_(moved), PersonLink.person_id == kept.id, PersonLink.unlinked_at.is_(None)
            )
        )
    )
    for link in links:
        link.person_id = absorbed.id
    for subject in await session.scalars(
        select(IncidentSubject).where(IncidentSubject.id.in_([link.subject_id for link in links]))
    ):
        subject.person_id = absorbed.id
    await follow(session, [link.subject_id for link in links])
    absorbed.merged_into_id = None
    absorbed.updated_at = utcnow()
    record.split_at = utcnow()
    record.split_by_id = principal.user_id
    await session.flush()
    await records.set_keys(session, kept)
    await records.set_keys(session, absorbed)
    where = await _incidents_of(session, [link.id for link in links])
    _announce(
        session,
        principal,
        "person.split",
        kept,
        absorbed,
        where,
        {"merge_id": str(record.id), "links_restored": len(links), "reason": reason},
    )
    return record
