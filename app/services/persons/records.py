"""Person records: create, read (masked, audited), correct; their name keys; rendering."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app import identity
from app.errors import Conflict, Forbidden, Unprocessable
from app.models import (
    Incident,
    IncidentSubject,
    Person,
    PersonCorrection,
    PersonKey,
    PersonLink,
)
from app.models.base import utcnow
from app.persons import names
from app.persons import nik as nik_rules
from app.persons.match import birth_years
from app.reference import regions
from app.schemas.persons import (
    FamilyContactOut,
    HistoryItem,
    PersonCreate,
    PersonFields,
    PersonOut,
    PersonPatch,
)
from app.services import audit, events, scoped
from app.services.access import SEE_PERSONAL_DATA, Principal, require

# Those who handle persons' records: the console of the region (crews and agencies do not).
HANDLE = SEE_PERSONAL_DATA
PERSONAL = ("name", "aliases", "nik", "kk", "birth_date", "description", "family_contacts", "vulnerabilities")


def regency(code: str) -> str:
    return ".".join(code.split(".")[:2])


def in_scope(column: InstrumentedAttribute[str], principal: Principal) -> ColumnElement[bool] | None:
    """Persons' kab/kota within the caller's reach, as SQL an index can use (None: all of Indonesia)."""
    return in_reach(column, principal.region_code)


def in_reach(column: InstrumentedAttribute[str], code: str) -> ColumnElement[bool] | None:
    """Persons' kab/kota within a region code's reach ("" is all of Indonesia)."""
    if not code:
        return None
    if code.count(".") >= 1:
        return column == regency(code)
    return column.startswith(code + ".", autoescape=True)


def personal_fields(person: Person) -> list[str]:
    return [f for f in PERSONAL if getattr(person, f)]


def _birth(fields: PersonFields, today: date) -> dict[str, Any]:
    if fields.birth_date is not None:
        precision = fields.birth_precision or "day"
        return {
            "birth_date": fields.birth_date,
            "birth_precision": str(precision),
            "birth_year_min": fields.birth_date.year,
            "birth_year_max": fields.birth_date.year,
        }
    if fields.approx_age is not None:
        lo, hi = birth_years(fields.approx_age, today)
        return {"birth_date": None, "birth_precision": None, "birth_year_min": lo, "birth_year_max": hi}
    return {}


def _from_nik(nik: str | None, today: date) -> dict[str, Any]:
    if nik is None:
        return {}
    info = nik_rules.parse_nik(nik, today=today)
    return {"sex": info.sex, "birth": info.birth_date}


async def set_keys(session: AsyncSession, person: Person) -> None:
    """The person's blocking keys, again (after a change of names, sex or birth, a merge or a split)."""
    await session.execute(delete(PersonKey).where(PersonKey.person_id == person.id))
    if person.merged_into_id is not None:
        return
    found = names.keys([n for n in [person.name, *person.aliases] if n])
    session.add_all(
        PersonKey(
            key=k,
            region_code=person.region_code,
            person_id=person.id,
            sex=person.sex,
            birth_year_min=person.birth_year_min,
            birth_year_max=person.birth_year_max,
        )
        for k in sorted(found)
    )


async def _nik_taken(session: AsyncSession, region: str, nik: str, but: uuid.UUID | None) -> None:
    q = select(Person.id).where(
        Person.region_code == region, Person.nik == nik, Person.merged_into_id.is_(None)
    )
    if but is not None:
        q = q.where(Person.id != but)
    other = await session.scalar(q.limit(1))
    if other is not None:
        raise Conflict(
            f"NIK ini sudah tercatat untuk klien {other}; tautkan ke klien itu atau gabungkan "
            "(this NIK already belongs to another person record)",
            person_id=str(other),
        )


def _contacts(fields: PersonFields) -> list[dict[str, Any]]:
    return [c.model_dump() for c in fields.family_contacts]


