"""Retention of closed cases through housekeeping, with the server's clock moved years ahead (app/clock.py),
on SQLite and PostgreSQL: the reporter's name and phone, the subject's name and NIK, the description, the
address, notes and the free text of the timeline go when the case's time is up (a child's case sooner, a
health case before an ordinary one), the statistics stay, an open case is never touched, a second run does
nothing and two workers at once anonymise each case once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.models import (
    AuditEntry,
    Event,
    Handover,
    Incident,
    IncidentNote,
    MatchProposal,
    Report,
    TracingContact,
)
from app.models.base import utcnow
from app.services import scheduler
from app.services.persons import case_retention, proposals
from tests import factories
from tests.conftest import Actor
from tests.facilities.helpers import admit, facility, incident, unit

B = "/api/v1"
YEAR = 365.25
NIK = "2171060103880007"


@pytest.fixture
def later() -> Iterator[Callable[[float], None]]:
    def move(days: float) -> None:
        clock.configure(f"sim:{(datetime.now(UTC) + timedelta(days=days)).isoformat()}@1")

    yield move
    clock.configure("real")


async def _case(client: httpx.AsyncClient, op: Actor, category: str, **subject: Any) -> str:
    body = factories.report(
        category=category,
        description="Pak Darto, tetangga saya di Jl. Mawar 3, mengamuk lagi",
        reporter={"name": "Siti Aminah", "phone": "0812-3456-7890"},
        subject={"count": 1, "sex": "male", "approx_age": 40, "name": "Darto", "nik": NIK, **subject},
    )
    r = await client.post(f"{B}/reports", json=body, headers=op.headers)
    assert r.status_code == 201, r.text
    inc = str(r.json()["incident_id"])
    r = await client.post(
        f"{B}/incidents/{inc}/notes", json={"text": "adiknya, Bu Rina, bisa dihubungi"}, headers=op.headers
    )
    assert r.status_code == 201, r.text
    return inc


async def _close(db: async_sessionmaker[AsyncSession], inc: str) -> None:
    async with db() as s:
        now = utcnow()
        await s.execute(
            update(Incident)
            .where(Incident.id == uuid.UUID(inc))
            .values(status="closed", acted_at=now, completed_at=now, updated_at=now)
        )
        await s.commit()


async def _reports(db: async_sessionmaker[AsyncSession], inc: str) -> list[Report]:
    async with db() as s:
        return list(await s.scalars(select(Report).where(Report.incident_id == uuid.UUID(inc))))


async def _reasons(db: async_sessionmaker[AsyncSession], inc: str) -> list[list[str]]:
    async with db() as s:
        return list(
            await s.scalars(select(MatchProposal.reasons).where(MatchProposal.incident_id == uuid.UUID(inc)))
        )


async def _anonymised(db: async_sessionmaker[AsyncSession]) -> list[str]:
    async with db() as s:
        rows = await s.scalars(select(Event).where(Event.type == "incident.anonymised").order_by(Event.id))
        return [str(e.incident_id) for e in rows]


async def test_a_closed_case_s_reporter_and_free_text_go_when_its_time_is_up(
    client: httpx.AsyncClient,
    app: FastAPI,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    later: Callable[[float], None],
) -> None:
    op, admin = actors["operator"], actors["admin"]
    maker = app.state.sessionmaker
    keep = scheduler.Retention()  # the defaults: 5 years, children 2, health 3
    # Known already: each report about him gets a proposal, whose reasons quote the names.
    r = await client.post(f"{B}/persons", json={"name": "Darto", "nik": NIK}, headers=op.headers)
    assert r.status_code == 201, r.text
    adult = await _case(client, op, "GEL")
    odgj = await _case(client, op, "ODGJ")
    child = await _case(client, op, "AJ", approx_age=12, name="Andi", nik=None)
    still_open = await _case(client, op, "GEL")
    for inc in (adult, odgj, child):
        await _close(db, inc)
    while [] in (await _reasons(db, adult), await _reasons(db, odgj)):
        await proposals.run(maker)
        await asyncio.sleep(0.05)

    later(1.9 * YEAR)
    await scheduler.housekeeping(maker, keep)
    assert await _anonymised(db) == []
    later(2.1 * YEAR)
    await scheduler.housekeeping(maker, keep)
    assert await _anonymised(db) == [child]
    later(3.1 * YEAR)
    await scheduler.housekeeping(maker, keep)
    assert await _anonymised(db) == [child, odgj]
    assert await _reasons(db, odgj) == [[]] and "NIK sama persis" in (await _reasons(db, adult))[0]
    later(5.1 * YEAR)
    # Two workers at once: each case once; the open one never.
    await asyncio.gather(scheduler.housekeeping(maker, keep), scheduler.housekeeping(maker, keep))
    await scheduler.housekeeping(maker, keep)
    assert await _anonymised(db) == [child, odgj, adult]

    for inc in (adult, odgj, child):
        [report] = await _reports(db, inc)
        assert (report.reporter_name, report.reporter_phone, report.subject_name, report.subject_nik) == (
            None,
            None,
            None,
            None,
        )
        assert report.description == case_retention.ERASED and report.address is None
        # The statistics stay: category, place, times.
        assert report.category in ("GEL", "ODGJ", "AJ") and report.region_code == factories.BATAM_VILLAGE
        assert report.landmark == "simpang Jodoh" and report.received_at is not None
        async with db() as s:
            notes = list(
                await s.scalars(select(IncidentNote.text).where(IncidentNote.incident_id == uuid.UUID(inc)))
            )
            assert notes == [case_retention.ERASED]
            timeline = list(await s.scalars(select(Event).where(Event.incident_id == uuid.UUID(inc))))
            assert "Rina" not in str([e.data for e in timeline])
            incident = await s.get_one(Incident, uuid.UUID(inc))
            assert incident.anonymised_at is not None and incident.status == "closed"
    [open_report] = await _reports(db, still_open)
    assert open_report.reporter_name == "Siti Aminah" and "Darto" in open_report.description
    # Logged: an audit entry naming the fields, an event on the case's timeline (no personal data).
    async with db() as s:
        erased = list(
            await s.scalars(
                select(AuditEntry).where(AuditEntry.action == "erase", AuditEntry.entity_type == "incident")
            )
        )
    assert len(erased) == 3
    assert {"reporter_name", "reporter_phone", "description"} <= set(erased[0].fields)
    r = await client.get(f"{B}/incidents/{adult}", headers=admin.headers)
    [event] = [e for e in r.json()["timeline"] if e["type"] == "incident.anonymised"]
    assert "Siti" not in str(event) and "Darto" not in str(event)
    # Nothing more to do.
    assert await case_retention.run(maker, utcnow(), keep.persons) == 0


RECEIVER = {
    "receiver_name": "Siti Aminah",
    "receiver_relation": "parent",
    "receiver_nik": "2171065505800002",
    "receiver_phone": "0812-7000-1234",
    "receiver_address": "Jl. Mawar 3, Sei Harapan, Sekupang",
    "receiver_region_code": "21.71.01",
}


async def test_family_contacts_receipts_reasons_and_coordinates_go_unless_someone_is_still_placed(
    client: httpx.AsyncClient,
    app: FastAPI,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    later: Callable[[float], None],
) -> None:
    op, sup = actors["operator"], actors["supervisor"]
    maker = app.state.sessionmaker
    keep = scheduler.Retention()
    shelter = await facility(client, sup)
    kid = [{"name": "Andi", "sex": "male", "approx_age": 10}]
    home, placed = await incident(client, op, kid), await incident(client, op, kid)
    for inc in (home, placed):
        for step in ("verified", "dispatched", "en_route", "on_scene", "handling"):
            r = await client.post(
                f"{B}/incidents/{inc}/transitions",
                json={"to": step, "reason": "ditelepon Bu Rina, tetangganya"},
                headers=op.headers,
            )
            assert r.status_code == 200, r.text
        r = await client.post(
            f"{B}/incidents/{inc}/subjects/1/tracing",
            json={
                "contact_name": "Pak Joko",
                "relation": "relative",
                "phone": "0812-1111-2222",
                "address": "Jl. Melati 7",
                "method": "phone",
                "result": "will_take",
                "note": "pamannya, kerja di pasar",
            },
            headers=op.headers,
        )
        assert r.status_code == 201, r.text
    r = await client.post(f"{B}/incidents/{home}/subjects/1/handover", json=RECEIVER, headers=op.headers)
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_number"]
    assert (await admit(client, op, placed, 1, unit(shelter, "Anak Putra"))).status_code == 201
    for inc in (home, placed):
        await _close(db, inc)

    later(2.1 * YEAR)  # a child's case: two years
    await scheduler.housekeeping(maker, keep)
    assert await _anonymised(db) == [home]
    assert all((r.lat, r.lon) == (None, None) for r in await _reports(db, home))
    async with db() as s:
        contacts = {
            str(c.incident_id): c
            for c in await s.scalars(
                select(TracingContact).where(
                    TracingContact.incident_id.in_([uuid.UUID(home), uuid.UUID(placed)])
                )
            )
        }
        gone = contacts[home]
        assert (gone.contact_name, gone.phone, gone.address, gone.note) == (
            case_retention.ERASED,
            None,
            None,
            None,
        )
        # What the statistics count stays: relation, method, result.
        assert (gone.relation, gone.method, gone.result) == ("relative", "phone", "will_take")
        [handover] = await s.scalars(select(Handover).where(Handover.incident_id == uuid.UUID(home)))
        assert (handover.receiver_name, handover.receiver_nik, handover.receiver_phone) == (
            case_retention.ERASED,
            None,
            None,
        )
        assert handover.receiver_address == case_retention.ERASED and handover.receipt_number == receipt
        assert handover.receiver_region_code == "21.71.01"
        events_ = list(await s.scalars(select(Event).where(Event.incident_id == uuid.UUID(home))))
        assert "Rina" not in str([e.data for e in events_]) and "Joko" not in str([e.data for e in events_])
        # A reason's key stays on a status change (the change itself is the statistics), its text goes.
        assert any(e.data.get("reason") == case_retention.ERASED for e in events_)
        incident_ = await s.get_one(Incident, uuid.UUID(home))
        assert (incident_.lat, incident_.lon) == (
            None,
            None,
        ) and incident_.region_code == factories.BATAM_VILLAGE
        [erased] = await s.scalars(select(AuditEntry).where(AuditEntry.entity_id == uuid.UUID(home)))
        assert {"coordinates", "family_tracing", "handover_receiver"} <= set(erased.fields)
        # Someone still placed: nothing of that case is touched, years later too.
        kept = contacts[placed]
        assert (kept.contact_name, kept.note) == ("Pak Joko", "pamannya, kerja di pasar")
        still = await s.get_one(Incident, uuid.UUID(placed))
        assert still.anonymised_at is None and still.lat is not None
    later(6 * YEAR)
    await scheduler.housekeeping(maker, keep)
    assert await _anonymised(db) == [home]
    async with db() as s:
        placed_events = list(await s.scalars(select(Event).where(Event.incident_id == uuid.UUID(placed))))
        assert "Rina" in str([e.data for e in placed_events])
