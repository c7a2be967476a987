"""The ASGI application: `create_app()` wires settings, database, routers and error handling."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app import clock, console, db, errors, logs, metrics, sealing
from app.api import (
    admin,
    agencies,
    auth,
    contract,
    crews,
    facilities,
    family,
    health,
    incidents,
    live,
    me,
    offers,
    open311,
    open_data,
    persons,
    public,
    reference,
    reports,
    social,
    statistics,
    users,
    webhooks,
)
from app.api import (
    metrics as metrics_api,
)
from app.api.deps import get_principal
from app.api.middleware import BodyLimit, KeepServerSend, Printable, SecurityHeaders
from app.api.observe import Observe
from app.db import make_engine, make_sessionmaker
from app.live.hub import Hub
from app.reference import regions
from app.services import dispatch, opendata, scheduler, timers
from app.services.push.sender import PushSender
from app.services.webhooks.sender import Sender
from app.settings import Settings, get_settings
from app.triage import engine as triage

DESCRIPTION = """Dispatch backend for Dinas Sosial rapid-response teams (TRC).

Reports enter at `POST /api/v1/reports` (or `POST /api/v1/public/reports` without an account) and become
incidents that operators triage and crews handle. Every error is `application/problem+json` (RFC 9457).
Authenticate with `POST /api/v1/auth/token` (OAuth2 password flow) or an `X-API-Key` header."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logs.configure(settings.log_format, settings.log_level)
    sealing.configure(settings)
    clock.configure(settings.clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        metrics.watch_pool(engine)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        regions.warm_up()
        triage.warm_up()
        async with app.state.sessionmaker() as session:
            await timers.load_targets(session)
        hub = Hub(
            engine,
            poll_seconds=settings.stream_poll_seconds,
            heartbeat_seconds=settings.stream_heartbeat_seconds,
        )
        await hub.start()
        app.state.hub = hub
        db.on_events_committed.append(hub.committed)
        sender = Sender(app.state.sessionmaker, settings)
        hub.on_numbered.append(sender.wake)
        stop = asyncio.Event()
        deadlines = asyncio.create_task(
            scheduler.run(app.state.sessionmaker, stop, retention=scheduler.Retention.of(settings)),
            name="scheduler",
        )
        refresh = settings.open_data_refresh_seconds
        published = asyncio.create_task(
            opendata.run(app.state.sessionmaker, stop, every=refresh) if refresh else stop.wait(),
            name="open-data",
        )
        deliveries = asyncio.create_task(
            sender.run(stop) if settings.webhook_worker else stop.wait(), name="webhook-sender"
        )
        dispatcher = dispatch.Dispatcher(
            app.state.sessionmaker,
            poll_seconds=settings.dispatch_poll_seconds,
            policy_name=settings.dispatch_policy,
        )
        db.on_round_due.append(dispatcher.wake)
        rounds = asyncio.create_task(
            dispatcher.run(stop) if settings.dispatch_worker else stop.wait(), name="dispatcher"
        )
        pusher = PushSender(app.state.sessionmaker, settings)
        db.on_push_queued.append(pusher.wake)
        pushes = asyncio.create_task(pusher.run(stop) if settings.push_worker else stop.wait(), name="push")
        # What start-up loaded (reference data, regions, mappers) lives as long as the process: move it out
        # of the collector's sight, so that a full collection does not walk it again and again under load.
        # (The collector's thresholds stay at their defaults: a young generation of 10,000 saved little on
        # intake and its longer pauses, mid fan-out, showed in the live streams' p99.)
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            await deadlines
            await published
            await deliveries
            await rounds
            await pushes
            db.on_round_due.remove(dispatcher.wake)
            db.on_push_queued.remove(pusher.wake)
            db.on_events_committed.remove(hub.committed)
            await hub.stop()
            metrics.unwatch_pool(engine)
            await engine.dispose()
            metrics.process_exited()

    app = FastAPI(title="Tanggap", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    errors.install(app)
    # Straight onto the application, not through an /api/v1 router: every nesting level is walked again
    # for each request.
    for module in (
        auth,
        reports,
        social,
        incidents,
        persons,
        family,
        facilities,
        crews,
        offers,
        me,
        agencies,
        webhooks,
        public,
        live,
        admin,
        users,
        reference,
        statistics,
        open_data,
    ):
        contract.document(module.router, get_principal, public.rate_limited)
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(open_data.page)
    for module in (open311, health, metrics_api):
        contract.document(module.router, get_principal, public.rate_limited)
        app.include_router(module.router)
    console.install(app)
    app.add_middleware(Printable)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    # Outside BodyLimit, so that its early 413 carries the headers too.
    app.add_middleware(SecurityHeaders)
    app.add_middleware(KeepServerSend)
    if settings.cors_origins:
        # Consoles served from another origin; credentials travel in headers (bearer, API key), never
        # cookies, so none are allowed. Outermost, so that a preflight is answered before anything else.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-API-Key",
                "Idempotency-Key",
                "Last-Event-ID",
                "X-Request-ID",
            ],
            expose_headers=["Retry-After", "Location", "X-Request-ID"],
            max_age=600,
        )
    # Outermost: the request id is set before anything else runs, and every answer (a 413, a preflight) has
    # its access line and its count.
    app.add_middleware(Observe)
    return app
