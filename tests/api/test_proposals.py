"""Match proposals when a report arrives (issue 14): computed after the report's commit by a reader of the
event log, stored, told on the timeline without personal data, answered through the subject. The issue's
done-when: the ODGJ reported again three months later (the server's clock moved) is proposed as the same
person with his history, confirmed, and the timeline shows it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.services.persons import links, proposals
from tests import factories
from tests.conftest import Actor, count

B = "/api/v1"
# Born 1 March 1988 in Kota Batam (21.71.06), a man.
NIK = "2171060103880007"
PROPOSED = "subject.matches_proposed"


@pytest.fixture
def later() -> Iterator[Callable[[float], None]]:
    """Moves the server's clock: `later(days)` makes it that many days from now; real time again after."""

    def move(days: float) -> None:
        clock.configure(f"sim:{(datetime.now(UTC) + timedelta(days=days)).isoformat()}@1")

    yield move
    clock.configure("real")


async def _report(client: httpx.AsyncClient, actor: Actor, **subject: Any) -> dict[str, Any]:
    body = factories.report(subject={"count": 1, "approx_age": 36, "sex": "male", **subject})
    r = await client.post(f"{B}/reports", json=body, headers=actor.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _timeline(client: httpx.AsyncClient, actor: Actor, incident_id: str) -> list[dict[str, Any]]:
    r = await client.get(f"{B}/incidents/{incident_id}", headers=actor.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["timeline"])


async def _proposed(
    client: httpx.AsyncClient, app: FastAPI, actor: Actor, incident_id: str
) -> list[dict[str, Any]]:
    """Waits for the proposals' event (this test's pass, or the server's own scheduler got there first)."""
    for _ in range(100):
        await proposals.run(app.state.sessionmaker)
        found = [e for e in await _timeline(client, actor, incident_id) if e["type"] == PROPOSED]
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("no proposals event")


async def test_the_odgj_reported_again_three_months_later_is_proposed_with_his_history_and_confirmed(
    client: httpx.AsyncClient,
    app: FastAPI,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    later: Callable[[float], None],
) -> None:
    op, admin = actors["operator"], actors["admin"]
    first = await _report(client, op, name="Joko Susilo", nik=NIK)
    inc1 = first["incident_id"]
    r = await client.post(
        f"{B}/incidents/{inc1}/subjects", json={"from_report_id": first["id"]}, headers=op.headers
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{B}/incidents/{inc1}/subjects/1/person", json={"vulnerabilities": ["odgj"]}, headers=op.headers
    )
    assert r.status_code == 201, r.text
    person_id = r.json()["person_id"]
    r = await client.post(
        f"{B}/incidents/{inc1}/subjects/1/outcome", json={"outcome": "rsj"}, headers=op.headers
    )
    assert r.status_code == 200, r.text

    # Three months later (the server's clock), another caller gives the NIK and a nickname.
    later(92)
    again = await _report(client, op, name="Jack", nik=NIK, approx_age=38)
    inc2 = again["incident_id"]
    [event] = await _proposed(client, app, op, inc2)
    # Counts and scores only: no name, no NIK, no person on an event that reaches live streams.
    assert event["data"] == {
        "report_id": again["id"],
        "proposals": 1,
        "checked": 1,
        "best_score": 1.0,
        "strength": "pasti",
        "strong": 1,
        "nik_match": True,
    }
    assert event["actor"] == "tanggap"
    assert NIK not in str(event) and "Joko" not in str(event)
    listed = (await client.get(f"{B}/incidents/{inc2}/proposals", headers=op.headers)).json()
    [best] = listed
    assert best["person"]["id"] == person_id and best["strength"] == "pasti" and best["score"] == 1.0
    assert "NIK sama persis" in best["reasons"] and best["state"] == "open" and best["ordinal"] is None
    assert best["person"]["nik"] == "2171********0007"  # masked
    # His history: the first incident, where he went to the RSJ.
    assert [h["incident_id"] for h in best["history"]] == [inc1]
    # Confirmed: the report's subject is made from it and linked.
    r = await client.post(f"{B}/incidents/{inc2}/proposals/{best['id']}/confirm", headers=op.headers)
    assert r.status_code == 200, r.text
    assert r.json()["ordinal"] == 1 and r.json()["person_id"] == person_id
    again_listed = (await client.get(f"{B}/incidents/{inc2}/proposals", headers=op.headers)).json()
    assert again_listed[0]["state"] == "confirmed" and again_listed[0]["ordinal"] == 1
    kinds = [e["type"] for e in await _timeline(client, op, inc2)]
    assert kinds.index(PROPOSED) < kinds.index("subject.added") < kinds.index("person.linked")
    person = (await client.get(f"{B}/persons/{person_id}", headers=op.headers)).json()
    assert [h["incident_id"] for h in person["history"]] == [inc2, inc1]
    # Each proposal shown is an audited read.
    r = await client.get(
        f"{B}/audit", params={"entity_id": person_id, "action": "read"}, headers=admin.headers
    )
    assert "match proposal" in [a["purpose"] for a in r.json()]
    # Once: later passes find nothing new.
    assert await proposals.run(app.state.sessionmaker) == 0
    assert await count(db, "match_proposals") == 1


async def test_a_proposal_without_nik_and_a_rejection(
    client: httpx.AsyncClient, app: FastAPI, actors: dict[str, Actor], later: Callable[[float], None]
) -> None:
    op = actors["operator"]
    first = await _report(client, op, name="Muhammad Rizky", approx_age=35)
    inc1 = first["incident_id"]
    await client.post(
        f"{B}/incidents/{inc1}/subjects", json={"from_report_id": first["id"]}, headers=op.headers
    )
    r = await client.post(f"{B}/incidents/{inc1}/subjects/1/person", json={}, headers=op.headers)
    person_id = r.json()["person_id"]
    later(95)
    again = await _report(client, op, name="Mohamad Risky", approx_age=38)
    [event] = await _proposed(client, app, op, again["incident_id"])
    assert event["data"]["strength"] == "kuat" and event["data"]["nik_match"] is False
    [best] = (await client.get(f"{B}/incidents/{again['incident_id']}/proposals", headers=op.headers)).json()
    assert best["person"]["id"] == person_id and 0.65 <= best["score"] < 1.0
    r = await client.post(
        f"{B}/incidents/{again['incident_id']}/proposals/{best['id']}/reject",
        json={"reason": "wajah berbeda"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    [shown] = (await client.get(f"{B}/incidents/{again['incident_id']}/proposals", headers=op.headers)).json()
    assert shown["state"] == "rejected"
    assert "match.rejected" in [e["type"] for e in await _timeline(client, op, again["incident_id"])]
    # A crew, an operator of another province: not for them.
    crew, jember = actors["crew"], actors["operator_jember"]
    assert (
        await client.get(f"{B}/incidents/{again['incident_id']}/proposals", headers=crew.headers)
    ).status_code in (
        403,
        404,
    )
    r = await client.get(f"{B}/incidents/{again['incident_id']}/proposals", headers=jember.headers)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_matching_that_fails_never_loses_the_report(
    client: httpx.AsyncClient,
    app: FastAPI,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    op = actors["operator"]
    await client.post(f"{B}/persons", json={"name": "Joko Susilo", "nik": NIK}, headers=op.headers)

    async def broken(*_: Any) -> Any:
        raise RuntimeError("matching is down")

    monkeypatch.setattr(links, "candidates", broken)
    made = await _report(client, op, name="Joko", nik=NIK)
    for _ in range(3):
        await proposals.run(app.state.sessionmaker)
    assert await count(db, "reports") == 1 and await count(db, "match_proposals") == 0
    kinds = [e["type"] for e in await _timeline(client, op, made["incident_id"])]
    assert PROPOSED not in kinds and "report.received" in kinds
    # The reader went on: the next report is matched once matching works again.
    monkeypatch.undo()
    later = await _report(client, op, name="Joko", nik=NIK)
    await _proposed(client, app, op, later["incident_id"])


async def test_several_workers_propose_once(
    client: httpx.AsyncClient, app: FastAPI, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    await client.post(f"{B}/persons", json={"name": "Joko Susilo", "nik": NIK}, headers=op.headers)
    made = [await _report(client, op, name="Joko", nik=NIK) for _ in range(3)]
    maker = app.state.sessionmaker
    await asyncio.gather(*(proposals.run(maker) for _ in range(4)))
    for m in made:
        await _proposed(client, app, op, m["incident_id"])
    assert await count(db, "match_proposals") == 3
    for m in made:
        kinds = [e["type"] for e in await _timeline(client, op, m["incident_id"])]
        assert kinds.count(PROPOSED) == 1
