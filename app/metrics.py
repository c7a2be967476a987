"""Prometheus metrics (`GET /metrics`), safe with several workers.

Two kinds, for two kinds of fact:
- What a process does (requests, their latency, pool connections in use, live connections, dispatch
  rounds, offers expired, 4CT breaches recorded, the scheduler's lag) is counted where it happens. Under
  `tanggap serve` every worker writes its values to files in PROMETHEUS_MULTIPROC_DIR (prometheus-client's
  multiprocess mode, set up by app/cli.py before any worker starts), and a scrape answered by any worker sums
  them across all workers. Outside it (tests in one process) the default registry serves.
- What the database holds (offers pending, webhook deliveries pending and failed and the age of the oldest,
  crews on duty per kab/kota) is counted at scrape time, by the worker answering the scrape, with a few
  indexed queries (`database_gauges`). Not gauges refreshed by the scheduler: every worker runs the
  scheduler, so each would write its own copy (and a dead one's would linger), while a scrape is one query
  per scrape interval, shows the state of that moment and costs nothing between scrapes.

This module must be imported after PROMETHEUS_MULTIPROC_DIR is set: prometheus-client picks its storage when
it is first imported (app/cli.py sets it before importing the application).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, select
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.dispatch.crewflow import CrewStatus, OfferStatus
from app.models import Crew, Offer, Team, WebhookDelivery

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Requests: up to 10 s; intake answers in a few milliseconds, a dispatch round or a statistic in hundreds.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "tanggap_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "tanggap_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by method, route template and status",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)
DB_POOL_IN_USE = Gauge(
    "tanggap_db_pool_connections_in_use",
    "Database connections checked out of the workers' pools",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "tanggap_db_pool_size",
    "Connections the workers' pools may hold (without overflow)",
    multiprocess_mode="livesum",
)
LIVE_CONNECTIONS = Gauge(
    "tanggap_live_connections",
    "Open live streams (WebSocket and SSE)",
    ["transport"],
    multiprocess_mode="livesum",
)
DISPATCH_ROUNDS = Histogram(
    "tanggap_dispatch_round_duration_seconds",
    "Dispatch rounds run (count) and their duration, from taking the kab/kota lock to the commit",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
OFFERS_EXPIRED = Counter("tanggap_offers_expired", "Offers that expired unanswered")
FOURCT_BREACHES = Counter(
    "tanggap_4ct_breaches", "4CT deadlines passed unmet (incident.4ct_breached events)", ["stage"]
)
SCHEDULER_LAG = Gauge(
    "tanggap_scheduler_lag_seconds",
    "How late the deadline loop's last pass started after it was due (the worst live worker)",
    multiprocess_mode="livemax",
)
SCHEDULER_LAST_PASS = Gauge(
    "tanggap_scheduler_last_pass_timestamp_seconds",
    "When a deadline loop last finished a pass (Unix time, the latest of all workers)",
    multiprocess_mode="max",
)


def _checked_out(*_: object) -> None:
    DB_POOL_IN_USE.inc()


def _checked_in(*_: object) -> None:
    DB_POOL_IN_USE.dec()


def _pool_size(engine: AsyncEngine) -> int:
    size = getattr(engine.sync_engine.pool, "size", None)
    return int(size()) if callable(size) else 0


def watch_pool(engine: AsyncEngine) -> None:
    """Counts the engine's pooled connections in use (two pool events: no query, no lock)."""
    pool = engine.sync_engine.pool
    sa_event.listen(pool, "checkout", _checked_out)
    sa_event.listen(pool, "checkin", _checked_in)
    DB_POOL_SIZE.inc(_pool_size(engine))


def unwatch_pool(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    sa_event.remove(pool, "checkout", _checked_out)
    sa_event.remove(pool, "checkin", _checked_in)
    DB_POOL_SIZE.dec(_pool_size(engine))


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def process_registry() -> CollectorRegistry:
    """The registry a scrape reads the processes' metrics from: all workers' files, or this process."""
    directory = multiprocess_dir()
    if directory is None:
        return REGISTRY
    sweep_dead_workers(directory)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return registry


def process_exited() -> None:
    """A worker stopping cleanly takes its live gauges with it (a killed one is swept at the next scrape)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process: alive
        return True
    return True


def sweep_dead_workers(directory: str) -> list[int]:
    """The live gauges (pool in use, live connections, scheduler lag) of workers that died without a word
    (killed, out of memory): uvicorn starts another in their place, and without this sweep the dead one's
    last values would be summed into every scrape until the server restarts. A worker's files name its pid;
    the directory is this machine's own (one per instance), so a pid that no longer runs is a dead worker.
    Counters and histograms are kept: what a dead worker counted did happen."""
    dead: set[int] = set()
    for file in Path(directory).glob("gauge_live*_*.db"):
        tail = file.stem.rpartition("_")[2]
        if tail.isdigit() and not _alive(int(tail)):
            dead.add(int(tail))
    for pid in dead:
        multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
    return sorted(dead)


class _Snapshot(Collector):
    def __init__(self, families: Sequence[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterable[GaugeMetricFamily]:
        return self.families


async def database_gauges(engine: AsyncEngine, now: datetime) -> list[GaugeMetricFamily]:
    """The counts the database holds, at this moment; four indexed queries on one connection."""
    on_duty = (
        select(Team.region_code, func.count(Crew.id))
        .select_from(Team)
        .outerjoin(
            Crew,
            and_(
                Crew.team_id == Team.id,
                Crew.shift_starts_at <= now,
                Crew.shift_ends_at > now,
                Crew.status.not_in([CrewStatus.off_shift, CrewStatus.out_of_service]),
            ),
        )
        .group_by(Team.region_code)
    )
    async with engine.connect() as conn:
        pending_offers = (
            await conn.execute(select(func.count()).where(Offer.status == OfferStatus.pending))
        ).scalar_one()
        deliveries = dict(
            (
                await conn.execute(
                    select(WebhookDelivery.status, func.count())
                    .where(WebhookDelivery.status.in_(["pending", "failed"]))
                    .group_by(WebhookDelivery.status)
                )
            ).all()
        )
        oldest = (
            await conn.execute(
                select(func.min(WebhookDelivery.created_at)).where(WebhookDelivery.status == "pending")
            )
        ).scalar_one()
        crews = (await conn.execute(on_duty)).all()
    offers = GaugeMetricFamily("tanggap_offers_pending", "Offers waiting for a crew's answer")
    offers.add_metric([], float(pending_offers))
    queue = GaugeMetricFamily(
        "tanggap_webhook_deliveries", "Webhook deliveries not delivered, by status", labels=["status"]
    )
    for status in ("pending", "failed"):
        queue.add_metric([status], float(deliveries.get(status, 0)))
    age = GaugeMetricFamily(
        "tanggap_webhook_oldest_pending_age_seconds",
        "Age of the oldest webhook delivery still pending (0 when none is)",
    )
    age.add_metric([], max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)
    duty = GaugeMetricFamily(
        "tanggap_crews_on_duty",
        "Crews on shift and not out of service, per kab/kota with a team",
        labels=["regency"],
    )
    for regency, count in crews:
        duty.add_metric([regency], float(count))
    return [offers, queue, age, duty]


def exposition(database: Sequence[GaugeMetricFamily]) -> bytes:
    """The text a scrape gets: the processes' metrics, then the database's."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(database))
    return generate_latest(process_registry()) + generate_latest(registry)