async def create(
    session: AsyncSession, principal: Principal, body: PersonFields, *, region_code: str | None
) -> Person:
    """A new person record held by `region_code`'s kab/kota (the body's, else the caller's)."""
    require(principal, HANDLE, "create persons")
    region = (body.region_code if isinstance(body, PersonCreate) else None) or region_code
    region = region or principal.region_code
    if region.count(".") < 1:
        raise Unprocessable(
            "region_code (kab/kota yang memegang data) wajib untuk akun tingkat provinsi/nasional",
            field="region_code",
        )
    region = regency(region)
    if not (principal.sees_region(region) or regions.within(principal.region_code, region)):
        raise Forbidden(f"wilayah {region} di luar wilayah Anda ({principal.region_code or 'ID'})")
    today = utcnow().date()
    from_nik = _from_nik(body.nik, today)
    birth = _birth(body, today)
    if not birth and "birth" in from_nik:
        born = from_nik["birth"]
        birth = {
            "birth_date": born,
            "birth_precision": "day",
            "birth_year_min": born.year,
            "birth_year_max": born.year,
        }
    if body.nik:
        await _nik_taken(session, region, body.nik, None)
    now = utcnow()
    person = Person(
        id=uuid.uuid4(),
        region_code=region,
        name=body.name,
        aliases=list(dict.fromkeys(body.aliases)),
        sex=body.sex if body.sex not in (None, "unknown") else from_nik.get("sex", "unknown"),
        nik=body.nik,
        kk=body.kk,
        description=body.description,
        home_region_code=body.home_region_code,
        family_contacts=_contacts(body),
        vulnerabilities=sorted({str(v) for v in body.vulnerabilities}),
        created_at=now,
        updated_at=now,
        created_by_id=principal.user_id,
        **birth,
    )
    session.add(person)
    await session.flush()
    await set_keys(session, person)
    audit.record(
        session,
        principal,
        action="create",
        entity_type="person",
        entity_id=person.id,
        fields=personal_fields(person) or ["sex"],
        region_code=person.region_code,
        purpose="person record",
    )
    events.record(
        session,
        "person.created",
        actor=principal,
        region_code=person.region_code,
        data={"person_id": str(person.id)},
    )
    return person


IDENTITY = ("name", "aliases", "nik", "kk", "birth_date", "sex")
_DIGITS = re.compile(r"\d(?:[\s.-]?\d){7,}")


def redact(text: str) -> str:
    """A reason as the event log carries it: a NIK, KK or phone number typed into it shows masked."""

    def hide(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group())
        return digits[:4] + "*" * (len(digits) - 8) + digits[-4:] if len(digits) > 8 else "*" * len(digits)

    return _DIGITS.sub(hide, text)


def _value(person: Person, field: str) -> Any:
    """A field's value as a correction keeps it (JSON)."""
    if field == "birth_date":
        return {
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "birth_precision": person.birth_precision,
            "birth_year_min": person.birth_year_min,
            "birth_year_max": person.birth_year_max,
        }
    value = getattr(person, field)
    return list(value) if isinstance(value, list) else value


def refuse_anonymised(person: Person) -> None:
    if person.anonymised_at is not None:
        raise Conflict(
            "data identitas klien ini sudah dianonimkan (masa retensi berakhir); tidak dapat diubah atau "
            "ditautkan (the record was anonymised)",
            anonymised_at=person.anonymised_at.isoformat(),
        )


async def correct(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, body: PersonPatch
) -> Person:
    """Applies the fields sent. The values before and after go to a `person_corrections` row (personal
    data: read in the subject-access export); the audit trail and the event name the fields only, and
    the event's reason shows any number typed into it masked (the event log is streamed)."""
    person = await scoped.find(session, principal, Person, person_id, lock=True)
    require(principal, HANDLE, "correct persons")
    if person.merged_into_id is not None:
        raise Conflict(
            f"klien ini sudah digabung ke {person.merged_into_id}; koreksi di sana (this record was merged)",
            merged_into_id=str(person.merged_into_id),
        )
    refuse_anonymised(person)
    sent = body.model_fields_set - {"reason"}
    today = utcnow().date()
    before = {f: _value(person, f) for f in (*PERSONAL, "sex", "home_region_code")}
    fit = (person.sex, person.birth_year_min, person.birth_year_max)
    changed: list[str] = []
    for field in ("name", "aliases", "sex", "kk", "description", "home_region_code", "vulnerabilities"):
        if field in sent:
            value: Any = getattr(body, field)
            if field == "aliases":
                value = list(dict.fromkeys(value or []))
            elif field == "vulnerabilities":
                value = sorted({str(v) for v in value or []})
            elif field == "sex":
                value = value or "unknown"
            if getattr(person, field) != value:
                setattr(person, field, value)
                changed.append(field)
    if "family_contacts" in sent and _contacts(body) != person.family_contacts:
        person.family_contacts = _contacts(body)
        changed.append("family_contacts")
    if "nik" in sent and body.nik != person.nik:
        if body.nik:
            await _nik_taken(session, person.region_code, body.nik, person.id)
            info = nik_rules.parse_nik(body.nik, today=today)
            if "sex" not in sent and person.sex not in ("unknown", info.sex):
                raise Unprocessable(
                    f"NIK ini milik seorang {'perempuan' if info.sex == 'female' else 'laki-laki'}, "
                    "jenis kelamin klien berbeda (the NIK's sex differs from the record's)",
                    field="nik",
                )
        person.nik = body.nik
        changed.append("nik")
    if sent & {"birth_date", "approx_age", "birth_precision"}:
        birth = _birth(body, today) or {
            "birth_date": None,
            "birth_precision": None,
            "birth_year_min": None,
            "birth_year_max": None,
        }
        for k, v in birth.items():
            setattr(person, k, v)
        if _value(person, "birth_date") != before["birth_date"]:
            changed.append("birth_date")
    if not changed:
        return person
    now = utcnow()
    person.updated_at = now
    if {"name", "aliases"} & set(changed) or fit != (
        person.sex,
        person.birth_year_min,
        person.birth_year_max,
    ):
        await set_keys(session, person)
    correction = PersonCorrection(
        id=uuid.uuid4(),
        person_id=person.id,
        changes={f: {"before": before[f], "after": _value(person, f)} for f in changed},
        reason=body.reason,
        corrected_at=now,
        corrected_by_id=principal.user_id,
    )
    session.add(correction)
    audit.record(
        session,
        principal,
        action="update",
        entity_type="person",
        entity_id=person.id,
        fields=changed,
        region_code=person.region_code,
        purpose=f"correction {correction.id}: {redact(body.reason)}"[:120],
    )
    events.record(
        session,
        "person.corrected",
        actor=principal,
        region_code=person.region_code,
        data={
            "person_id": str(person.id),
            "correction_id": str(correction.id),
            "fields": changed,
            "identity": [f for f in changed if f in IDENTITY],
            "reason": redact(body.reason),
        },
    )
    return person


