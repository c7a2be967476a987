"""A real webhook receiver on 127.0.0.1 (uvicorn, in the test's event loop). It verifies every message with
the `standardwebhooks` library, records what arrived, and answers as the test scripts it: 500s, a hang past
the sender's timeout, 410, Retry-After, or 204."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.servers import free_port


@dataclass
class Received:
    message_id: str
    timestamp: int
    signature: str
    body: dict[str, Any]
    verified: bool
    answered: int
    host: str = ""


@dataclass
class Receiver:
    port: int
    secrets: list[str] = field(default_factory=list)
    # Scripted answers, used up in order: an int status, ("retry_after", seconds), ("hang", seconds).
    script: deque[Any] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    # The webhook-id of the message being held by a hang, once one is.
    hung_id: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self) -> list[Received]:
        """Messages that were verified and answered with a 2xx."""
        return [r for r in self.received if r.verified and 200 <= r.answered < 300]

    async def wait_for(self, n: int, within: float = 20.0) -> list[Received]:
        async def enough() -> None:
            while len(self.delivered()) < n:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), within)
        return self.delivered()

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        headers = dict(request.headers)
        verified = False
        for secret in self.secrets:
            try:
                Webhook(secret).verify(raw, headers)
                verified = True
                break
            except WebhookVerificationError:
                continue
        action = self.script.popleft() if self.script else 204
        status, extra = 204, {}
        if isinstance(action, int):
            status = action
        elif action[0] == "retry_after":
            status, extra = 503, {"Retry-After": str(action[1])}
        elif action[0] == "hang":
            # Answers only after the sender has given up: recorded as 504, not as a delivery.
            self.hung_id = headers.get("webhook-id")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), action[1])
            status = 504
        if not verified:
            status = 401
        self.received.append(
            Received(
                headers.get("webhook-id", ""),
                int(headers.get("webhook-timestamp", "0")),
                headers.get("webhook-signature", ""),
                json.loads(raw) if raw else {},
                verified,
                status,
                headers.get("host", ""),
            )
        )
        self.arrived.set()
        return Response(status_code=status, headers=extra, content=b"" if status == 204 else b"ok")


@contextlib.asynccontextmanager
async def receiver(port: int | None = None) -> AsyncIterator[Receiver]:
    rec = Receiver(port or free_port())
    app = Starlette(routes=[Route("/hook", rec.handle, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=rec.port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
        if task.done():
            task.result()
    try:
        yield rec
    finally:
        rec.release.set()
        server.should_exit = True
        await task
