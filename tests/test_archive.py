"""`tanggap archive events` (app/services/archive.py), on SQLite and PostgreSQL: the events of incidents that
ended before the cut-off move to `events_archive` and their timeline is served the same (same ids, same
order); an open incident, a recent one, events a reader of the log has not passed and an incident with a
webhook delivery pending stay; statistics give the same figures; a dry run and a second run change nothing;
two runs at once on PostgreSQL move each event once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.api import live as live_api
from app.db import unit_of_work
from app.models import (
    Agency,
    Event,
    EventArchive,
    EventCounter,
    Incident,
    OutboxCursor,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.models.incident import ENDED as ENDED_SQL
from app.services import archive, events
from app.services.access import Principal
from app.services.persons import case_retention
from app.services.webhooks import endpoints
from tests import factories
from tests.api.test_statistics import _get, dataset  # noqa: F401 - the fixture, used by name
from tests.conftest import Actor
from tests.test_cli import run as cli

B = "/api/v1"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=120)
CUT = NOW - timedelta(days=60)


async def _numbered(db: async_sessionmaker[AsyncSession]) -> None:
    """Every event has its seq (on PostgreSQL the live hub numbers right after the commit; wait for it)."""
    for _ in range(200):
        async with db() as s:
            if not await s.scalar(select(func.count()).select_from(Event).where(Event.seq.is_(None))):
                return
        if s.get_bind().dialect.name == "postgresql":
            assert isinstance(s.bind, AsyncEngine)
            await events.number(s.bind)
        else:  # rows added outside a unit of work (the statistics dataset): numbered as commit() would
            async with db() as s:
                value = await s.scalar(select(EventCounter.value).where(EventCounter.id == 1))
                todo = list(await s.scalars(select(Event.id).where(Event.seq.is_(None)).order_by(Event.id)))
                for n, event_id in enumerate(todo, 1):
                    await s.execute(update(Event).where(Event.id == event_id).values(seq=(value or 0) + n))
                await s.execute(update(EventCounter).values(value=(value or 0) + len(todo)))
                await s.commit()
        await asyncio.sleep(0.02)
    raise AssertionError("events left unnumbered")


async def _read_by_all(db: async_sessionmaker[AsyncSession]) -> None:
    """The readers of the log (the background webhook fan-out and match proposals) have passed every event."""
    async with db() as s:
        head = await s.scalar(select(func.max(Event.seq)))
        await s.execute(update(OutboxCursor).where(OutboxCursor.seq < head).values(seq=head))
        await s.commit()


async def _incident(client: httpx.AsyncClient, op: Actor) -> uuid.UUID:
    """A report's incident with a note (two events at least)."""
    r = await client.post(f"{B}/reports", json=factories.report(), headers=op.headers)
    assert r.status_code == 201, r.text
    inc = uuid.UUID(r.json()["incident_id"])
    r = await client.post(f"{B}/incidents/{inc}/notes", json={"text": "catatan uji"}, headers=op.headers)
    assert r.status_code == 201, r.text
    return inc


async def _age(db: async_sessionmaker[AsyncSession], inc: uuid.UUID, status: str, at: datetime) -> None:
    async with db() as s:
        await s.execute(update(Incident).where(Incident.id == inc).values(status=status, updated_at=at))
        await s.commit()


async def _timeline(client: httpx.AsyncClient, who: Actor, inc: uuid.UUID) -> list[tuple[Any, ...]]:
    r = await client.get(f"{B}/incidents/{inc}", headers=who.headers)
    assert r.status_code == 200, r.text
    return [(e["seq"], e["type"], e["occurred_at"], e["data"]) for e in r.json()["timeline"]]


async def _ids(db: async_sessionmaker[AsyncSession], model: Any, inc: uuid.UUID) -> list[int]:
    async with db() as s:
        return list(await s.scalars(select(model.id).where(model.incident_id == inc).order_by(model.seq)))


