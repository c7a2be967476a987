"""The simulator's side of the wire: the server's clock as seen from here, and an HTTP client that counts
every answer (a 5xx is an invariant break)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx


class SimClock:
    """The server's simulated clock, read once and then followed: the server's `now` at a known moment,
    running `speed` times faster than real time."""

    def __init__(self, server_now: datetime, speed: float) -> None:
        self.origin = server_now
        self.mono = time.monotonic()
        self.speed = speed

    def now(self) -> datetime:
        return self.origin + timedelta(seconds=(time.monotonic() - self.mono) * self.speed)

    async def sleep(self, simulated_seconds: float) -> None:
        await asyncio.sleep(max(simulated_seconds, 0) / self.speed)

    async def until(self, when: datetime) -> None:
        await self.sleep((when - self.now()).total_seconds())


@dataclass
class Api:
    base: str
    http: httpx.AsyncClient = field(init=False)
    calls: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    # Retries with the same Idempotency-Key that did not answer like the first time.
    retry_mismatches: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(
            base_url=self.base + "/api/v1",
            timeout=60,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        auth: dict[str, str],
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool = False,
        retry_twice: bool = False,
    ) -> httpx.Response:
        """One call; with `idempotent` it carries an Idempotency-Key, and with `retry_twice` it is sent a
        second time with the same key (a phone that lost the first answer), which must answer the same."""
        headers = dict(auth)
        if idempotent:
            headers["Idempotency-Key"] = f"sim-{uuid.uuid4()}"
        r = await self._send(method, path, headers, json, params)
        if retry_twice and idempotent:
            again = await self._send(method, path, headers, json, params)
            if again.status_code != r.status_code or (
                r.status_code < 300 and again.json().get("id") != r.json().get("id")
            ):
                self.retry_mismatches.append(f"{method} {path}: {r.status_code} then {again.status_code}")
        return r

    async def _send(
        self, method: str, path: str, headers: dict[str, str], json: Any, params: dict[str, Any] | None
    ) -> httpx.Response:
        for attempt in range(5):
            try:
                r = await self.http.request(method, path, headers=headers, json=json, params=params)
            except httpx.TransportError as exc:
                if attempt == 4:
                    raise
                self.server_errors.append(f"{method} {path}: {type(exc).__name__}")
                await asyncio.sleep(0.2)
                continue
            self.calls[r.status_code] += 1
            if r.status_code >= 500:
                self.server_errors.append(f"{method} {path} -> {r.status_code}: {r.text[:300]}")
            if r.status_code == 503 and attempt < 4:
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")) / 4)
                continue
            return r
        raise AssertionError("unreachable")
