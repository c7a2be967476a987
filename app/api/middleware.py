"""ASGI middleware: a cap on request bodies, so an oversized upload is refused before it is read; security
headers on every answer; and the server's own `send` kept for the live streams.

Not FastAPI's `max_body_size`: Starlette answers its early refusal in text/plain, and every error here is
application/problem+json.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import headers
from app.errors import PROBLEM, language_of, localise
from app.schemas.common import CONTROL


async def send_problem(send: Send, problem: dict[str, object], scope: Scope) -> None:
    """An application/problem+json answer sent straight from a middleware (before any route runs), its
    title, detail and messages in the request's Accept-Language like every other problem's."""
    raw = next((v for k, v in scope["headers"] if k == b"accept-language"), b"")
    lang = language_of(raw.decode("latin-1"))
    problem = {
        k: localise(v, lang) if k in ("title", "detail") and isinstance(v, str) else v
        for k, v in problem.items()
    }
    errors = problem.get("errors")
    if isinstance(errors, list):
        problem["errors"] = [
            {**e, "message": localise(e["message"], lang)} if isinstance(e, dict) and "message" in e else e
            for e in errors
        ]
    body = json.dumps(problem).encode()
    await send(
        {
            "type": "http.response.start",
            "status": problem["status"],
            "headers": [
                (b"content-type", PROBLEM.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"content-language", lang.encode()),
                (b"vary", b"Accept-Language"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def _refuse(self, scope: Scope, send: Send) -> None:
        await send_problem(
            send,
            {
                "type": "https://tanggap.id/problems/payload-too-large",
                "title": "Payload too large",
                "status": 413,
                "detail": f"the request body exceeds {self.max_bytes} bytes",
            },
            scope,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, send)
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
                await self._refuse(scope, send)


class _TooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body reader lets it through to the problem handler."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is too large")


_FORM = b"application/x-www-form-urlencoded"


class Printable:
    """Control characters (NUL and the like; not tab or newline) in the path, a query parameter or a form
    field are refused with a 422 naming the parameter, before any route sees them: PostgreSQL cannot store
    them, and no person typed them. JSON bodies are checked field by field (app/schemas/common.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def _in_pairs(raw: bytes, where: str) -> str | None:
        for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8"):
            if CONTROL.search(name) or CONTROL.search(value):
                return f"{where}.{CONTROL.sub('?', name)}"
        return None

    async def _refuse(self, scope: Scope, send: Send, field: str) -> None:
        if scope["type"] == "websocket":
            # Closing before the handshake is accepted: the client sees a refused upgrade.
            await send({"type": "websocket.close", "code": 4400, "reason": f"{field}: control characters"})
            return
        message = "must not contain control characters; newlines and tabs are fine"
        await send_problem(
            send,
            {
                "type": "https://tanggap.id/problems/validation-error",
                "title": "Invalid request",
                "status": 422,
                "detail": f"{field}: {message}",
                "errors": [{"field": field, "message": message, "type": "value_error"}],
            },
            scope,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if CONTROL.search(scope["path"]):
            await self._refuse(scope, send, "path")
            return
        query: bytes = scope["query_string"]
        # Only an escaped (%xx) or raw control character can be one; most requests skip the parsing.
        bad = (
            self._in_pairs(query, "query")
            if b"%" in query or CONTROL.search(query.decode("latin-1"))
            else None
        )
        if bad is not None:
            await self._refuse(scope, send, bad)
            return
        form = scope["type"] == "http" and any(
            name == b"content-type" and value.split(b";")[0].strip().lower() == _FORM
            for name, value in scope["headers"]
        )
        if not form:
            await self.app(scope, receive, send)
            return
        # A form is small (the login, Open311): read it (BodyLimit caps it), check it, hand it on.
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        bad = self._in_pairs(body, "body")
        if bad is not None:
            await self._refuse(scope, send, bad)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class SecurityHeaders:
    """No-sniff, no framing, a strict CSP and no-referrer on every HTTP answer, and `Cache-Control: no-store`
    unless the answer set its own caching (most answers carry personal data). Pure ASGI: one list append
    per answer, nothing on WebSockets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers.for_path(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                # A page the API draws (the open-data page, the printable report, the subject-access export:
                # an inline style by its hash) keeps its own policy; the other headers still come.
                own_csp = any(name.lower() == b"content-security-policy" for name, _ in raw)
                raw.extend(h for h in extra if not (own_csp and h[0] == b"content-security-policy"))
                if not any(name.lower() == b"cache-control" for name, _ in raw):
                    raw.append(headers.NO_STORE)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, with_headers)


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
