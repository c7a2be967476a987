"""Outgoing webhooks to a real receiver on 127.0.0.1 that verifies every signature with `standardwebhooks`:
delivery on verification, failures retried in order, Retry-After, 410, exhausted retries, personal data
only when allowed, secret rotation, redelivery and replay, SSRF refusals."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import AuditEntry, Event, WebhookAttempt, WebhookDelivery
from app.services.webhooks import ssrf
from tests.conftest import Actor
from tests.receiver import receiver
from tests.servers import free_port
from tests.webhooks.helpers import call, police, verified_incident, wire_police


async def test_verified_incident_reaches_the_police_signed_and_without_personal_data(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    async with receiver() as rec:
        agency, endpoint = await wire_police(client, actors, rec)
        incident_id = await verified_incident(client, actors, subject={"count": 1, "name": "Pak Darto"})
        [msg] = await rec.wait_for(1)
        assert msg.verified
        assert msg.body["type"] == "referral.created"
        data = msg.body["data"]
        assert data["incident"]["id"] == incident_id
        assert data["incident"]["category"] == "OT"
        assert data["incident"]["region_code"] == "21.71.06.1003"
        assert data["agency_id"] == agency["id"]
        assert data["referral"]["status"] == "pending"
        # The reporter's and the subject's names stay home: the endpoint was allowed none.
        assert "personal_data" not in data
        assert "Siti" not in str(msg.body) and "Darto" not in str(msg.body)
        assert msg.message_id == f"msg_tanggap_{data['event_seq']}"
        deliveries = await _recorded(client, actors["supervisor"], endpoint["id"], ["delivered"])
        detail = await call(
            client, actors["supervisor"], "GET", f"/webhooks/deliveries/{deliveries[0]['id']}"
        )
        assert [a["status_code"] for a in detail["attempt_log"]] == [204]
        assert detail["attempt_log"][0]["latency_ms"] >= 0


async def test_failures_are_retried_and_messages_arrive_in_order(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    async with receiver() as rec:
        # 500, then a hang past the sender's 1.5 s timeout, then 502: the first message needs four attempts.
        rec.script.extend([500, ("hang", 5), 502])
        await wire_police(client, actors, rec)
        first = await verified_incident(client, actors)
        second = await verified_incident(client, actors)
        # A change to the first incident while its referral is still being retried.
        await call(
            client,
            actors["operator"],
            "PATCH",
            f"/incidents/{first}",
            {"priority": 1, "reason": "lapor ulang: makin lemah"},
        )
        got = await rec.wait_for(3, within=30)
        kinds = [(m.body["type"], m.body["data"]["incident"]["id"]) for m in got]
        assert kinds == [
            ("referral.created", first),
            ("referral.created", second),
            ("incident.priority_changed", first),
        ]
        seqs = [m.body["data"]["event_seq"] for m in got]
        assert seqs == sorted(seqs)
        # Each message arrived once with a 2xx; the failed answers were all for the first one (the hung
        # request is recorded by the receiver only when it ends).
        failed = [r for r in rec.received if r.answered >= 300]
        assert {r.message_id for r in failed} == {got[0].message_id}
    async with db() as session:
        attempts = (await session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id))).all()
    codes = [a.status_code for a in attempts]
    assert codes[:4] == [500, None, 502, 204]
    assert attempts[1].error == "timed out"
    assert attempts[0].response_excerpt == "ok"


async def test_connection_refused_until_the_receiver_comes_up(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    port = free_port()
    async with receiver(port) as placeholder:
        url_holder = placeholder
        await wire_police(client, actors, url_holder)
    # Nothing listens on the port now.
    await verified_incident(client, actors)
    await asyncio.sleep(1.0)
    async with db() as session:
        errors = [a.error for a in (await session.scalars(select(WebhookAttempt))).all()]
    assert errors and all(e and "ConnectError" in e for e in errors)
    async with receiver(port) as rec:
        rec.secrets.extend(url_holder.secrets)
        [msg] = await rec.wait_for(1, within=15)
        assert msg.verified and msg.body["type"] == "referral.created"


async def test_retry_after_is_honoured(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    async with receiver() as rec:
        rec.script.append(("retry_after", 2))
        await wire_police(client, actors, rec)
        await verified_incident(client, actors)
        await rec.wait_for(1, within=15)
        refused, accepted = rec.received
        assert refused.answered == 503 and accepted.answered == 204
        # The schedule says 0.2 s; the receiver asked for 2 s (the timestamps are whole seconds).
        assert accepted.timestamp - refused.timestamp >= 1


async def test_410_disables_the_endpoint_and_enabling_it_resumes_in_order(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    async with receiver() as rec:
        rec.script.append(410)
        _, endpoint = await wire_police(client, actors, rec)
        first = await verified_incident(client, actors)
        await _until(lambda: len(rec.received) == 1)
        sup = actors["supervisor"]
        await _until_endpoint(client, sup, endpoint["id"], enabled=False)
        second = await verified_incident(client, actors)
        await asyncio.sleep(0.8)
        assert len(rec.received) == 1  # a disabled endpoint gets nothing
        state = await call(client, sup, "GET", f"/webhooks/{endpoint['id']}")
        assert "410" in state["disabled_reason"]
        async with db() as session:
            told = (
                await session.scalars(select(Event).where(Event.type == "webhook.endpoint_disabled"))
            ).all()
        assert len(told) == 1 and told[0].region_code == "21.71"
        await call(client, sup, "PATCH", f"/webhooks/{endpoint['id']}", {"enabled": True})
        got = await rec.wait_for(2, within=15)
        assert [m.body["data"]["incident"]["id"] for m in got] == [first, second]


async def test_a_message_that_exhausts_its_retries_fails_and_disables_the_endpoint(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    async with receiver() as rec:
        rec.script.extend([500] * 5)  # the first attempt and the four retries of the test schedule
        _, endpoint = await wire_police(client, actors, rec)
        await verified_incident(client, actors)
        sup = actors["supervisor"]
        state = await _until_endpoint(client, sup, endpoint["id"], enabled=False, within=15)
        assert "failed 5 attempts" in state["disabled_reason"]
        [delivery] = await _recorded(client, sup, endpoint["id"], ["failed"])
        assert delivery["status"] == "failed" and delivery["attempts"] == 5
        # Redelivered by hand once the receiver is fixed: same webhook-id.
        await call(client, sup, "PATCH", f"/webhooks/{endpoint['id']}", {"enabled": True})
        copy = await call(client, sup, "POST", f"/webhooks/deliveries/{delivery['id']}/redeliver", expect=202)
        assert copy["message_id"] == delivery["message_id"] and copy["origin"] == "redelivery"
        [msg] = await rec.wait_for(1)
        assert msg.message_id == delivery["message_id"]


async def test_personal_data_goes_only_where_allowed_and_is_audited(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    async with receiver() as rec:
        _, endpoint = await wire_police(client, actors, rec, endpoint={"personal_data": ["subject_name"]})
        await verified_incident(
            client, actors, subject={"count": 1, "name": "Pak Darto", "nik": "2171010101700001"}
        )
        [msg] = await rec.wait_for(1)
        assert msg.body["data"]["personal_data"] == {"subject_name": "Pak Darto"}
        assert "2171010101700001" not in str(msg.body) and "Siti" not in str(msg.body)
    async with db() as session:
        disclosed = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "disclose"))).all()
    assert [(a.fields, a.actor_role) for a in disclosed] == [(["subject_name"], "system")]
    assert disclosed[0].actor == f"webhook:{endpoint['id']}"


async def test_secret_rotation_signs_with_both_secrets_during_the_overlap(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    async with receiver() as rec:
        _, endpoint = await wire_police(client, actors, rec)
        old = rec.secrets[0]
        sup = actors["supervisor"]
        rotated = await call(
            client, sup, "POST", f"/webhooks/{endpoint['id']}/rotate-secret", {"overlap_seconds": 3600}
        )
        assert rotated["secret"].startswith("whsec_") and rotated["secret"] != old
        await verified_incident(client, actors)
        [msg] = await rec.wait_for(1)
        assert len(msg.signature.split(" ")) == 2
        # A receiver holding only the old secret, or only the new one, accepts it.
        for secret in (old, rotated["secret"]):
            rec.secrets[:] = [secret]
            await verified_incident(client, actors)
        assert all(m.verified for m in await rec.wait_for(3))
        # Rotating with no overlap: the old secret no longer signs.
        again = await call(
            client, sup, "POST", f"/webhooks/{endpoint['id']}/rotate-secret", {"overlap_seconds": 0}
        )
        rec.secrets[:] = [old, rotated["secret"]]
        await verified_incident(client, actors)
        await asyncio.sleep(1.0)
        assert not rec.received[-1].verified
        rec.secrets[:] = [again["secret"]]
        await rec.wait_for(4, within=15)


async def test_replay_of_a_time_range_resends_in_order_with_the_same_ids(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    async with receiver() as rec:
        _, endpoint = await wire_police(client, actors, rec)
        since = datetime.now(UTC) - timedelta(seconds=1)
        await verified_incident(client, actors)
        await verified_incident(client, actors)
        first = await rec.wait_for(2)
        queued = await call(
            client,
            actors["supervisor"],
            "POST",
            f"/webhooks/{endpoint['id']}/replay",
            {"since": since.isoformat(), "until": datetime.now(UTC).isoformat()},
            expect=202,
        )
        assert queued == {"queued": 2}
        again = await rec.wait_for(4)
        assert [m.message_id for m in again[2:]] == [m.message_id for m in first]


async def test_private_loopback_and_link_local_targets_are_refused(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    agency = await police(client, actors)
    sup = actors["supervisor"]
    for url in (
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.2:8080/hook",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://user:pw@127.0.0.1/hook",
    ):
        r = await client.post(
            f"/api/v1/agencies/{agency['id']}/webhooks", json={"url": url}, headers=sup.headers
        )
        assert r.status_code == 422, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert "refused" in r.json()["detail"]
    r = await client.post(
        f"/api/v1/agencies/{agency['id']}/webhooks", json={"url": "ftp://example.org/x"}, headers=sup.headers
    )
    assert r.status_code == 422
    async with db() as session:
        assert (await session.scalars(select(WebhookDelivery))).all() == []


async def test_unknown_event_filters_and_foreign_agencies_are_refused(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    agency = await police(client, actors)
    sup = actors["supervisor"]
    r = await client.post(
        f"/api/v1/agencies/{agency['id']}/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["offer.made"]},
        headers=sup.headers,
    )
    assert r.status_code == 422 and "offer.made" in r.json()["detail"]
    ok = await call(
        client,
        sup,
        "POST",
        f"/agencies/{agency['id']}/webhooks",
        {"url": "http://127.0.0.1:9/hook", "event_types": ["referral.*"]},
        expect=201,
    )
    # The agency's own account manages its endpoints; operators and crews do not touch them.
    await call(client, actors["agency"], "GET", f"/webhooks/{ok['id']}")
    # Another province's operator is told nothing exists (404); those of the region are refused (403).
    for name, code in (("operator_jember", 404), ("operator", 403), ("crew", 403), ("reporter", 403)):
        r = await client.get(f"/api/v1/webhooks/{ok['id']}", headers=actors[name].headers)
        assert r.status_code == code, (name, r.text)


async def test_event_filter_limits_what_is_sent(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    async with receiver() as rec:
        await wire_police(client, actors, rec, endpoint={"event_types": ["incident.*"]})
        incident = await verified_incident(client, actors)
        await call(
            client,
            actors["operator"],
            "PATCH",
            f"/incidents/{incident}",
            {"priority": 1, "reason": "lapor ulang: makin lemah"},
        )
        [msg] = await rec.wait_for(1)
        assert msg.body["type"] == "incident.priority_changed"
        assert msg.body["data"]["change"] == {"before": 2, "after": 1}


async def _recorded(
    client: httpx.AsyncClient, actor: Actor, endpoint_id: str, statuses: list[str], within: float = 10.0
) -> list[dict[str, Any]]:
    """The endpoint's deliveries once they stand as `statuses` (the receiver answers before the sender
    records the attempt)."""
    deadline = time.monotonic() + within
    while True:
        rows: list[dict[str, Any]] = await call(client, actor, "GET", f"/webhooks/{endpoint_id}/deliveries")
        if [d["status"] for d in rows] == statuses:
            return rows
        assert time.monotonic() < deadline, rows
        await asyncio.sleep(0.05)


async def _until(check: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _until_endpoint(
    client: httpx.AsyncClient, actor: Actor, endpoint_id: str, *, enabled: bool, within: float = 10.0
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        state: dict[str, Any] = await call(client, actor, "GET", f"/webhooks/{endpoint_id}")
        if state["enabled"] == enabled:
            return state
        assert time.monotonic() < deadline, state
        await asyncio.sleep(0.1)


async def test_the_delivery_connects_to_the_address_that_was_checked(
    client: httpx.AsyncClient, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name is checked once per delivery and the connection goes to the address the check saw (DNS
    rebinding cannot slip a private address in between): here the name resolves only through the check's
    resolver, so the message can arrive only by the pinned address, with the name in Host."""
    real_resolve = ssrf.resolve

    async def resolve(host: str, port: int) -> list[ssrf.Address]:
        return (
            [ipaddress.ip_address("127.0.0.1")] if host == "hooks.invalid" else await real_resolve(host, port)
        )

    monkeypatch.setattr(ssrf, "resolve", resolve)
    async with receiver() as rec:
        url = f"http://hooks.invalid:{rec.port}/hook"
        await wire_police(client, actors, rec, endpoint={"url": url})
        await verified_incident(client, actors)
        [msg] = await rec.wait_for(1)
        assert msg.verified and msg.host == f"hooks.invalid:{rec.port}"


def test_pinned_requests() -> None:
    ip = ipaddress.ip_address("203.0.113.7")
    assert ssrf.pinned("http://hooks.example:8080/a?b=1", ip) == ssrf.Pinned(
        "http://203.0.113.7:8080/a?b=1", {"host": "hooks.example:8080"}
    )
    v6 = ipaddress.ip_address("2001:db8::7")
    assert ssrf.pinned("http://hooks.example/a", v6) == ssrf.Pinned(
        "http://[2001:db8::7]/a", {"host": "hooks.example"}
    )
    # https keeps the name (the certificate check); a URL with an address, or no address, stays as it is.
    for url, address in (("https://hooks.example/a", ip), ("http://203.0.113.7/a", ip), ("http://h/a", None)):
        assert ssrf.pinned(url, address) == ssrf.Pinned(url, {})
