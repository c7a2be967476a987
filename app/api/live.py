"""Live updates: where an update leaves for consoles and phones.

WebSocket `GET /api/v1/ws?topic=region:21.71&since=<seq>` and Server-Sent Events
`GET /api/v1/events?topic=...` (resume with `Last-Event-ID`). Authenticate with `Authorization: Bearer` or,
where a client cannot set headers (browsers), with `?ticket=` from `POST /api/v1/live/ticket`.

WebSocket messages (JSON text frames, server to client); with `&batch=true` a frame may carry several
events, one JSON object per line (newline-delimited; split every frame on "\n"):
    {"op": "hello", "head": 120, "topics": [...], "worker": 4711}   first; `head` is the newest seq
    {"op": "event", "seq": 121, "type": "incident.created", "occurred_at": ..., "incident_id": ...,
     "crew_id": ..., "region_code": ..., "actor": ..., "data": {...}}
    {"op": "heartbeat", "head": 121}                                   when idle
    {"op": "resync", "detail": ...}                                    `since` is out of the log's range
Close codes: 4400 bad request, 4401 not authenticated, 4403 topic not allowed, 4008 too slow (reconnect
with the `since` in the reason), 4410 resynchronise, 1012 server restarting (uvicorn, on shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterable
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Message, Send

from app import metrics, security
from app.api.deps import CurrentPrincipal, SessionDep, SessionmakerDep, SettingsDep, client_ip
from app.api.middleware import SERVER_SEND
from app.errors import DomainError, Forbidden, Unauthorized, Unprocessable
from app.live import topics as topics_mod
from app.live.hub import Client, Delivery, Hub
from app.live.topics import Subscription, TopicError
from app.schemas.common import problem_responses
from app.services import live, users
from app.services.access import Principal
from app.settings import Settings

router = APIRouter(tags=["live"])


class Ticket(BaseModel):
    ticket: str
    expires_in: int


@router.post("/live/ticket", response_model=Ticket, responses=problem_responses(401, 403, 422))
async def ticket(
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    maker: SessionmakerDep,
    topic: Annotated[list[str], Query(description="the topics the stream will follow (the same as there)")],
) -> Ticket:
    """A one-minute ticket to open one stream from a browser: `/api/v1/ws?ticket=...&topic=...`. It opens
    the topics asked for here (or some of them), once: it travels in a URL, so it may end up in logs."""
    await _subscribe(maker, principal, topic)  # refused here already if a topic is not the caller's
    issued = await live.issue_ticket(session, settings, principal, [str(topics_mod.parse(t)) for t in topic])
    return Ticket(ticket=issued, expires_in=security.TICKET_SECONDS)


async def _principal_from(
    app: Any,
    authorization: str | None,
    ticket: str | None,
    raw_topics: list[str],
    ip: str | None,
) -> Principal:
    """The caller of a stream, by bearer token or by ticket (used up here), checked against the database."""
    settings: Settings = app.state.settings
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    principal: Principal | None = None
    if authorization and authorization.lower().startswith("bearer "):
        claims = security.decode_access_token(settings, authorization[7:].strip())
        if claims is not None:
            principal = await users.principal_for_token(app.state.engine, claims, ip)
    elif ticket:
        principal = await live.use_ticket(maker, settings, ticket, _normalized(raw_topics), ip)
    if principal is None:
        raise Unauthorized(
            "masuk dengan token atau tiket dari POST /api/v1/live/ticket (tiket berlaku sekali, "
            "satu menit, untuk topik yang diminta)"
        )
    return principal


def _normalized(raw_topics: list[str]) -> list[str]:
    try:
        return [str(topics_mod.parse(t)) for t in raw_topics]
    except TopicError as exc:
        raise Unprocessable(str(exc), field="topic") from exc


async def _subscribe(
    maker: async_sessionmaker[AsyncSession], principal: Principal, raw_topics: list[str]
) -> Subscription:
    if not raw_topics:
        raise Unprocessable("give at least one topic: region:<code>, incident:<uuid> or mine", field="topic")
    try:
        parsed = [topics_mod.parse(t) for t in raw_topics]
    except TopicError as exc:
        raise Unprocessable(str(exc), field="topic") from exc
    async with maker() as session:
        return await live.subscription(session, principal, parsed)


def _since(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise Unprocessable("since (or Last-Event-ID) must be a sequence number", field="since")
    return int(raw)


async def _in_range(hub: Hub, since: int, head: int) -> str | None:
    """Why `since` cannot be resumed from, or None."""
    if since > head:
        return f"since={since} is ahead of the log (newest {head}); resynchronise"
    oldest = await hub.oldest()
    if since < oldest - 1:
        return f"events after {since} are no longer kept (oldest {oldest}); resynchronise"
    return None


_CLOSE = {401: 4401, 403: 4403, 422: 4400}


@router.websocket("/ws")
async def websocket_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    app = websocket.app
    settings: Settings = app.state.settings
    hub: Hub = app.state.hub
    try:
        origin = websocket.headers.get("origin")
        if origin and settings.cors_origins and not _origin_allowed(origin, websocket, settings):
            raise Forbidden(f"origin {origin} tidak diizinkan (TANGGAP_CORS_ORIGINS)")
        raw_topics = websocket.query_params.getlist("topic")
        principal = await _principal_from(
            app,
            websocket.headers.get("authorization"),
            websocket.query_params.get("ticket"),
            raw_topics,
            websocket.client.host if websocket.client else None,
        )
        subscription = await _subscribe(app.state.sessionmaker, principal, raw_topics)
        since = _since(websocket.query_params.get("since"))
        batched = _flag(websocket.query_params.get("batch"), "batch")
    except DomainError as exc:
        await websocket.close(code=_CLOSE.get(exc.status, 4400), reason=exc.detail[:120])
        return
    client = Client(subscription, settings.stream_queue_limit)
    send = _server_send(websocket)
    head = await hub.attach(client)
    streams = metrics.LIVE_CONNECTIONS.labels("websocket")
    streams.inc()
    receiver = asyncio.create_task(_until_disconnect(websocket, client))
    try:
        await websocket.send_text(
            json.dumps({"op": "hello", "head": head, "topics": raw_topics, "worker": os.getpid()})
        )
        last = head
        if since is not None:
            problem = await _in_range(hub, since, head)
            if problem:
                await websocket.send_text(json.dumps({"op": "resync", "detail": problem}))
                await websocket.close(code=4410, reason="resynchronise")
                return
            pending: list[Delivery] = []
            async for delivery in hub.replay(subscription, since, head):
                pending.append(delivery)
                if len(pending) >= BATCH_EVENTS:
                    await _send(send, pending, batched, subscription.staff)
                    pending = []
            if pending:
                await _send(send, pending, batched, subscription.staff)
        # The live part runs as a task of its own: each wake-up resumes two frames, not the twenty of the
        # middleware stack under this endpoint (about a tenth of a worker's time with 500 clients).
        forwarder = asyncio.create_task(_forward(websocket, send, client, hub, last, batched))
        try:
            await forwarder
        finally:
            forwarder.cancel()
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        hub.detach(client)
        streams.dec()
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver


def _origin_allowed(origin: str, websocket: WebSocket, settings: Settings) -> bool:
    """A browser's page may open a stream if it is served from an allowed origin or from this very host."""
    if origin in settings.cors_origins:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host", "")


