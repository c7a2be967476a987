"""Retention of person records through housekeeping, with the server's clock moved years ahead
(app/clock.py), on SQLite and PostgreSQL: the identity goes when the category's time is up (a child's
sooner), the statistics stay, a person with an open case or a placement is never touched, a second run
does nothing, and two workers at once anonymise each record once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.models import AuditEntry, Event, Incident, TracingContact
from app.models.base import utcnow
from app.persons.retention import ERASED, Policy
from app.services import scheduler
from app.services.persons import retention
from tests.conftest import Actor
from tests.facilities.helpers import B, admit, facility, incident, unit

NIK = "2171060103880007"
YEAR = 365.25


@pytest.fixture
def later() -> Iterator[Callable[[float], None]]:
    def move(days: float) -> None:
        clock.configure(f"sim:{(datetime.now(UTC) + timedelta(days=days)).isoformat()}@1")

    yield move
    clock.configure("real")


async def _person(
    client: httpx.AsyncClient, op: Actor, category: str, subject: dict[str, Any], **fields: Any
) -> tuple[str, str]:
    inc = await incident(client, op, [subject], category=category)
    r = await client.post(f"{B}/incidents/{inc}/subjects/1/person", json=fields, headers=op.headers)
    assert r.status_code == 201, r.text
    return inc, str(r.json()["person_id"])


async def _close(db: async_sessionmaker[AsyncSession], inc: str) -> None:
    async with db() as s:
        now = utcnow()
        await s.execute(
            update(Incident)
            .where(Incident.id == uuid.UUID(inc))
            .values(status="closed", acted_at=now, completed_at=now, updated_at=now)
        )
        await s.commit()


async def _anonymised(db: async_sessionmaker[AsyncSession]) -> list[str]:
    async with db() as s:
        rows = await s.scalars(select(Event).where(Event.type == "person.anonymised").order_by(Event.id))
        return [e.data["person_id"] for e in rows]


async def test_identity_goes_when_its_time_is_up_and_the_statistics_stay(
    client: httpx.AsyncClient,
    app: FastAPI,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    later: Callable[[float], None],
) -> None:
    op, sup = actors["operator"], actors["supervisor"]
    maker = app.state.sessionmaker
    keep = scheduler.Retention()  # the defaults: 5 years, children 2, health 3
    adult_inc, adult = await _person(
        client,
        op,
        "GEL",
        {"name": "Joko", "sex": "male"},
        name="Joko Susilo",
        aliases=["Jack"],
        nik=NIK,
        kk="2171060101090012",
        description="rambut gondrong, tato naga",
        home_region_code="21.71.06.1003",
        family_contacts=[{"name": "Sri", "relation": "kakak", "phone": "0812-1111-2222"}],
    )
    r = await client.post(
        f"{B}/incidents/{adult_inc}/subjects/1/outcome",
        json={"outcome": "reunified", "note": "dijemput kakaknya, Sri"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    r = await client.patch(
        f"{B}/persons/{adult}", json={"description": "tato naga", "reason": "koreksi"}, headers=op.headers
    )
    assert r.status_code == 200
    r = await client.post(
        f"{B}/persons/{adult}/tracing",
        json={
            "contact_name": "Sri",
            "relation": "sibling",
            "phone": "0812-1111-2222",
            "method": "phone",
            "result": "will_take",
            "address": "Jl. Melati 7",
            "note": "kakaknya",
        },
        headers=op.headers,
    )
    assert r.status_code == 201, r.text
    child_inc, child = await _person(
        client, op, "AJ", {"name": "Ucok", "sex": "male", "approx_age": 10}, name="Ucok", approx_age=10
    )
    _, still_open = await _person(client, op, "ODGJ", {"name": "Andi", "sex": "male"}, name="Andi")
    fac = await facility(client, sup)
    placed_inc, placed = await _person(
        client, op, "OT", {"name": "Budi", "sex": "male", "approx_age": 50}, name="Budi"
    )
    assert (await admit(client, op, placed_inc, 1, unit(fac, "Dewasa Laki-laki"))).status_code == 201
    for inc in (adult_inc, child_inc, placed_inc):
        await _close(db, inc)

    later(2 * YEAR - 10)
    await scheduler.housekeeping(maker, keep)
    assert await _anonymised(db) == []
    later(2 * YEAR + 10)
    await scheduler.housekeeping(maker, keep)
    assert await _anonymised(db) == [child]
    later(5 * YEAR - 10)
    await scheduler.housekeeping(maker, keep)
    # (looked at again when due: the reviews above set each record's next date)
    assert await _anonymised(db) == [child]
    later(5 * YEAR + 10)
    await asyncio.gather(scheduler.housekeeping(maker, keep), scheduler.housekeeping(maker, keep))
    later(12 * YEAR)
    await scheduler.housekeeping(maker, keep)
    assert await _anonymised(db) == [child, adult]  # once each; never the open case nor the placed one

    doc = (await client.get(f"{B}/persons/{adult}/export", headers=op.headers)).json()
    p = doc["person"]
    gone = ("name", "nik", "kk", "description", "birth_date")
    assert {k: p[k] for k in gone} == dict.fromkeys(gone)
    assert p["aliases"] == [] and p["family_contacts"] == [] and p["anonymised_at"] is not None
    # What the statistics count stays: sex, birth year (an adult's: the year), region, case, outcome.
    assert (p["sex"], p["birth_year_min"], p["birth_year_max"]) == ("male", 1988, 1988)
    assert p["home_region_code"] == "21.71.06" and p["region_code"] == "21.71"
    [case] = doc["incidents"]
    assert (case["category"], case["subject"]["outcome"]) == ("GEL", "reunified")
    assert case["subject"]["name"] is None and case["subject"]["outcome_note"] is None
    assert doc["corrections"] == [] and doc["links"][0]["reasons"] == []
    async with db() as s:
        [contact] = await s.scalars(
            select(TracingContact).where(TracingContact.person_id == uuid.UUID(adult))
        )
    assert (contact.contact_name, contact.phone, contact.address, contact.note) == (ERASED, None, None, None)
    assert (contact.relation, contact.result) == ("sibling", "will_take")
    for secret in (NIK, "Joko", "Sri", "tato", "0812"):
        assert secret not in str(doc["person"]) + str(doc["incidents"]), secret
    kid = (await client.get(f"{B}/persons/{child}/export", headers=op.headers)).json()["person"]
    lo, hi = kid["birth_year_min"], kid["birth_year_max"]
    assert lo % 5 == 0 and hi % 5 == 4 and kid["name"] is None  # a child's: a five-year band
    for untouched in (still_open, placed):
        shown = (await client.get(f"{B}/persons/{untouched}", headers=op.headers)).json()
        assert shown["name"] in ("Andi", "Budi") and shown["anonymised_at"] is None
    # Logged: an event per record (no identity in it) and an audit entry by the system.
    async with db() as s:
        erased = (
            await s.scalars(
                select(AuditEntry).where(AuditEntry.action == "erase", AuditEntry.entity_type == "person")
            )
        ).all()
        [event] = (
            await s.scalars(
                select(Event).where(
                    Event.type == "person.anonymised", Event.data["person_id"].as_string() == adult
                )
            )
        ).all()
    assert sorted(str(a.entity_id) for a in erased) == sorted([adult, child])
    assert {a.actor for a in erased} == {"tanggap"}
    assert event.actor == "tanggap" and event.data["categories"] == ["GEL"] and "Joko" not in str(event.data)
    # An anonymised record is not linked, corrected or proposed again.
    r = await client.patch(
        f"{B}/persons/{adult}", json={"name": "Joko", "reason": "kembali"}, headers=op.headers
    )
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    inc = await incident(client, op, [{"name": "Joko Susilo", "sex": "male", "nik": NIK}], category="GEL")
    r = await client.post(
        f"{B}/incidents/{inc}/subjects/1/link", json={"person_id": adult}, headers=op.headers
    )
    assert r.status_code == 409
    m = (await client.get(f"{B}/incidents/{inc}/subjects/1/matches", headers=op.headers)).json()
    assert adult not in [x["person"]["id"] for x in m["matches"]]


async def test_two_workers_at_once_anonymise_each_record_once(
    client: httpx.AsyncClient,
    app: FastAPI,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    later: Callable[[float], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    op = actors["operator"]
    made = []
    for n in range(30):
        r = await client.post(f"{B}/persons", json={"name": f"Orang {n}"}, headers=op.headers)
        made.append(r.json()["id"])
    monkeypatch.setattr(retention, "BATCH", 4)  # many small passes, interleaved
    maker = app.state.sessionmaker
    later(5 * YEAR + 2)
    now = utcnow()
    counts = await asyncio.gather(
        retention.run(maker, now, Policy()),
        retention.run(maker, now, Policy()),
        retention.run(maker, now, Policy()),
    )
    assert sum(counts) == 30, counts
    assert sorted(await _anonymised(db)) == sorted(made)
    async with db() as s:
        per_person = (
            await s.execute(
                select(AuditEntry.entity_id, func.count())
                .where(AuditEntry.action == "erase")
                .group_by(AuditEntry.entity_id)
            )
        ).all()
    assert len(per_person) == 30 and {n for _, n in per_person} == {1}
    assert await retention.run(maker, now, Policy()) == 0
