"""The hub hands what its own numbering pass numbered straight to its clients, but only when it follows what
they already have: after another process's pass it reads the gap from the log first. Either way a client gets
every event once, in order."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import make_sessionmaker, unit_of_work
from app.live.hub import Client, Hub, from_payload, to_payload
from app.live.topics import Subscription
from app.schemas.reports import ReportCreate
from app.services import events, intake
from app.services.access import Principal
from tests import factories
from tests.conftest import Actor, truncate


async def _report(engine: AsyncEngine, principal: Principal) -> None:
    body = ReportCreate.model_validate(factories.report())
    async with unit_of_work(make_sessionmaker(engine)) as session:
        await intake.submit(session, principal, body)


async def _received(client: Client, want: int) -> list[int]:
    got: list[int] = []
    async with asyncio.timeout(10):
        while len(got) < want:
            await client.wait()
            got += [d.seq for d in client.take()]
    return got


async def test_hand_over_and_gap(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite numbers events in the commit")
    await truncate(engine)
    op = actors["operator"]
    principal = Principal(op.id, op.username, op.role, op.region)
    hub = Hub(engine, poll_seconds=30)  # no poll: only the hub's own passes and wakes move it
    await hub.start()
    try:
        client = Client(Subscription(op.id, ("21",), frozenset(), False), 100)
        assert await hub.attach(client) == 0
        await asyncio.sleep(0.5)  # the wake-up that follows LISTEN has come and gone
        read_after: list[int] = []
        reads = hub._read

        async def counting_read(after: int, upto: int | None = None) -> list[dict[str, object]]:
            rows = await reads(after, upto)
            if rows:
                read_after.append(after)
            return rows

        hub._read = counting_read  # type: ignore[method-assign]
        # This process commits: its pass numbers the two events and hands them over without a read.
        await _report(engine, principal)
        hub.committed()
        assert await _received(client, 2) == [1, 2]
        assert read_after == []
        # Another process numbers the next report's events; this hub hears nothing of it (no NOTIFY here).
        await _report(engine, principal)
        assert (await events.number(engine))[0] == 2
        # This process's next pass numbers 5-6, which do not follow 2: the hub reads 3-6 from the log.
        await _report(engine, principal)
        hub.committed()
        assert await _received(client, 4) == [3, 4, 5, 6]
        assert read_after == [2]
    finally:
        await hub.stop()


async def test_the_announcement_carries_the_events(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    """Two hubs stand for two processes: B's client gets what A numbered from A's NOTIFY, without a read,
    unless it does not follow what B has (then B reads the gap)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one process and no NOTIFY")
    await truncate(engine)
    op = actors["operator"]
    principal = Principal(op.id, op.username, op.role, op.region)
    a, b = Hub(engine, poll_seconds=30), Hub(engine, poll_seconds=30)
    await a.start()
    await b.start()
    try:
        client = Client(Subscription(op.id, ("21",), frozenset(), False), 100)
        await b.attach(client)
        await asyncio.sleep(0.5)
        read_after: list[int] = []
        reads = b._read

        async def counting_read(after: int, upto: int | None = None) -> list[dict[str, object]]:
            rows = await reads(after, upto)
            if rows:
                read_after.append(after)
            return rows

        b._read = counting_read  # type: ignore[method-assign]
        await _report(engine, principal)
        a.committed()
        assert await _received(client, 2) == [1, 2]
        assert read_after == []
        # Numbered where no hub announces it, then A numbers 5-6: B must read 3-6, not skip 3-4.
        await _report(engine, principal)
        assert (await events.number(engine))[0] == 2
        await _report(engine, principal)
        a.committed()
        assert await _received(client, 4) == [3, 4, 5, 6]
        assert read_after == [2]
        # More than a NOTIFY carries: B reads them.
        for _ in range(10):
            await _report(engine, principal)
        a.committed()
        assert await _received(client, 20) == list(range(7, 27))
        assert read_after == [2, 6]
    finally:
        await a.stop()
        await b.stop()


def test_payloads_that_cannot_be_handed_over() -> None:
    row = {
        "seq": 7,
        "type": "incident.created",
        "occurred_at": datetime.now(UTC),
        "incident_id": uuid.uuid4(),
        "crew_id": None,
        "region_code": "21.71",
        "actor_id": uuid.uuid4(),
        "actor": "op",
        "data": {"priority": 1},
    }
    assert from_payload(to_payload([row, {**row, "seq": 8}])) == [row, {**row, "seq": 8}]
    assert from_payload(to_payload([row, {**row, "seq": 9}])) is None  # a gap
    assert from_payload("not json") is None
    assert from_payload("[[1, 2]]") is None
    assert to_payload([{**row, "data": {"x": "y" * 9000}}]) == ""  # too big for a NOTIFY