async def _forward(
    websocket: WebSocket, send: Send, client: Client, hub: Hub, last: int, batched: bool
) -> None:
    """The live stream: what the hub offers, heartbeats when idle, until the client goes or falls behind."""
    while True:
        await client.wait()
        if client.gone:
            return
        batch = client.take()
        if client.overflowed:
            await websocket.close(code=4008, reason=f"too slow; reconnect with since={last}")
            return
        if batch:
            last = await _send(send, batch, batched, client.subscription.staff)
        elif client.beat:
            client.beat = False
            await websocket.send_text(json.dumps({"op": "heartbeat", "head": max(last, hub.head)}))


BATCH_EVENTS = 100


def _server_send(websocket: WebSocket) -> Send:
    """The ASGI server's `send` for this connection (middleware.py: KeepServerSend), else Starlette's."""
    send: Send | None = websocket.scope.get(SERVER_SEND)
    if send is not None:
        return send

    async def via_starlette(message: Message) -> None:
        await websocket.send(message)

    return via_starlette


async def _send(send: Send, deliveries: list[Delivery], batched: bool, staff: bool) -> int:
    """Sends the events in order; returns the last seq sent.

    Batched: up to BATCH_EVENTS per frame, newline-delimited (a new report is two events: one frame, one
    write, one wake-up of the phone instead of two). One by one: one event per turn of the event loop, so
    that the other clients get a batch's first event before this one gets its second."""
    try:
        if batched:
            for start in range(0, len(deliveries), BATCH_EVENTS):
                chunk = deliveries[start : start + BATCH_EVENTS]
                text = "\n".join(d.text_for(staff) for d in chunk)
                await send({"type": "websocket.send", "text": text})
        else:
            for i, delivery in enumerate(deliveries):
                if i:
                    await asyncio.sleep(0)
                await send({"type": "websocket.send", "text": delivery.text_for(staff)})
    except OSError as exc:  # the server's "client disconnected"
        raise WebSocketDisconnect(code=1006) from exc
    return deliveries[-1].seq


