"""ASGI middleware: a cap on request bodies, so an oversized upload is refused before it is read; and the
server's own `send` kept for the live streams.

Not FastAPI's `max_body_size`: Starlette answers its early refusal in text/plain, and every error here is
application/problem+json.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": "https://tanggap.id/problems/payload-too-large",
                "title": "Payload too large",
                "status": 413,
                "detail": f"the request body exceeds {self.max_bytes} bytes",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(send)
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)


class _TooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body reader lets it through to the problem handler."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is too large")


# Where a WebSocket's scope keeps the server's `send`, as this middleware (the outermost that sees it) got it.
SERVER_SEND = "tanggap.server_send"


class KeepServerSend:
    """Keeps the ASGI server's `send` in a WebSocket's scope: the live stream writes its events with it, past
    the wrappers of the layers in between (Starlette's exception handling and WebSocket state checks). With
    a thousand clients an event is written a thousand times, and those layers cost a tenth of each write."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)
