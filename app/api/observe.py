"""The outermost middleware: a request id for every request, one access line per answer, request metrics.

The id is the incoming `X-Request-ID` when it looks like one (app/logs.py), else a new one; it is answered in
`X-Request-ID`, set on every log line of the request and on every event it records. The access line names
the route template (`/api/v1/incidents/{incident_id}`, never the path with its ids), the status, the duration
and the caller's user id; never a token, a query string or a body. Pure ASGI: no task, no database.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import logs, metrics

HEADER = b"x-request-id"
access_log = logging.getLogger("tanggap.access")
# Probes and scrapes come every few seconds from machines: counted in the metrics, not written to the log.
_QUIET = frozenset({"/metrics", "/healthz", "/readyz"})
# A path no route matched: one label for all of them, so scanners cannot grow the metrics without bound.
UNMATCHED = "<unmatched>"


# The labelled series of each (method, route, status) seen: `labels()` costs more than the increment.
_series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
# A route's prefix (where the application included its router, e.g. /api/v1), by route: the matched route
# knows only its own path; the prefix is found once, as the part of a path its pattern does not cover.
_prefixes: dict[int, str] = {}


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    prefix = _prefixes.get(id(route))
    if prefix is None:
        pattern = getattr(route, "path_regex", None)
        full: str = scope["path"]
        prefix = next(
            (
                full[:i]
                for i in range(len(full))
                if full[i] == "/" and pattern is not None and pattern.match(full[i:])
            ),
            "",
        )
        _prefixes[id(route)] = prefix
    return prefix + path


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == HEADER:
                incoming = value.decode("latin-1")
                break
        ctx, token = logs.begin(logs.accept_request_id(incoming))
        try:
            await self._observe(ctx, scope, receive, send)
        finally:
            logs.end(token)

    async def _observe(self, ctx: logs.RequestContext, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # A stream lives for hours: its lines carry the id, but it has no access line or latency.
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        raw_id = ctx.request_id.encode()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, raw_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route(scope)
            method = scope["method"]
            counted = _series.get((method, route, status))
            if counted is None:
                code = str(status)
                counted = _series[(method, route, status)] = (
                    metrics.HTTP_REQUESTS.labels(method, route, code),
                    metrics.HTTP_LATENCY.labels(method, route, code),
                )
            counted[0].inc()
            counted[1].observe(seconds)
            if scope["path"] not in _QUIET:
                access_log.info(
                    "%s %s %s",
                    method,
                    route,
                    status,
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                    },
                )