def _flag(raw: str | None, name: str) -> bool:
    if raw is None or raw.lower() in ("", "0", "false", "no"):
        return False
    if raw.lower() in ("1", "true", "yes"):
        return True
    raise Unprocessable(f"{name} must be true or false", field=name)


async def _until_disconnect(websocket: WebSocket, client: Client) -> None:
    """Reads (and ignores) what the client sends, until it goes away."""
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        client.hang_up()


async def _sse_subscription(
    request: Request,
    topic: Annotated[list[str], Query(description="region:<code>, incident:<uuid> or mine")],
    ticket: Annotated[str | None, Query(max_length=2000)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> tuple[Principal, Subscription]:
    principal = await _principal_from(request.app, authorization, ticket, topic, client_ip(request))
    return principal, await _subscribe(request.app.state.sessionmaker, principal, topic)


@router.get("/events", response_class=EventSourceResponse, responses=problem_responses(401, 403, 422))
async def sse_stream(
    request: Request,
    auth: Annotated[tuple[Principal, Subscription], Depends(_sse_subscription)],
    since: Annotated[str | None, Query(max_length=20)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> AsyncIterable[ServerSentEvent]:
    """The same stream as Server-Sent Events; `id` is the seq, so `Last-Event-ID` resumes."""
    _, subscription = auth
    resume = _since(last_event_id or since)
    hub: Hub = request.app.state.hub
    settings: Settings = request.app.state.settings
    client = Client(subscription, settings.stream_queue_limit)
    head = await hub.attach(client)
    streams = metrics.LIVE_CONNECTIONS.labels("sse")
    streams.inc()
    try:
        yield ServerSentEvent(event="hello", data={"head": head, "worker": os.getpid()})
        if resume is not None:
            problem = await _in_range(hub, resume, head)
            if problem:
                yield ServerSentEvent(event="resync", data={"detail": problem})
                return
            async for d in hub.replay(subscription, resume, head):
                yield ServerSentEvent(raw_data=d.text_for(subscription.staff), id=str(d.seq), event=d.type)
        while True:
            await client.wait()
            if client.gone:
                return
            batch = client.take()
            if not batch and client.beat:
                client.beat = False
                yield ServerSentEvent(comment="heartbeat")
                continue
            if client.overflowed:
                yield ServerSentEvent(
                    event="overflow", data={"detail": "too slow; reconnect with Last-Event-ID"}
                )
                return
            for d in batch:
                yield ServerSentEvent(raw_data=d.text_for(subscription.staff), id=str(d.seq), event=d.type)
    finally:
        hub.detach(client)
        streams.dec()
