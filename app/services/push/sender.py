"""The push sender every worker runs: claims due messages (a lease, so a worker that dies mid-send leaves
them to another), encrypts them with pywebpush (RFC 8291, aes128gcm) and signs with py_vapid (RFC 8292),
posts them with httpx to the device's push service at an address the SSRF check saw (no redirects
followed: a push service never needs one), and records the outcome: sent; retried with backoff (network,
429, 5xx); gone (404/410: the device unsubscribed, its subscription is removed); expired (what it
announced is over)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from pywebpush import WebPusher
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.db import unit_of_work
from app.models import PushMessage, PushSubscription
from app.models.base import utcnow
from app.services.push import vapid
from app.services.webhooks import ssrf
from app.settings import Settings

log = logging.getLogger("tanggap.push")
LEASE = timedelta(seconds=60)
BATCH = 50


@dataclass(frozen=True, slots=True)
class Claimed:
    id: uuid.UUID
    subscription_id: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str
    payload: dict[str, Any]
    urgency: str
    topic: str | None
    expires_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class Result:
    status: str  # sent, retry, gone, failed, expired
    error: str | None = None


class PushSender:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.maker = maker
        self.settings = settings
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, poll_seconds: float = 1.0) -> None:
        timeout = httpx.Timeout(self.settings.push_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            while not stop.is_set():
                self._wake.clear()
                try:
                    while await self.send_due(http):
                        pass
                except Exception:  # the messages are rows: the next pass tries again
                    log.exception("push sender failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll_seconds)

    async def send_due(self, http: httpx.AsyncClient) -> int:
        claimed = await self._claim()
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._send(http, c) for c in claimed))
        await self._record(list(zip(claimed, results, strict=True)))
        return len(claimed)

    async def _claim(self) -> list[Claimed]:
        now = utcnow()
        async with unit_of_work(self.maker) as session:
            rows = (
                await session.execute(
                    select(PushMessage, PushSubscription)
                    .join(PushSubscription, PushSubscription.id == PushMessage.subscription_id)
                    .where(PushMessage.status == "pending", PushMessage.due_at <= now)
                    .order_by(PushMessage.due_at)
                    .limit(BATCH)
                    .with_for_update(of=PushMessage, skip_locked=True)
                )
            ).all()
            out = []
            for message, sub in rows:
                message.attempts += 1
                message.due_at = now + LEASE
                out.append(
                    Claimed(
                        message.id,
                        sub.id,
                        sub.endpoint,
                        sub.p256dh,
                        sub.auth,
                        message.payload,
                        message.urgency,
                        message.topic,
                        message.expires_at,
                        message.attempts,
                    )
                )
            return out

    async def _send(self, http: httpx.AsyncClient, c: Claimed) -> Result:
        left = (c.expires_at - utcnow()).total_seconds()
        if left <= 0:
            return Result("expired")
        settings = self.settings
        try:
            addresses = await ssrf.check(
                c.endpoint, settings.webhook_allow_private, require_https=settings.env == "production"
            )
        except ssrf.RefusedTarget as exc:
            return Result("failed", f"endpoint refused: {exc}"[:300])
        data = json.dumps(c.payload, separators=(",", ":"), default=str).encode()
        pusher = WebPusher({"endpoint": c.endpoint, "keys": {"p256dh": c.p256dh, "auth": c.auth}})
        body = pusher.encode(data, "aes128gcm")["body"]
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(c.endpoint))
        claims = {"sub": settings.vapid_subject, "aud": origin, "exp": int(time.time()) + 12 * 3600}
        headers = {
            **vapid.signer(settings).sign(claims),
            "Content-Encoding": "aes128gcm",
            # The push service keeps it for a sleeping phone as long as it is worth anything.
            "TTL": str(max(int(clock.real_seconds(left)), 1)),
            "Urgency": c.urgency,
            **({"Topic": c.topic} if c.topic else {}),
        }
        # To an address the check saw (plain http is pinned to it); redirects are not followed.
        target = ssrf.pinned(c.endpoint, addresses[0] if addresses else None)
        try:
            response = await http.post(target.url, content=body, headers={**headers, **target.headers})
        except httpx.TimeoutException:
            return Result("retry", "timed out")
        except httpx.HTTPError as exc:
            return Result("retry", f"{type(exc).__name__}: {exc}"[:300])
        code = response.status_code
        if code in (200, 201, 202):
            return Result("sent")
        if code in (404, 410):
            return Result("gone", f"HTTP {code}")
        return Result("retry" if code == 429 or code >= 500 else "failed", f"HTTP {code}")

    async def _record(self, outcomes: list[tuple[Claimed, Result]]) -> None:
        now = utcnow()
        delays = self.settings.push_retry_delays
        async with unit_of_work(self.maker) as session:
            gone: set[uuid.UUID] = set()
            for claimed, result in outcomes:
                message = await session.get(PushMessage, claimed.id, with_for_update=True)
                if message is None:
                    continue
                message.last_error = result.error
                if result.status == "sent":
                    message.status, message.sent_at = "sent", now
                    sub = await session.get(PushSubscription, claimed.subscription_id)
                    if sub is not None:
                        sub.last_sent_at = now
                elif result.status == "retry" and claimed.attempts <= len(delays):
                    message.due_at = now + timedelta(seconds=delays[claimed.attempts - 1] * clock.speed())
                    if message.due_at >= message.expires_at:
                        message.status = "expired"
                elif result.status == "gone":
                    gone.add(claimed.subscription_id)
                else:
                    message.status = result.status if result.status != "retry" else "failed"
            for sub_id in gone:
                # The device is gone: its subscription and what was queued for it go too.
                await session.execute(delete(PushMessage).where(PushMessage.subscription_id == sub_id))
                await session.execute(delete(PushSubscription).where(PushSubscription.id == sub_id))
                log.info("push subscription %s removed: the push service says it is gone", sub_id)
