"""Plays a simulated day against a real server and judges it (`tanggap simulate`)."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from app.simulate import actors, server, world
from app.simulate.client import Api, SimClock
from app.simulate.monitor import Monitor
from app.simulate.summary import DayResult, judge

# Simulated minutes before the day starts, for setting up the team (accounts, roster).
SETUP_MINUTES = 90


@contextlib.contextmanager
def _database(postgres: str | None, *, keep: bool = False) -> Iterator[str | None]:
    """A fresh PostgreSQL database for one run (dropped afterwards unless `keep`), or None for SQLite."""
    if postgres is None:
        yield None
        return
    name = f"tanggap_sim_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(postgres)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    finally:
        if keep:
            print(f"the day's database is kept: {name}")
        else:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_day(
    *,
    start: datetime,
    hours: float,
    speed: float,
    seed: int,
    policy: str,
    postgres: str | None = None,
    places: Path | None = None,
    surges: bool = True,
    progress: Progress | None = None,
    keep: bool = False,
) -> DayResult:
    day = world.plan_day(start, hours, seed, world.places(places), surges=surges)
    begins = start - timedelta(minutes=SETUP_MINUTES)
    with (
        _database(postgres, keep=keep) as url,
        server.spawn(
            start=begins,
            speed=speed,
            policy=policy,
            database_url=url,
            workdir=Path(tempfile.mkdtemp(prefix=f"tanggap-sim-{policy}-")) if keep else None,
        ) as srv,
    ):
        return asyncio.run(_play(srv.base, day, speed, policy, progress))


async def _play(base: str, day: world.Day, speed: float, policy: str, progress: Progress | None) -> DayResult:
    began = time.monotonic()
    api = Api(base)
    try:
        health = (await api.http.get(base + "/healthz")).json()
        clock = SimClock(datetime.fromisoformat(health["now"]), speed)
        r = await api.http.post(
            "/auth/token", data={"username": server.ADMIN, "password": server.ADMIN_PASSWORD}
        )
        stage = await actors.set_up(api, clock, day, r.json()["access_token"])
        monitor = Monitor(base.replace("http://", "ws://"), stage.supervisor_token, clock, day)
        monitor.watch(stage.crews)
        stop = asyncio.Event()
        watcher = asyncio.create_task(monitor.run(stop))
        await clock.until(day.start)
        end = day.start + timedelta(hours=day.hours)
        plans = monitor.plans
        work = [
            asyncio.create_task(_callers(api, clock, day, stage, plans)),
            *(asyncio.create_task(actors.operator(api, clock, day, stage, i, end)) for i in range(2)),
            *(
                asyncio.create_task(actors.Phone(api, clock, day, crew).run(end))
                for crew in stage.crews
                if crew.ends > day.start and crew.starts < end
            ),
        ]
        task = progress.add_task(policy, total=day.hours * 60) if progress else None
        while clock.now() < end:
            await asyncio.sleep(0.5)
            if progress is not None and task is not None:
                done = (clock.now() - day.start).total_seconds() / 60
                progress.update(
                    task,
                    completed=min(done, day.hours * 60),
                    description=f"{policy}: {clock.now().astimezone(day.start.tzinfo):%d/%m %H:%M} "
                    f"laporan {len(stage.incidents)} tawaran {monitor.counts['offer.made']} "
                    f"pelanggaran {len(monitor.breaks) + len(api.server_errors)}",
                )
        for t in work:
            t.cancel()
        await asyncio.gather(*work, return_exceptions=True)
        await asyncio.sleep(2.0)  # the stream catches up
        late = monitor.unanswered(clock.now())
        monitor.breaks += [f"offer {o} neither answered, expired nor withdrawn" for o in late]
        gap = await monitor.replay_matches()
        if gap:
            monitor.breaks.append(gap)
        stop.set()
        await watcher
        sup = {"X-API-Key": stage.supervisor["X-API-Key"]}
        details = []
        for iid in sorted(set(stage.incidents.values())):
            r = await api.request("GET", f"/incidents/{iid}", auth=sup)
            if r.status_code == 200 and r.json().get("merged_into_id") is None:
                details.append(r.json())
        result = judge(policy, details, end)
        counted = [monitor.offers_per_incident.get(d["id"], 0) for d in details if d["status"] != "rejected"]
        result.offers_per_incident = statistics.fmean(counted) if counted else 0.0
        result.escalations = dict(monitor.escalations)
        result.escalation_reasons = monitor.escalation_reasons.most_common(8)
        result.event_counts = dict(monitor.counts)
        result.breaks = monitor.breaks + api.retry_mismatches
        result.server_errors = api.server_errors
        result.requests = sum(api.calls.values())
        result.events = len(monitor.seqs)
        result.wall_seconds = time.monotonic() - began
        return result
    finally:
        await api.close()


async def _callers(
    api: Api, clock: SimClock, day: world.Day, stage: actors.Stage, plans: dict[str, world.PlannedReport]
) -> None:
    """The callers, and the monitor told which report became which incident."""
    task = asyncio.create_task(actors.callers(api, clock, day, stage))
    try:
        while not task.done():
            await asyncio.sleep(0.2)
            for n, iid in list(stage.incidents.items()):
                plans.setdefault(iid, day.reports[n])
        await task
    finally:
        task.cancel()


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
