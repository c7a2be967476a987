"""What a real shift does to dispatch: many crews answering at once, phones retrying, operators stepping in,
crews starting and leaving. Each test here failed on the dispatch of session 5 (deadlocks, double
bookings, stalls); they run on SQLite and PostgreSQL, where the races are real."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Offer
from app.services import dispatch
from tests import factories
from tests.conftest import Actor
from tests.dispatch_helpers import LAT, Shift, eventually, offers, pending_offer, post, settle


async def _active(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, str]]:
    """(crew, incident, status) of every offer that binds its crew: pending, or accepted and not released."""
    return [
        (o["crew_id"], o["incident_id"], o["status"])
        for o in await offers(db)
        if o["status"] in ("pending", "accepted")
    ]


def _one_job_per_crew(active: list[tuple[str, str, str]]) -> None:
    crews = [crew for crew, _, _ in active]
    assert len(crews) == len(set(crews)), f"a crew holds two jobs: {active}"


async def test_crews_declining_at_once_never_fail(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """Five crews decline their offers in the same moment: every decline is saved (no deadlock, no 5xx),
    and each incident moves on to a crew that has not declined it."""
    shift = await Shift(client, actors).start(6)
    incidents = [await shift.report(description=f"gepeng {i}") for i in range(5)]
    for i in incidents:
        await shift.verify(i)
    pending = [await pending_offer(db, i) for i in incidents]
    answers = await asyncio.gather(
        *[
            client.post(
                f"/api/v1/offers/{o['id']}/decline",
                json={"reason": "sedang isi bensin"},
                headers=shift.crew_headers[o["crew_id"]],
            )
            for o in pending
        ]
    )
    assert [r.status_code for r in answers] == [200] * 5, [r.text for r in answers if r.status_code != 200]
    assert all(r.headers["content-type"].startswith("application/json") for r in answers)
    declined = {(o["incident_id"], o["crew_id"]) for o in await offers(db, status="declined")}
    assert len(declined) == 5
    # Every incident is offered again, to someone who has not declined it.
    for i in incidents:
        again = await pending_offer(db, i)
        assert (i, again["crew_id"]) not in declined
    _one_job_per_crew(await _active(db))


async def test_available_again_while_holding_an_offer_is_refused(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """A phone retrying `available` (or a second press) while its crew holds an offer gets a 409, never a
    second offer; the crew cannot end up with two incidents."""
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    first = await shift.report(description="gepeng satu")
    await shift.verify(first)
    offer = await pending_offer(db, first)
    second = await shift.report(description="gepeng dua", location={"region_code": "21.71.06.1003"})
    await shift.verify(second)
    r = await client.post(
        f"/api/v1/crews/{crew_id}/status", json={"status": "available"}, headers=shift.crew_headers[crew_id]
    )
    assert r.status_code == 409, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["current_status"] == "offered"
    await settle(db)
    assert [o["incident_id"] for o in await offers(db, status="pending")] == [first]
    await post(client, shift.crew_headers[crew_id], f"/api/v1/offers/{offer['id']}/accept", expect=200)
    _one_job_per_crew(await _active(db))


async def test_manual_dispatch_withdraws_the_crews_other_offer(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """An operator dispatches by hand a crew that holds an offer for another incident: that offer is
    withdrawn (and goes to someone else); the crew cannot accept it any more."""
    shift = await Shift(client, actors).start(2)
    a, b = shift.ids()
    first = await shift.report(description="gepeng satu")
    await shift.verify(first)
    offer = await pending_offer(db, first)
    assert offer["crew_id"] == a
    other = await shift.report(description="orang terlantar", category="OT")
    await shift.verify(other)
    assert (await pending_offer(db, other))["crew_id"] == b
    await post(
        client,
        actors["operator"],
        f"/api/v1/incidents/{other}/dispatch",
        {"crew_id": a, "reason": "regu A paling dekat"},
        expect=200,
    )
    r = await client.post(f"/api/v1/offers/{offer['id']}/accept", headers=shift.crew_headers[a])
    assert r.status_code == 409 and r.json()["current_status"] == "withdrawn", r.text
    again = await pending_offer(db, first)
    assert again["crew_id"] == b
    _one_job_per_crew(await _active(db))


async def test_escalated_incident_is_offered_when_a_shift_starts(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """No crew on duty: a P1 is escalated. When the next shift starts, its crew is offered the P1 at once,
    without anyone touching anything."""
    shift = Shift(client, actors)
    # Far enough ahead that the report and its verification come before it on a loaded machine (2 s was
    # not, once: the shift had started, the P1 was offered at once and never escalated).
    starts = datetime.now(UTC) + timedelta(seconds=8)
    await shift.start(1, starts=starts)
    incident = await shift.report(category="ODGJ", subject={"flags": ["agitated"]})
    await shift.verify(incident)
    assert datetime.now(UTC) < starts, "the set-up took longer than the wait for the shift"

    async def escalated() -> bool:
        return bool((await shift.incident(incident))["escalated_at"])

    await eventually(escalated, what="the escalation")
    offer = await pending_offer(db, incident)
    assert offer["crew_id"] == shift.ids()[0]


async def test_incident_that_used_its_offers_is_offered_when_a_crew_is_free_again(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """Three crews decline a P1: it is escalated, and stays in the rounds. When a fourth crew comes back in
    service it is offered the P1 at once, and accepting it clears the escalation."""
    shift = await Shift(client, actors).start(4)
    fourth = shift.ids()[3]
    await post(
        client,
        shift.crew_headers[fourth],
        f"/api/v1/crews/{fourth}/status",
        {"status": "out_of_service", "reason": "ban bocor"},
        expect=200,
    )
    incident = await shift.report(category="ODGJ", subject={"flags": ["agitated"]})
    await shift.verify(incident)
    for _ in range(3):
        offer = await pending_offer(db, incident)
        await post(
            client,
            shift.crew_headers[offer["crew_id"]],
            f"/api/v1/offers/{offer['id']}/decline",
            {"reason": "tidak bisa"},
            expect=200,
        )

    async def escalated() -> dict[str, Any] | None:
        detail = await shift.incident(incident)
        return detail if detail["escalated_at"] else None

    await eventually(escalated, what="the escalation")
    await post(
        client,
        shift.crew_headers[fourth],
        f"/api/v1/crews/{fourth}/status",
        {"status": "available"},
        expect=200,
    )
    offer = await pending_offer(db, incident)
    assert offer["crew_id"] == fourth
    await post(client, shift.crew_headers[fourth], f"/api/v1/offers/{offer['id']}/accept", expect=200)
    detail = await shift.incident(incident)
    assert detail["escalated_at"] is None
    assert "incident.escalation_cleared" in [e["type"] for e in detail["timeline"]]


async def test_out_of_service_crew_stays_out_after_declining(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """A crew with a flat tyre that declines its pending offer is not put back into rotation."""
    shift = await Shift(client, actors).start(3)
    a = shift.ids()[0]
    first = await shift.report(description="gepeng satu")
    await shift.verify(first)
    offer = await pending_offer(db, first)
    assert offer["crew_id"] == a
    await post(
        client,
        shift.crew_headers[a],
        f"/api/v1/crews/{a}/status",
        {"status": "out_of_service", "reason": "ban bocor"},
        expect=200,
    )
    # Whether the offer was withdrawn when the crew went out of service, or the crew declines it now, it ends
    # with the crew out of service and the incident offered elsewhere.
    r = await client.post(
        f"/api/v1/offers/{offer['id']}/decline", json={"reason": "ban bocor"}, headers=shift.crew_headers[a]
    )
    assert r.status_code in (200, 409), r.text
    second = await shift.report(description="gepeng dua")
    await shift.verify(second)
    await pending_offer(db, second)
    await settle(db)
    assert (await shift.crew(a))["status"] == "out_of_service"
    assert a not in [o["crew_id"] for o in await offers(db, status="pending")]


async def test_crew_steps_move_the_incident_and_resolution_does_not_free_a_transporting_crew(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    phone = shift.crew_headers[crew_id]
    incident = await shift.report(category="ODGJ", subject={"flags": ["agitated"]})
    await shift.verify(incident)
    offer = await pending_offer(db, incident)
    await post(client, phone, f"/api/v1/offers/{offer['id']}/accept", expect=200)
    await post(client, phone, f"/api/v1/crews/{crew_id}/status", {"status": "en_route"}, expect=200)
    assert (await shift.incident(incident))["status"] == "en_route"
    await post(client, phone, f"/api/v1/crews/{crew_id}/status", {"status": "on_scene"}, expect=200)
    detail = await shift.incident(incident)
    assert detail["status"] == "on_scene" and detail["four_ct"]["found_at"]
    # On scene, the crew cannot declare itself free.
    r = await client.post(f"/api/v1/crews/{crew_id}/status", json={"status": "available"}, headers=phone)
    assert r.status_code == 409, r.text
    await post(client, phone, f"/api/v1/crews/{crew_id}/status", {"status": "transporting"}, expect=200)
    # The operator resolves (the RSJ admitted him) while the crew is still on the road: it stays busy.
    await post(
        client,
        actors["operator"],
        f"/api/v1/incidents/{incident}/transitions",
        {"to": "resolved", "outcome": "rsj"},
        expect=200,
    )
    assert (await shift.crew(crew_id))["status"] == "transporting"
    acted = (await shift.incident(incident))["four_ct"]["acted_at"]
    # Resolved is final for the crew: it cannot move the incident back.
    r = await client.post(f"/api/v1/incidents/{incident}/transitions", json={"to": "handling"}, headers=phone)
    assert r.status_code in (403, 409), r.text
    assert (await shift.incident(incident))["four_ct"]["acted_at"] == acted
    await post(client, phone, f"/api/v1/crews/{crew_id}/status", {"status": "available"}, expect=200)
    assert (await shift.crew(crew_id))["status"] == "available"


async def test_escalation_says_all_busy_or_nobody_qualified(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(2, skills=[["driver"], ["driver"]], vans=False)
    # A body needs body_handling and a stretcher: nobody has them.
    body = await shift.report(category="JENAZAH", subject={"flags": ["deceased"]}, description="mayat")
    await shift.verify(body)

    async def escalation(incident: str) -> dict[str, Any] | None:
        detail = await shift.incident(incident)
        found = [e for e in detail["timeline"] if e["type"] == "incident.escalated"]
        return found[0] if found else None

    nobody = await eventually(lambda: escalation(body), what="the first escalation")
    assert nobody["data"]["reason_code"] == "none_qualified"
    assert "body_handling" in nobody["data"]["reason"]
    # Both crews take a job; a third incident finds them all busy.
    for i in range(2):
        incident = await shift.report(description=f"gepeng {i}")
        await shift.verify(incident)
        offer = await pending_offer(db, incident)
        phone = shift.crew_headers[offer["crew_id"]]
        await post(client, phone, f"/api/v1/offers/{offer['id']}/accept", expect=200)
        # On scene: a crew already with its person is not diverted to a P1.
        for step in ("en_route", "on_scene"):
            await post(
                client, phone, f"/api/v1/crews/{offer['crew_id']}/status", {"status": step}, expect=200
            )
    # A P1 (a toddler alone) finds them all busy: it is escalated at once, and the reason says so.
    busy = await shift.report(category="ABT", subject={"flags": [], "approx_age": 3}, description="balita")
    await shift.verify(busy)
    waiting = await eventually(lambda: escalation(busy), what="the second escalation")
    assert waiting["data"]["reason_code"] == "all_busy"
    assert "2" in waiting["data"]["reason"]


async def test_woman_subject_prefers_a_crew_with_a_female_officer(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(2, skills=[["driver"], ["driver", "female_officer"]])
    near, with_woman = shift.ids()
    incident = await shift.report(
        category="KTK", subject={"flags": [], "sex": "female", "approx_age": 30}, description="korban KDRT"
    )
    await shift.verify(incident)
    offer = await pending_offer(db, incident)
    assert offer["crew_id"] == with_woman, near


async def test_the_database_refuses_a_second_job_for_a_crew(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """The invariant is the database's: a second pending offer (or one beside an open assignment) for the
    same crew cannot be written, whatever the code does."""
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    first = await shift.report(description="gepeng satu")
    second = await shift.report(description="gepeng dua")
    await shift.verify(first)
    offer = await pending_offer(db, first)
    now = datetime.now(UTC)
    for status in ("pending", "accepted"):
        with pytest.raises(IntegrityError):
            async with db() as session, session.begin():
                session.add(
                    Offer(
                        incident_id=uuid.UUID(second),
                        crew_id=uuid.UUID(crew_id),
                        status=status,
                        attempt=1,
                        offered_at=now,
                        expires_at=now,
                        decision={},
                    )
                )
    # Nor a second active offer for one incident.
    other = (await Shift(client, actors).start(1)).ids()[-1]
    with pytest.raises(IntegrityError):
        async with db() as session, session.begin():
            session.add(
                Offer(
                    incident_id=uuid.UUID(first),
                    crew_id=uuid.UUID(other),
                    status="accepted",
                    attempt=2,
                    offered_at=now,
                    expires_at=now,
                    decision={},
                )
            )
    assert offer["status"] == "pending"


async def test_a_p1_takes_the_crew_on_its_way_to_a_p3_which_waits_again(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """All crews busy, one only on its way to a beggar (P3): an agitated ODGJ (P1) gets that crew at once,
    and the beggar goes back to waiting for the next crew."""
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    phone = shift.crew_headers[crew_id]
    lesser = await shift.report(category="PENG", subject={"flags": []}, description="pengemis")
    await shift.verify(lesser)
    offer = await pending_offer(db, lesser)
    await post(client, phone, f"/api/v1/offers/{offer['id']}/accept", expect=200)
    await post(client, phone, f"/api/v1/crews/{crew_id}/status", {"status": "en_route"}, expect=200)
    urgent = await shift.report(category="ODGJ", subject={"flags": ["agitated"]})
    await shift.verify(urgent)

    async def diverted() -> dict[str, Any] | None:
        detail = await shift.incident(urgent)
        return detail if detail["assigned_crew_id"] == crew_id else None

    detail = await eventually(diverted, what="the diversion")
    [event] = [e for e in detail["timeline"] if e["type"] == "incident.diverted"]
    assert event["data"]["from_incident_id"] == lesser and detail["status"] == "dispatched"
    before = await shift.incident(lesser)
    assert before["status"] == "verified" and before["assigned_crew_id"] is None
    _one_job_per_crew(await _active(db))


async def test_a_p1_offer_nobody_answered_is_asked_again_after_two_minutes(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """A phone that did not answer a P1 offer (asleep, no signal) is not a "no": when no other crew can take
    the case it is asked again after 2 minutes (with a new push), not after the 10 a decline waits; the
    escalation says that a crew did not answer."""
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    incident = await shift.report(category="ODGJ", subject={"flags": ["agitated"]}, description="mengamuk")
    await shift.verify(incident)
    first = await pending_offer(db, incident)
    unanswered_at = datetime.now(UTC) + timedelta(seconds=91)
    assert await dispatch.expire_offers(db, unanswered_at) == 1
    detail = await eventually(
        lambda: _escalated(shift, incident), what="the escalation after the offer went unanswered"
    )
    assert "tidak menjawab tawaran" in detail["data"]["reason"], detail["data"]["reason"]
    await dispatch.run_due(db, now=unanswered_at + timedelta(minutes=1))
    assert await offers(db, incident_id=incident, status="pending") == []
    await dispatch.run_due(db, now=unanswered_at + timedelta(minutes=2, seconds=1))
    again = await pending_offer(db, incident)
    assert again["crew_id"] == crew_id and again["id"] != first["id"]


async def _escalated(shift: Shift, incident: str) -> dict[str, Any] | None:
    found = [e for e in (await shift.incident(incident))["timeline"] if e["type"] == "incident.escalated"]
    return found[-1] if found else None


async def test_a_case_still_in_time_takes_the_crew_of_one_already_lost_once(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """A crew on its way to a P2 it can no longer reach before its temu deadline (33 km away) is sent on to a
    P2 that it can still reach in time; the case left waits for the next crew and keeps that one (a case
    loses a crew to a diversion once), so a third case waits."""
    shift = await Shift(client, actors).start(1)
    [first_crew] = shift.ids()
    far = factories.report()["location"] | {"lat": LAT + 0.3}
    neutral = {"category": "OT", "subject": {"flags": []}, "description": "orang terlantar duduk di halte"}
    lost = await shift.report(**neutral, location=far)
    await shift.verify(lost)
    offer = await pending_offer(db, lost)
    phone = shift.crew_headers[first_crew]
    await post(client, phone, f"/api/v1/offers/{offer['id']}/accept", expect=200)
    await post(client, phone, f"/api/v1/crews/{first_crew}/status", {"status": "en_route"}, expect=200)
    savable = await shift.report(**neutral)
    await shift.verify(savable)

    async def diverted() -> dict[str, Any] | None:
        detail = await shift.incident(savable)
        return detail if detail["assigned_crew_id"] == first_crew else None

    detail = await eventually(diverted, what="the diversion")
    [event] = [e for e in detail["timeline"] if e["type"] == "incident.diverted"]
    assert event["data"]["from_incident_id"] == lost
    assert "pasti melewati target temu" in event["data"]["reason"]
    left = await shift.incident(lost)
    assert left["status"] == "verified" and left["assigned_crew_id"] is None
    # The next crew takes the case left, and keeps it when a third case comes in.
    [second_crew] = (await shift.start(1)).ids()[1:]
    offer = await pending_offer(db, lost)
    assert offer["crew_id"] == second_crew
    phone = shift.crew_headers[second_crew]
    await post(client, phone, f"/api/v1/offers/{offer['id']}/accept", expect=200)
    await post(client, phone, f"/api/v1/crews/{second_crew}/status", {"status": "en_route"}, expect=200)
    third = await shift.report(**neutral)
    await shift.verify(third)
    await settle(db)
    assert (await shift.incident(lost))["assigned_crew_id"] == second_crew
    assert (await shift.incident(third))["assigned_crew_id"] is None
    _one_job_per_crew(await _active(db))
