"""Match proposals when a report arrives (issue 14): computed after the report's commit by a reader of the
event log, stored, told on the timeline without personal data, answered through the subject. The issue's
done-when: the ODGJ reported again three months later (the server's clock moved) is proposed as the same
person with his history, confirmed, and the timeline shows it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.models import MatchProposal
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
    # Each proposal shown is an audited read (once per user, incident and hour: see the audit test below).
    r = await client.get(
        f"{B}/audit", params={"entity_id": person_id, "action": "read"}, headers=admin.headers
    )
    assert f"match proposal (incident {inc2})" in [a["purpose"] for a in r.json()]
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


async def _merge(client: httpx.AsyncClient, actor: Actor, source: str, into: str) -> None:
    r = await client.post(
        f"{B}/incidents/{source}/merge",
        json={"into_incident_id": into, "note": "laporan ganda"},
        headers=actor.headers,
    )
    assert r.status_code == 200, r.text


async def test_the_kept_incident_shows_and_answers_the_proposals_of_the_merged_ones(
    client: httpx.AsyncClient, app: FastAPI, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    joko = (
        await client.post(f"{B}/persons", json={"name": "Joko Susilo", "nik": NIK}, headers=op.headers)
    ).json()["id"]
    budi = (
        await client.post(
            f"{B}/persons", json={"name": "Budi Hartono", "approx_age": 36, "sex": "male"}, headers=op.headers
        )
    ).json()["id"]
    # Three calls about one scene: two name Joko (one with his NIK), one names Budi.
    kept = await _report(client, op, name="Joko Susilo")
    with_nik = await _report(client, op, name="Joko", nik=NIK)
    other = await _report(client, op, name="Budi Hartono")
    for made in (kept, with_nik, other):
        await _proposed(client, app, op, made["incident_id"])
    inc = kept["incident_id"]
    [before] = (await client.get(f"{B}/incidents/{inc}/proposals", headers=op.headers)).json()
    assert before["person"]["id"] == joko and before["score"] < 1.0
    await _merge(client, op, with_nik["incident_id"], inc)
    await _merge(client, op, other["incident_id"], inc)
    shown = (await client.get(f"{B}/incidents/{inc}/proposals", headers=op.headers)).json()
    # Joko once, at his best score (the NIK's, from the merged report); Budi from the other merged one.
    assert [(p["person"]["id"], p["score"], p["report_id"]) for p in shown] == [
        (joko, 1.0, with_nik["id"]),
        (budi, shown[1]["score"], other["id"]),
    ]
    assert all(p["state"] == "open" for p in shown) and await count(db, "match_proposals") == 3
    # The merged incidents show nothing any more: their proposals moved with their reports.
    assert (
        await client.get(f"{B}/incidents/{other['incident_id']}/proposals", headers=op.headers)
    ).json() == []
    # Answered on the kept incident: the subjects are made there, from the merged reports.
    r = await client.post(f"{B}/incidents/{inc}/proposals/{shown[0]['id']}/confirm", headers=op.headers)
    assert r.status_code == 200, r.text
    assert r.json()["person_id"] == joko
    r = await client.post(
        f"{B}/incidents/{inc}/proposals/{shown[1]['id']}/reject",
        json={"reason": "bukan dia"},
        headers=op.headers,
    )
    assert r.status_code == 200, r.text
    answered = (await client.get(f"{B}/incidents/{inc}/proposals", headers=op.headers)).json()
    assert [(p["person"]["id"], p["state"]) for p in answered] == [(joko, "confirmed"), (budi, "rejected")]
    # A proposal written for a report while its incident was being merged (the log's reader was late) is
    # still found through the merge.
    async with db() as session, session.begin():
        await session.execute(
            update(MatchProposal)
            .where(MatchProposal.id == uuid.UUID(shown[1]["id"]))
            .values(incident_id=uuid.UUID(other["incident_id"]))
        )
    late = (await client.get(f"{B}/incidents/{inc}/proposals", headers=op.headers)).json()
    assert [(p["person"]["id"], p["state"]) for p in late] == [(joko, "confirmed"), (budi, "rejected")]
    # A proposal of another incident is not answered here.
    lone = await _report(client, op, name="Joko Susilo", nik=NIK)
    await _proposed(client, app, op, lone["incident_id"])
    [theirs] = (await client.get(f"{B}/incidents/{lone['incident_id']}/proposals", headers=op.headers)).json()
    r = await client.post(f"{B}/incidents/{inc}/proposals/{theirs['id']}/confirm", headers=op.headers)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_a_proposed_person_is_audited_once_per_user_incident_and_hour(
    client: httpx.AsyncClient, app: FastAPI, actors: dict[str, Actor], later: Callable[[float], None]
) -> None:
    """UU PDP: every read of personal data is audited, and the subject's export lists who read his. One
    entry per person shown (searchable by the person), not one per refresh of the incident page."""
    op, admin = actors["operator"], actors["admin"]
    person = (
        await client.post(f"{B}/persons", json={"name": "Joko Susilo", "nik": NIK}, headers=op.headers)
    ).json()["id"]
    made = await _report(client, op, name="Joko", nik=NIK)
    inc = made["incident_id"]
    await _proposed(client, app, op, inc)

    async def reads() -> list[dict[str, Any]]:
        r = await client.get(
            f"{B}/audit", params={"entity_id": person, "action": "read"}, headers=admin.headers
        )
        assert r.status_code == 200, r.text
        return [a for a in r.json() if a["purpose"] == f"match proposal (incident {inc})"]

    for _ in range(3):
        assert len((await client.get(f"{B}/incidents/{inc}/proposals", headers=op.headers)).json()) == 1
    [entry] = await reads()
    assert entry["actor"] == op.username and "name" in entry["fields"] and "nik" not in entry["fields"]
    # Another user's view is his own entry; an hour and more later, the same user's is a new one.
    await client.get(f"{B}/incidents/{inc}/proposals", headers=admin.headers)
    assert len(await reads()) == 2
    later(0.1)
    await client.get(f"{B}/incidents/{inc}/proposals", headers=op.headers)
    assert [a["actor"] for a in await reads()].count(op.username) == 2
