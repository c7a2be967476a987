"""The delivery worker every Tanggap process runs.

It fans new events out (outbox.py), then claims endpoints whose oldest pending delivery is due: a lease on
the endpoint row (SKIP LOCKED on PostgreSQL) makes one worker at a time deliver to it, one message after
the other, so an endpoint receives its messages in order. A worker that dies mid-delivery leaves its lease
to expire; another worker sends that message again with the same `webhook-id` (at-least-once).

Retries follow Standard Webhooks' schedule (settings.webhook_retry_delays, with jitter); a `Retry-After`
answer is honoured; a 410 disables the endpoint; a message that exhausts its retries disables it too (the
messages after it wait, in order, until someone enables it again). Every attempt is recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.models import Agency, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.models.base import utcnow
from app.services import events
from app.services.webhooks import outbox, signing, ssrf
from app.settings import Settings

log = logging.getLogger("tanggap.webhooks")
MAX_RETRY_AFTER = timedelta(hours=24)
EXCERPT = 500
COALESCE_SECONDS = 0.02
# Pending deliveries of one endpoint read at a time (sent one after the other, in order).
BATCH = 50


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str | None = None
    excerpt: str | None = None
    retry_after: timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    if not value:
        return None
    try:
        seconds = timedelta(seconds=max(0, int(value.strip())))
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(seconds, timedelta(0)), MAX_RETRY_AFTER)


# Addresses of an endpoint's name tried, in the resolver's order, when the first refuses the connection.
PINNED_TRIES = 3


class Sender:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.maker = maker
        self.settings = settings
        self.worker = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds + 5)
        self._wake = asyncio.Event()
        self._claim_soon = False
        self._serving: dict[uuid.UUID, asyncio.Task[None]] = {}
        self.client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
        )

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        try:
            poll = True
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self.step(poll=poll)
                except Exception:  # the next wake or poll tries again; the state is in the database
                    log.exception("webhook worker step failed")
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait(
                    {waiter, stopper},
                    timeout=self.settings.webhook_poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                poll = not done
                waiter.cancel()
                stopper.cancel()
                # Under a burst of commits the wakes come back to back: gather them, so that the fan-out
                # reads the log once for many events instead of once per event.
                await asyncio.sleep(COALESCE_SECONDS)
        finally:
            for task in list(self._serving.values()):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.client.aclose()

    async def step(self, *, poll: bool = True) -> None:
        """Fans out new events; claims endpoints when it queued deliveries, or on the poll (retries come
        due, another worker's deliveries wait for a free hand). A wake that queued nothing costs one read."""
        queued = 0
        engine = self.maker.kw["bind"]
        skim = engine.dialect.name == "postgresql"
        while True:
            if skim:
                held, read, wanted = await outbox.skim(engine)
                if not held or not read:
                    break
                if not wanted:  # the cursor moved past them
                    if read < outbox.BATCH:
                        break
                    continue
            async with unit_of_work(self.maker) as session:
                read, made = await outbox.fan_out(session)
            queued += made
            if read < outbox.BATCH:
                break
        free = self.settings.webhook_concurrency - len(self._serving)
        if free <= 0 or not (queued or poll or self._claim_soon):
            return
        self._claim_soon = False
        for endpoint_id in await self._claim(free):
            self._serving[endpoint_id] = asyncio.create_task(
                self._serve(endpoint_id), name=f"webhook-{endpoint_id}"
            )

    async def _claim(self, limit: int) -> list[uuid.UUID]:
        now = utcnow()
        head = (
            select(WebhookDelivery.endpoint_id, func.min(WebhookDelivery.id).label("head_id"))
            .where(WebhookDelivery.status == "pending")
            .group_by(WebhookDelivery.endpoint_id)
            .subquery()
        )
        q = (
            select(WebhookEndpoint.id)
            .join(head, head.c.endpoint_id == WebhookEndpoint.id)
            .join(WebhookDelivery, WebhookDelivery.id == head.c.head_id)
            .where(
                WebhookEndpoint.enabled,
                or_(WebhookEndpoint.lease_until.is_(None), WebhookEndpoint.lease_until < now),
                WebhookDelivery.due_at <= now,
            )
            .order_by(WebhookDelivery.due_at)
            .limit(limit)
            .with_for_update(of=WebhookEndpoint, skip_locked=True)
        )
        if self._serving:
            q = q.where(WebhookEndpoint.id.not_in(list(self._serving)))
        async with unit_of_work(self.maker) as session:
            ids = list((await session.scalars(q)).all())
            if ids:
                await session.execute(
                    update(WebhookEndpoint)
                    .where(WebhookEndpoint.id.in_(ids))
                    .values(lease_owner=self.worker, lease_until=now + self.lease)
                )
        return ids

    async def _serve(self, endpoint_id: uuid.UUID) -> None:
        """Delivers the endpoint's due messages in order until none is due, one fails or the lease is lost."""
        try:
            while True:
                async with self.maker() as session:
                    endpoint = await session.get(WebhookEndpoint, endpoint_id)
                    batch = (
                        await session.scalars(
                            select(WebhookDelivery)
                            .where(
                                WebhookDelivery.endpoint_id == endpoint_id,
                                WebhookDelivery.status == "pending",
                            )
                            .order_by(WebhookDelivery.id)
                            .limit(BATCH)
                        )
                    ).all()
                if (
                    endpoint is None
                    or not endpoint.enabled
                    or endpoint.lease_owner != self.worker
                    or not batch
                ):
                    await self._release(endpoint_id)
                    # Another worker may have queued a message and failed to claim this endpoint while we
                    # held it: look again now that it is free, rather than at the next poll.
                    self._claim_soon = True
                    self.wake()
                    return
                for delivery in batch:
                    if delivery.due_at > utcnow():
                        await self._release(endpoint_id)
                        return
                    outcome = await self.send(endpoint, delivery)
                    if outcome.ok:
                        if not await self._record_success(endpoint_id, delivery.id, outcome):
                            return
                        continue
                    if await self._record(endpoint_id, delivery.id, outcome):
                        await self._release(endpoint_id)  # its retry comes due later; a poll finds it
                    return
        except Exception:
            log.exception("webhook delivery to endpoint %s failed", endpoint_id)
            with contextlib.suppress(Exception):
                await self._release(endpoint_id)
        finally:
            self._serving.pop(endpoint_id, None)

    async def send(self, endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Outcome:
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            addresses = await ssrf.check(
                endpoint.url,
                self.settings.webhook_allow_private,
                require_https=self.settings.env == "production",
            )
        except ssrf.RefusedTarget as exc:
            return Outcome(None, elapsed(), error=f"refused: {exc}"[:300])
        now = utcnow()
        keys = signing.live_secrets(endpoint.secrets, now)
        headers = signing.headers(delivery.message_id, now, delivery.payload, keys)
        # To an address the check saw, the next one if it refuses the connection (as a resolver's order).
        targets = [ssrf.pinned(endpoint.url, ip) for ip in addresses[:PINNED_TRIES]] or [
            ssrf.pinned(endpoint.url, None)
        ]
        for i, target in enumerate(targets):
            try:
                response = await self.client.post(
                    target.url,
                    content=delivery.payload.encode(),
                    headers={**headers, **target.headers},
                )
                break
            except httpx.ConnectError as exc:
                if i + 1 == len(targets):
                    return Outcome(None, elapsed(), error=f"{type(exc).__name__}: {exc}"[:300])
            except httpx.TimeoutException:
                return Outcome(None, elapsed(), error="timed out")
            except httpx.HTTPError as exc:
                return Outcome(None, elapsed(), error=f"{type(exc).__name__}: {exc}"[:300])
        return Outcome(
            response.status_code,
            elapsed(),
            excerpt=response.text[:EXCERPT] if response.content else None,
            retry_after=retry_after(response.headers.get("retry-after"), now),
        )

    def _next_due(self, attempts: int, outcome: Outcome, now: datetime) -> datetime | None:
        """When to try again after the `attempts`-th failed attempt; None when the schedule is exhausted."""
        delays = self.settings.webhook_retry_delays
        if attempts > len(delays):
            return None
        delay = delays[attempts - 1]
        jitter = self.settings.webhook_jitter
        wait = timedelta(seconds=delay * random.uniform(1 - jitter, 1 + jitter))  # noqa: S311 - not crypto
        if outcome.retry_after is not None:
            wait = max(wait, outcome.retry_after)
        return now + wait

    async def _record_success(self, endpoint_id: uuid.UUID, delivery_id: int, outcome: Outcome) -> bool:
        """The common case in three statements: lease renewed (while still ours and enabled), attempt,
        delivery done. False when the lease is gone or the endpoint was disabled meanwhile."""
        async with self.maker() as session:
            now = utcnow()
            renewed = await session.scalar(
                update(WebhookEndpoint)
                .where(
                    WebhookEndpoint.id == endpoint_id,
                    WebhookEndpoint.lease_owner == self.worker,
                    WebhookEndpoint.enabled,
                )
                .values(lease_until=now + self.lease)
                .returning(WebhookEndpoint.id)
            )
            if renewed is None:
                await session.commit()
                return False
            await session.execute(
                insert(WebhookAttempt).values(
                    delivery_id=delivery_id,
                    endpoint_id=endpoint_id,
                    attempted_at=now,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    response_excerpt=outcome.excerpt,
                    worker=self.worker,
                )
            )
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending")
                .values(
                    status="delivered",
                    delivered_at=now,
                    attempts=WebhookDelivery.attempts + 1,
                    last_status_code=outcome.status_code,
                    last_error=None,
                )
            )
            await session.commit()
        return True

    async def _record(self, endpoint_id: uuid.UUID, delivery_id: int, outcome: Outcome) -> bool:
        """Records the attempt and its consequences; False when this worker no longer holds the lease."""
        async with unit_of_work(self.maker) as session:
            now = utcnow()
            renewed = await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.lease_owner == self.worker)
                .values(lease_until=now + self.lease)
            )
            if renewed.rowcount == 0:  # type: ignore[attr-defined]
                return False
            delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
            endpoint = await session.get(WebhookEndpoint, endpoint_id)
            assert delivery is not None and endpoint is not None
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    endpoint_id=endpoint_id,
                    attempted_at=now,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    error=outcome.error,
                    response_excerpt=outcome.excerpt,
                    worker=self.worker,
                )
            )
            if delivery.status != "pending":  # redelivered or cancelled meanwhile
                return True
            delivery.attempts += 1
            delivery.last_status_code = outcome.status_code
            delivery.last_error = outcome.error
            if outcome.ok:
                delivery.status, delivery.delivered_at = "delivered", now
                return True
            if outcome.status_code == 410:
                await disable(session, endpoint, "the receiver answered 410 Gone", now)
                return True
            due = self._next_due(delivery.attempts, outcome, now)
            if due is None:
                delivery.status = "failed"
                await disable(
                    session,
                    endpoint,
                    f"message {delivery.message_id} failed {delivery.attempts} attempts",
                    now,
                )
            else:
                delivery.due_at = due
            return True

    async def _release(self, endpoint_id: uuid.UUID) -> None:
        async with unit_of_work(self.maker) as session:
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.lease_owner == self.worker)
                .values(lease_owner=None, lease_until=None)
            )


async def disable(session: AsyncSession, endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """Disables the endpoint and tells the agency and the team: an event in the agency's region (staff see
    it live; the agency sees the reason on its endpoint)."""
    endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, reason, now
    endpoint.updated_at = now
    agency = await session.get(Agency, endpoint.agency_id)
    assert agency is not None
    log.warning("webhook endpoint %s of %s disabled: %s", endpoint.id, agency.name, reason)
    events.record(
        session,
        "webhook.endpoint_disabled",
        actor=events.SYSTEM,
        region_code=agency.region_code,
        data={
            "endpoint_id": str(endpoint.id),
            "agency_id": str(agency.id),
            "agency": agency.name,
            "reason": reason,
            "contacts": [c.get("name") for c in agency.contacts],
        },
    )
