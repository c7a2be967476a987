"""The deadline loop every worker runs: shifts ending and starting, expired offers, 4CT breaches (and,
every ten minutes, housekeeping: what the retention settings say is no longer needed goes). The state
is in the database, so a restart loses nothing, and SKIP LOCKED keeps workers from doing one thing twice.
The open data's background refresh is a loop of its own beside this one (app/services/opendata.py `run`):
a national month takes seconds to recompute, which must not hold up the deadlines."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock, metrics
from app.db import PENDING_EVENTS, unit_of_work
from app.models import (
    ConsoleSession,
    CrewPosition,
    InboundMessage,
    UsedTicket,
    WebhookAttempt,
    WebhookDelivery,
)
from app.models.base import utcnow
from app.persons import retention as person_rules
from app.services import dispatch, idempotency, logins, timers
from app.services.facilities import stays
from app.services.persons import case_retention, proposals
from app.services.persons import retention as person_retention
from app.settings import Settings

HOUSEKEEPING_SECONDS = 600
# How often a worker reloads the teams' 4CT targets (the worker that changes them reloads at once).
TARGETS_SECONDS = 60
INBOUND_MEMORY = timedelta(days=1)
# Failed logins of a name not locked are forgotten after this (a lock-out outlives it until it ends).
LOGIN_FAILURE_MEMORY = timedelta(days=1)
# Old webhook deliveries deleted per housekeeping run (the rest go at the next, ten minutes later).
DELIVERY_BATCH = 5000

log = logging.getLogger("tanggap.scheduler")
BREACHED = "incident.4ct_breached"


async def tick(maker: async_sessionmaker[AsyncSession]) -> int:
    """One pass over what the clock made due. Shifts end before others start (the leaving crew's cases
    wait for the arriving ones), then offers expire; each in transactions of its own per kab/kota."""
    now = utcnow()
    done = await dispatch.end_shifts(maker, now)
    done += await dispatch.start_shifts(maker, now)
    done += await dispatch.expire_offers(maker, now)
    done += await stays.alert_overdue(maker, now)
    done += await proposals.run(maker)
    async with unit_of_work(maker) as session:
        breached = await timers.record_breaches(session, now)
        stages = [e["data"]["stage"] for e in session.info.get(PENDING_EVENTS, ()) if e["type"] == BREACHED]
    for stage in stages:  # counted once committed
        metrics.FOURCT_BREACHES.labels(stage).inc()
    return done + breached


@dataclass(frozen=True)
class Retention:
    """How long housekeeping keeps what it deletes (app/settings.py)."""

    idempotency_hours: int = 24
    position_days: int = 30
    delivery_days: int = 30
    persons: person_rules.Policy = field(default_factory=person_rules.Policy)

    @classmethod
    def of(cls, settings: Settings) -> Retention:
        return cls(
            settings.idempotency_ttl_hours,
            settings.position_history_days,
            settings.webhook_delivery_days,
            person_rules.Policy(
                years=settings.person_retention_years,
                child_years=settings.person_child_years,
                health_years=settings.person_health_years,
                by_category=dict(settings.person_retention_by_category),
            ),
        )


async def housekeeping(maker: async_sessionmaker[AsyncSession], retention: Retention) -> int:
    """Forgets what is no longer needed; returns how many rows went. Idempotency keys past their time to
        live; inbound message ids older than a day (a signature older than five minutes is refused anyway, so
        no replay can match them); crews' positions older than the retention; and finished webhook deliveries
        older than theirs, with their attempts (a pending one stays, whatever its age); and the identity of
    person records past their retention (app/persons/retention.py), and the reporters' data and free text of
    closed cases past theirs."""
    now = utcnow()
    async with unit_of_work(maker) as session:
        done = await idempotency.purge_expired(session, ttl_hours=retention.idempotency_hours)
        done += await logins.forget_old(session, older_than=LOGIN_FAILURE_MEMORY)
        # The deliveries by id, so that the attempts and their deliveries are the same set; a batch per run.
        old_deliveries = list(
            await session.scalars(
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.status != "pending",
                    WebhookDelivery.created_at < now - timedelta(days=retention.delivery_days),
                )
                .limit(DELIVERY_BATCH)
            )
        )
        for statement in (
            delete(InboundMessage).where(InboundMessage.received_at < now - INBOUND_MEMORY),
            # A used ticket past its expiry is refused for that reason alone.
            delete(UsedTicket).where(UsedTicket.expires_at < now),
            # An expired console session is refused for that reason alone, ended or not.
            delete(ConsoleSession).where(ConsoleSession.expires_at < now),
            delete(CrewPosition).where(CrewPosition.at < now - timedelta(days=retention.position_days)),
            delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old_deliveries)),
            delete(WebhookDelivery).where(WebhookDelivery.id.in_(old_deliveries)),
        ):
            result = await session.execute(statement)
            done += int(getattr(result, "rowcount", 0) or 0)
    # Person records whose time is up: anonymised, in transactions of their own (safe on every worker).
    done += await person_retention.run(maker, now, retention.persons)
    # Closed cases whose time is up: their reporters' data and free text, likewise.
    done += await case_retention.run(maker, now, retention.persons)
    return done


async def run(
    maker: async_sessionmaker[AsyncSession],
    stop: asyncio.Event,
    *,
    every: float = 1.0,
    retention: Retention = Retention(),
) -> None:
    last_housekeeping = time.monotonic()  # the first ten minutes after a start are left alone
    last_targets = 0.0
    due = time.monotonic()
    while not stop.is_set():
        # Lag: how much later than planned this pass starts (a blocked event loop, a slow previous pass).
        metrics.SCHEDULER_LAG.set(max(time.monotonic() - due, 0.0))
        try:
            if time.monotonic() - last_targets > TARGETS_SECONDS:
                last_targets = time.monotonic()
                async with maker() as session:
                    await timers.load_targets(session)
            await tick(maker)
            if time.monotonic() - last_housekeeping > HOUSEKEEPING_SECONDS:
                last_housekeeping = time.monotonic()
                await housekeeping(maker, retention)
        except Exception:  # the next tick tries again; nothing is lost, the deadlines are rows
            log.exception("scheduler tick failed")
        else:
            metrics.SCHEDULER_LAST_PASS.set(time.time())
        pause = max(clock.real_seconds(every), 0.05)
        due = time.monotonic() + pause
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
