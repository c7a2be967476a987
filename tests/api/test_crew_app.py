"""The crew's phone as a client: /me, its offers and its job, steps sent late with the phone's time, retries
that answer like the first time, the contacts it needs while (and only while) it works the case, and Web
Push to a phone that is asleep, delivered to a local push service that decrypts it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import AuditEntry, PushMessage, PushSubscription
from tests.conftest import Actor
from tests.dispatch_helpers import Shift, eventually, pending_offer, post
from tests.pushservice import push_service


async def _take(
    shift: Shift, db: async_sessionmaker[AsyncSession], **report: Any
) -> tuple[str, str, dict[str, str]]:
    """A verified incident offered to the shift's first crew, accepted by its phone."""
    incident = await shift.report(**report)
    await shift.verify(incident)
    offer = await pending_offer(db, incident)
    phone = shift.crew_headers[offer["crew_id"]]
    await post(shift.client, phone, f"/api/v1/offers/{offer['id']}/accept", expect=200)
    return incident, offer["crew_id"], phone


async def test_me_offers_and_assignment(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    phone = shift.crew_headers[crew_id]
    me = (await client.get("/api/v1/me", headers=phone)).json()
    assert me["crew"]["id"] == crew_id and me["shift"]["on_duty"] and me["team"]["timezone"] == "Asia/Jakarta"
    incident = await shift.report(category="ODGJ", subject={"flags": ["agitated"]})
    await shift.verify(incident)
    offer = await pending_offer(db, incident)
    [mine] = (await client.get("/api/v1/me/offers", headers=phone)).json()
    assert mine["id"] == offer["id"] and mine["incident"]["priority"] == 1
    assert "phone" not in str(mine["incident"]) and mine["expires_at"]
    # Before the crew takes it, its members see the contacts masked.
    masked = (await client.get(f"/api/v1/incidents/{incident}", headers=phone)).json()
    assert masked["reports"][0]["reporter"]["phone"] == "+62812****7890"
    # Why this crew, in words, but not the other crews it was weighed against (the operator sees those).
    [made] = [e for e in masked["timeline"] if e["type"] == "offer.made"]
    assert made["data"]["reasons"] and "candidates" not in made["data"] and "refusals" not in made["data"]
    operator = actors["operator"].headers
    staff = (await client.get(f"/api/v1/incidents/{incident}", headers=operator)).json()
    [made] = [e for e in staff["timeline"] if e["type"] == "offer.made"]
    assert made["data"]["candidates"][0]["crew_id"] == crew_id
    assert (await client.get("/api/v1/me/assignment", headers=phone)).json() == {
        "offer": None,
        "incident": None,
    }
    await post(client, phone, f"/api/v1/offers/{offer['id']}/accept", expect=200)
    job = (await client.get("/api/v1/me/assignment", headers=phone)).json()
    assert job["offer"]["id"] == offer["id"] and job["incident"]["id"] == incident
    # The assigned crew can call the person who reported the ODGJ; the read is on the audit trail.
    assert job["incident"]["reports"][0]["reporter"]["phone"] == "+6281234567890"
    async with db() as session:
        audited = (
            await session.scalars(select(AuditEntry).where(AuditEntry.purpose == "assigned crew"))
        ).all()
    assert audited and audited[0].actor_role == "crew" and "reporter_phone" in audited[0].fields
    for step in ("en_route", "on_scene"):
        await post(client, phone, f"/api/v1/crews/{crew_id}/status", {"status": step}, expect=200)
    await post(
        client,
        phone,
        f"/api/v1/incidents/{incident}/transitions",
        {"to": "resolved", "outcome": "rsj"},
        expect=200,
    )
    await post(client, phone, f"/api/v1/crews/{crew_id}/status", {"status": "available"}, expect=200)
    # Done with the case: masked again.
    assert (await client.get("/api/v1/me/assignment", headers=phone)).json()["incident"] is None
    after = (await client.get(f"/api/v1/incidents/{incident}", headers=phone)).json()
    assert after["reports"][0]["reporter"]["phone"] == "+62812****7890"


async def test_steps_sent_late_keep_the_phones_time_and_retries_answer_like_the_first(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(1)
    now = datetime.now(UTC)
    reported = (now - timedelta(minutes=10)).isoformat()
    incident, crew_id, phone = await _take(
        shift, db, category="ODGJ", subject={"flags": ["agitated"]}, received_at=reported
    )
    arrived = now - timedelta(minutes=3)
    # No signal at the scene: the step is sent three minutes later, with the time it was taken.
    status = f"/api/v1/crews/{crew_id}/status"
    body = {"status": "on_scene", "at": arrived.isoformat()}
    key = {"Idempotency-Key": f"step-{uuid.uuid4()}"}
    first = await client.post(status, json=body, headers={**phone, **key})
    assert first.status_code == 200, first.text
    detail = await shift.incident(incident)
    assert detail["status"] == "on_scene"
    assert abs(datetime.fromisoformat(detail["four_ct"]["found_at"]) - arrived) < timedelta(seconds=1)
    [moved] = [
        e
        for e in detail["timeline"]
        if e["type"] == "incident.status_changed" and e["data"]["after"] == "on_scene"
    ]
    assert moved["data"]["client_at"] and moved["occurred_at"] > moved["data"]["client_at"]
    # The phone did not get the answer and sends again: the same answer, nothing done twice.
    again = await client.post(status, json=body, headers={**phone, **key})
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["status"] == first.json()["status"] == "on_scene"
    # The same key with another body is refused; a clock far ahead is refused.
    r = await client.post(status, json={"status": "transporting"}, headers={**phone, **key})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        status,
        json={"status": "transporting", "at": (now + timedelta(minutes=10)).isoformat()},
        headers=phone,
    )
    assert r.status_code == 422 and "jam" in r.json()["detail"]
    timeline = (await shift.incident(incident))["timeline"]
    assert (
        len(
            [
                e
                for e in timeline
                if e["type"] == "incident.status_changed" and e["data"]["after"] == "on_scene"
            ]
        )
        == 1
    )


async def test_a_sleeping_phone_gets_a_p1_offer_by_push_and_accepts_with_a_retried_timestamped_request(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    phone = shift.crew_headers[crew_id]
    key = (await client.get("/api/v1/me/push/key", headers=phone)).json()["application_server_key"]
    async with push_service() as service:
        service.expected_key = key
        asleep, gone = service.device(), service.device()
        asleep.script.append(500)  # the push service fails once: the sender retries
        gone.script.append(410)  # an old phone that unsubscribed
        for device in (asleep, gone):
            await post(client, phone, "/api/v1/me/push-subscriptions", device.subscription(), expect=201)
        # A subscription elsewhere than a push service on the allow-list is refused.
        bad = {**asleep.subscription(), "endpoint": "http://10.1.2.3/push/x"}
        r = await client.post("/api/v1/me/push-subscriptions", json=bad, headers=phone)
        assert r.status_code == 422
        incident = await shift.report(category="ODGJ", subject={"flags": ["agitated"]})
        await shift.verify(incident)
        [push] = await service.wait_for(1, asleep)
    offer = await pending_offer(db, incident)
    assert push.payload["type"] == "offer" and push.payload["offer_id"] == offer["id"]
    assert push.payload["title"].startswith("Tawaran P1") and "Jawab sebelum" in push.payload["body"]
    assert push.urgency == "high" and 0 < push.ttl <= 90 and push.vapid_sub.startswith("mailto:")
    assert [a.answered for a in service.arrivals if a.device == asleep.id] == [500, 201]

    async def gone_removed() -> bool:
        async with db() as session:
            left = (await session.scalars(select(PushSubscription.endpoint))).all()
        return list(left) == [asleep.endpoint]

    await eventually(gone_removed, what="the gone subscription removed")
    # The phone wakes and accepts with the time the crew pressed the button; the answer is lost on the way
    # and the phone retries with the same key: one acceptance, the same answer.
    pressed = datetime.now(UTC) - timedelta(seconds=5)
    headers = {**phone, "Idempotency-Key": f"accept-{offer['id']}"}
    body = {"at": pressed.isoformat()}
    first = await client.post(f"/api/v1/offers/{offer['id']}/accept", json=body, headers=headers)
    retry = await client.post(f"/api/v1/offers/{offer['id']}/accept", json=body, headers=headers)
    assert first.status_code == retry.status_code == 200, first.text
    assert retry.headers["idempotent-replayed"] == "true" and retry.json() == first.json()
    assert abs(datetime.fromisoformat(first.json()["answered_at_client"]) - pressed) < timedelta(seconds=1)
    assert (await shift.incident(incident))["status"] == "dispatched"


async def test_supervisors_get_escalations_by_push(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    shift = await Shift(client, actors).start(1, skills=[["driver"]], vans=False)
    sup = actors["supervisor"]
    async with push_service() as service:
        device = service.device()
        await post(client, sup, "/api/v1/me/push-subscriptions", device.subscription(), expect=201)
        body = await shift.report(category="JENAZAH", subject={"flags": ["deceased"]}, description="mayat")
        await shift.verify(body)
        [push] = await service.wait_for(1, device)
    assert push.payload["type"] == "escalation" and push.payload["incident_id"] == body
    assert "penanganan jenazah" in push.payload["body"]


async def test_a_push_service_redirect_is_not_followed(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """A push endpoint that answers 307 towards another address does not get the server to post there
    (a blind SSRF): the push fails, nothing reaches the redirect's target."""
    shift = await Shift(client, actors).start(1)
    [crew_id] = shift.ids()
    phone = shift.crew_headers[crew_id]
    async with push_service() as service:
        redirecting, target = service.device(), service.device()
        redirecting.script.append(("redirect", target.endpoint))
        await post(client, phone, "/api/v1/me/push-subscriptions", redirecting.subscription(), expect=201)
        incident = await shift.report(category="ODGJ", subject={"flags": ["agitated"]})
        await shift.verify(incident)
        await pending_offer(db, incident)

        async def failed() -> bool:
            async with db() as session:
                status = (await session.scalars(select(PushMessage.status))).all()
            return list(status) == ["failed"]

        await eventually(failed, what="the redirected push marked failed")
    assert [a.answered for a in service.arrivals] == [307]