def render(person: Person, *, reveal: bool) -> PersonOut:
    """Names and descriptions for those who handle the record; NIK, KK and phones masked unless `reveal`."""

    def m(value: str | None, mask: identity.Masker) -> str | None:
        return value if reveal else mask(value)

    return PersonOut(
        id=person.id,
        region_code=person.region_code,
        name=person.name,
        aliases=person.aliases,
        birth_date=person.birth_date,
        birth_precision=person.birth_precision,
        birth_year_min=person.birth_year_min,
        birth_year_max=person.birth_year_max,
        sex=person.sex,
        nik=m(person.nik, identity.mask_nik),
        kk=m(person.kk, identity.mask_nik),
        description=person.description,
        home_region_code=person.home_region_code,
        family_contacts=[
            FamilyContactOut(
                name=c.get("name"),
                relation=c.get("relation", ""),
                phone=m(c.get("phone"), identity.mask_phone),
                note=c.get("note"),
            )
            for c in person.family_contacts
        ],
        vulnerabilities=person.vulnerabilities,
        last_seen_region_code=person.last_seen_region_code,
        last_seen_at=person.last_seen_at,
        merged_into_id=person.merged_into_id,
        created_at=person.created_at,
        updated_at=person.updated_at,
        masked=not reveal,
        anonymised_at=person.anonymised_at,
    )


def audit_read(
    session: AsyncSession, principal: Principal, person: Person, *, reveal: bool, purpose: str
) -> None:
    shown = [f for f in personal_fields(person) if reveal or f not in ("nik", "kk")]
    if not reveal and any(c.get("phone") for c in person.family_contacts):
        shown = [f for f in shown if f != "family_contacts"] + ["family_contacts (masked phones)"]
    audit.record(
        session,
        principal,
        action="read",
        entity_type="person",
        entity_id=person.id,
        fields=shown,
        region_code=person.region_code,
        purpose=purpose,
    )


async def histories(
    session: AsyncSession, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[HistoryItem]]:
    """The incidents each person was (and still is) a subject of, newest first."""
    out: dict[uuid.UUID, list[HistoryItem]] = {p: [] for p in person_ids}
    if not person_ids:
        return out
    rows = await session.execute(
        select(PersonLink, IncidentSubject.ordinal, Incident)
        .join(IncidentSubject, IncidentSubject.id == PersonLink.subject_id)
        .join(Incident, Incident.id == PersonLink.incident_id)
        .where(PersonLink.person_id.in_(list(person_ids)), PersonLink.unlinked_at.is_(None))
        .order_by(Incident.first_received_at.desc())
    )
    for link, ordinal, incident in rows:
        out[link.person_id].append(
            HistoryItem(
                incident_id=incident.id,
                subject_id=link.subject_id,
                ordinal=ordinal,
                category=incident.category,
                status=incident.status,
                region_code=incident.region_code,
                first_received_at=incident.first_received_at,
                linked_at=link.linked_at,
                how=link.how,
            )
        )
    return out