async def test_fan_out_reaches_exactly_the_listeners(engine: AsyncEngine) -> None:
    """The hub finds an event's clients through its index of what they listen for: each matching client gets
    the event once (also when it listens on two of its keys), the others nothing; a detached client leaves
    no trace in the index."""
    hub = Hub(engine)
    me, crew, incident, agency = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    subs = {
        "batam": Subscription(me, ("21.71",), frozenset(), False),
        "batam-village": Subscription(me, ("21.71.06.1003",), frozenset(), False),
        "all": Subscription(me, ("",), frozenset(), False),
        "jember": Subscription(me, ("35.09",), frozenset(), False),
        "incident+region": Subscription(me, ("21",), frozenset({str(incident)}), False),
        "mine": Subscription(me, (), frozenset(), True, frozenset({str(crew)})),
        "agency": Subscription(uuid.uuid4(), (), frozenset(), False, agency_id=str(agency)),
    }
    clients = {name: Client(sub, 100) for name, sub in subs.items()}
    hub.clients.add(next(iter(clients.values())))  # attach() would read the log first
    for client in clients.values():
        await hub.attach(client)

    def row(seq: int, **values: object) -> dict[str, object]:
        base: dict[str, object] = {"seq": seq, "type": "incident.created", "occurred_at": datetime.now(UTC)}
        base |= {"incident_id": None, "crew_id": None, "actor_id": None, "region_code": None}
        return base | {"actor": "test", "data": {}} | values

    hub.head = 0
    hub._fan_out(
        [
            row(1, region_code="21.71.06.1003", incident_id=incident),
            row(2, region_code="35.09.19.1006", actor_id=me),
            row(3, region_code="21.71", crew_id=crew),
            row(4, type="referral.created", region_code="35.09", data={"agency_id": str(agency)}),
        ]
    )
    taken = {name: client.take() for name, client in clients.items()}
    got = {name: [d.seq for d in deliveries] for name, deliveries in taken.items()}
    assert got == {
        "batam": [1, 3],
        "batam-village": [1],
        "all": [1, 2, 3, 4],
        "jember": [2, 4],
        "incident+region": [1, 3],
        "mine": [2, 3],
        "agency": [4],
    }
    for name, client in clients.items():
        # Replay decides with Subscription.matches: the same rule.
        rows = [d.row for deliveries in taken.values() for d in deliveries]
        assert sorted({int(str(r["seq"])) for r in rows if subs[name].matches(r)}) == got[name], name
        hub.detach(client)
    assert hub._index == {} and hub.clients == set()


def test_a_crew_is_not_shown_the_other_crews_a_decision_weighed() -> None:
    import json

    from app.live.hub import make_delivery

    row = {
        "seq": 7,
        "type": "offer.made",
        "occurred_at": datetime(2026, 11, 29, tzinfo=UTC),
        "incident_id": uuid.uuid4(),
        "crew_id": uuid.uuid4(),
        "region_code": "21.71",
        "actor": "system",
        "data": {
            "offer_id": "o",
            "reasons": ["P1"],
            "candidates": [{"crew_id": "other", "cost_min": 12.0}],
            "refusals": {"third": {"code": "busy"}},
        },
    }
    d = make_delivery(row)
    staff, crew = json.loads(d.text_for(True)), json.loads(d.text_for(False))
    assert staff["data"]["candidates"] and staff["data"]["refusals"]
    assert "candidates" not in crew["data"] and "refusals" not in crew["data"]
    assert crew["data"]["reasons"] == ["P1"] and crew["seq"] == 7
    # An event that weighs nobody is one text for all.
    plain = make_delivery({**row, "type": "crew.on_duty", "data": {"crew": "A"}})
    assert plain.text_for(False) is plain.text_for(True)


@pytest.mark.parametrize(("role", "staff"), [("operator", True), ("supervisor", True), ("crew", False)])
async def test_only_console_staff_subscribe_as_staff(
    engine: AsyncEngine, actors: dict[str, Actor], role: str, staff: bool
) -> None:
    from app.live.topics import parse
    from app.services import live

    actor = actors[role]
    principal = Principal(actor.id, actor.username, actor.role, actor.region)
    async with make_sessionmaker(engine)() as session:
        sub = await live.subscription(session, principal, [parse("mine")])
    assert sub.staff is staff