async def _count(db: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with db() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_ended_incidents_move_and_their_timeline_reads_the_same(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op, sup = actors["operator"], actors["supervisor"]
    closed = await _incident(client, op)
    rejected = await _incident(client, op)
    resolved = await _incident(client, op)
    still_open = await _incident(client, op)
    recent = await _incident(client, op)
    await _numbered(db)
    await _read_by_all(db)
    await _age(db, closed, "closed", LONG_AGO)
    await _age(db, rejected, "rejected", LONG_AGO)
    await _age(db, resolved, "resolved", LONG_AGO)  # ended too (it may be reopened: see below)
    await _age(db, still_open, "verified", LONG_AGO)  # open, however old
    await _age(db, recent, "closed", NOW - timedelta(days=10))
    before = {
        inc: await _timeline(client, sup, inc) for inc in (closed, rejected, resolved, still_open, recent)
    }
    ids = {inc: await _ids(db, Event, inc) for inc in before}
    assert all(len(v) >= 2 for v in ids.values())

    # A dry run counts and changes nothing.
    hot, cold = await _count(db, Event), await _count(db, EventArchive)
    dry = await archive.run(db, CUT, NOW, dry_run=True)
    assert (dry.incidents, dry.events) == (3, len(ids[closed]) + len(ids[rejected]) + len(ids[resolved]))
    assert (await _count(db, Event), await _count(db, EventArchive)) == (hot, cold)

    done = await archive.run(db, CUT, NOW, batch=1, by="cli:uji")
    assert (done.incidents, done.events) == (dry.incidents, dry.events) and done.batches >= 2
    for inc in (closed, rejected, resolved):
        assert await _ids(db, Event, inc) == []
        assert await _ids(db, EventArchive, inc) == ids[inc]
    for inc in (still_open, recent):
        assert await _ids(db, Event, inc) == ids[inc] and await _ids(db, EventArchive, inc) == []
    # The timeline is the same, in the same order, for whoever may read it.
    for inc, was in before.items():
        assert await _timeline(client, sup, inc) == was
    # The run is on record: counts, range, who.
    async with db() as s:
        ran = (await s.scalars(select(Event).where(Event.type == "events.archived"))).one()
    assert ran.actor == "cli:uji" and ran.incident_id is None
    assert ran.data["events"] == done.events and ran.data["incidents"] == 3
    async with db() as s:
        span = (await s.execute(select(func.min(EventArchive.seq), func.max(EventArchive.seq)))).one()
    assert (ran.data["seq_min"], ran.data["seq_max"]) == tuple(span)
    assert ran.data["before"] == CUT.isoformat()

    # Run again: nothing more moves, no second record.
    again = await archive.run(db, CUT, NOW)
    assert again.events == 0
    async with db() as s:
        assert await s.scalar(select(func.count()).where(Event.type == "events.archived")) == 1

    # The case's time is up: the free text of its archived timeline is erased too.
    async with unit_of_work(db) as s:
        case = await s.get_one(Incident, closed)
        await case_retention.anonymise(s, case, NOW, NOW)
    notes = [e[3] for e in await _timeline(client, sup, closed) if e[1] == "incident.note_added"]
    assert notes and all(n["text"] == case_retention.ERASED for n in notes)

    # Reopened after archiving (a wrongly rejected report): new events in the hot table, the old ones still
    # shown first.
    r = await client.post(
        f"{B}/incidents/{rejected}/transitions",
        json={"to": "received", "reason": "ditolak keliru"},
        headers=sup.headers,
    )
    assert r.status_code == 200, r.text
    await _numbered(db)
    after = await _timeline(client, sup, rejected)
    assert after[: len(before[rejected])] == before[rejected] and len(after) > len(before[rejected])


async def test_what_readers_still_need_stays(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    first = await _incident(client, op)
    second = await _incident(client, op)
    waiting = await _incident(client, op)
    await _numbered(db)
    await _read_by_all(db)
    for inc in (first, second, waiting):
        await _age(db, inc, "closed", LONG_AGO)
    first_ids, second_ids = await _ids(db, Event, first), await _ids(db, Event, second)
    async with db() as s:
        first_last = await s.scalar(select(func.max(Event.seq)).where(Event.incident_id == first))
        # The webhook fan-out has passed the first incident's events, the match proposals not yet.
        # A reader of the log (a row of its own: the background ones run on) has passed the first
        # incident's events, not yet the second's.
        s.add(OutboxCursor(id=3, seq=first_last))
        agency = (await s.scalars(select(Agency))).first()
        assert agency is not None
        endpoint = WebhookEndpoint(agency_id=agency.id, url="https://example.org/hook", region_code="21.71")
        s.add(endpoint)
        await s.flush()
        event = (await s.scalars(select(Event).where(Event.incident_id == waiting))).first()
        assert event is not None and event.seq is not None
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=event.id,
            event_seq=event.seq,
            event_type=event.type,
            incident_id=waiting,
            message_id=f"msg_tanggap_{event.seq}",
            payload="{}",
        )
        s.add(delivery)
        await s.commit()

    done = await archive.run(db, CUT, NOW)
    assert done.waiting == 1
    assert await _ids(db, EventArchive, first) == first_ids and await _ids(db, Event, first) == []
    assert await _ids(db, Event, second) == second_ids  # not yet read by every reader
    assert await _ids(db, EventArchive, waiting) == []  # a delivery pending

    # Once delivered, and once the readers have passed them, they go; the delivery still names its event.
    async with db() as s:
        await s.execute(update(WebhookDelivery).values(status="delivered"))
        await s.execute(update(OutboxCursor).where(OutboxCursor.id == 3).values(seq=10**9))
        await s.commit()
    done = await archive.run(db, CUT, NOW)
    assert done.events == len(second_ids) + len(await _ids(db, EventArchive, waiting))
    assert await _ids(db, Event, second) == [] and await _ids(db, Event, waiting) == []
    async with db() as s:
        moved = await s.get(EventArchive, event.id)
        assert moved is not None and moved.seq == event.seq
    # A replay of the endpoint's messages of that time still finds it (its event is in the archive now).
    admin = actors["admin"]
    principal = Principal(admin.id, admin.username, admin.role, admin.region)
    async with unit_of_work(db) as s:
        hour = timedelta(hours=1)
        assert await endpoints.replay(s, principal, endpoint.id, event.occurred_at - hour, NOW + hour) == 1


async def test_statistics_are_the_same_after_archiving(
    client: httpx.AsyncClient,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    dataset: dict[str, uuid.UUID],  # noqa: F811 - the fixture imported above
) -> None:
    admin = actors["admin"]
    await _numbered(db)
    await _read_by_all(db)
    figures = {
        name: await _get(client, admin, name, region="52.71", month="2026-10")
        for name in ("dispatch", "four-ct", "incidents")
    }
    assert figures["dispatch"]["total"]["incidents_escalated"] == 2
    # Mataram's October: every closed incident there ended before 1 November.
    done = await archive.run(db, datetime(2026, 10, 31, tzinfo=UTC), NOW)
    async with db() as s:
        escalations = await s.scalar(
            select(func.count()).select_from(EventArchive).where(EventArchive.type == "incident.escalated")
        )
    assert done.events >= 1 and (escalations or 0) >= 1  # the escalation figure now reads the archive
    for name, was in figures.items():
        assert await _get(client, admin, name, region="52.71", month="2026-10") == was, name


async def test_two_runs_at_once_move_each_event_once(
    client: httpx.AsyncClient,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent runs: PostgreSQL (SQLite has one writer)")
    op = actors["operator"]
    incs = [await _incident(client, op) for _ in range(24)]
    await _numbered(db)
    await _read_by_all(db)
    for inc in incs:
        await _age(db, inc, "closed", LONG_AGO)
    async with db() as s:
        wanted = set(await s.scalars(select(Event.id).where(Event.incident_id.in_(incs))))
    one, two = await asyncio.gather(
        archive.run(db, CUT, NOW, batch=2, by="cli:satu"), archive.run(db, CUT, NOW, batch=2, by="cli:dua")
    )
    assert one.events + two.events == len(wanted)
    assert one.incidents + two.incidents == len(incs)
    async with db() as s:
        archived = list(await s.scalars(select(EventArchive.id).where(EventArchive.incident_id.in_(incs))))
        left = await s.scalar(select(func.count()).select_from(Event).where(Event.incident_id.in_(incs)))
    assert sorted(archived) == sorted(wanted) and left == 0


async def test_a_cut_off_too_recent_is_refused(db: async_sessionmaker[AsyncSession]) -> None:
    # The walk's predicate (the partial index's) names the ended statuses.
    assert all(f"'{s}'" in ENDED_SQL.text for s in archive.ENDED) and len(archive.ENDED) == 4
    with pytest.raises(ValueError, match="terlalu baru"):
        await archive.run(db, NOW - timedelta(days=29), NOW)
    assert archive.cut_off("6m", NOW) == datetime(2026, 5, 28, 12, 0, tzinfo=UTC)
    assert archive.cut_off("2026-05-01", NOW) == datetime(2026, 5, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="tanggal"):
        archive.cut_off("kemarin", NOW)


async def test_the_live_stream_refuses_to_resume_from_before_an_archived_event(
    client: httpx.AsyncClient,
    app: FastAPI,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
) -> None:
    op = actors["operator"]
    still_open = await _incident(client, op)  # its events, older, stay in the hot table
    inc = await _incident(client, op)
    await _numbered(db)
    await _read_by_all(db)
    await _age(db, inc, "closed", LONG_AGO)
    async with db() as s:
        highest = await s.scalar(select(func.max(Event.seq)).where(Event.incident_id == inc))
        head = await s.scalar(select(func.max(Event.seq)))
    assert highest is not None and head is not None
    hub = app.state.hub
    assert await live_api._in_range(hub, highest - 1, head) is None
    await archive.run(db, CUT, NOW)
    assert await _ids(db, Event, still_open)
    # Resuming from before an archived event would miss it: the client is told to resynchronise.
    assert await hub.oldest() == highest + 1
    problem = await live_api._in_range(hub, highest - 1, head)
    assert problem is not None and "no longer kept" in problem
    assert await live_api._in_range(hub, highest, head) is None


def test_the_command_in_indonesian(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    assert cli("migrate", url=url).returncode == 0
    done = cli("archive", "events", "--before", "6m", "--dry-run", url=url)
    assert done.returncode == 0, done.stderr
    assert "peristiwa dari 0 insiden" in done.stdout and "would move" in done.stdout
    done = cli("archive", "events", "--before", "3", url=url)
    assert done.returncode == 0 and "dipindahkan ke arsip" in done.stdout
    done = cli("archive", "events", "--before", "2099-01-01", url=url)
    assert done.returncode == 1 and "terlalu baru" in done.stderr and "Traceback" not in done.stderr
    done = cli("archive", "events", "--before", "kemarin", url=url)
    assert done.returncode == 2 and "tanggal" in done.stderr
