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
from app.models import AuditEntry, Event, Incident, IncidentNote, MatchProposal, Report
from app.models.base import utcnow
from app.services import scheduler
from app.services.persons import case_retention, proposals
from tests import factories
from tests.conftest import Actor

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
