"""The per-worker hub: tails the event log in `seq` order and fans events out to this worker's clients.

Order and completeness come from the log itself: the hub reads `seq > head` (events are numbered at commit,
so a higher seq is never visible before a lower one) and a client that reconnects replays from the log.
Each event is serialised once per worker, not once per client. A client whose queue is full is marked
overflowed and disconnected by its endpoint: a slow client never slows the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import read_only
from app.live.topics import Subscription
from app.models import Event

log = logging.getLogger("tanggap.live")
CHANNEL = "tanggap_events"
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_COLUMNS = [
    _EVENTS.c[n]
    for n in (
        "seq",
        "type",
        "occurred_at",
        "incident_id",
        "crew_id",
        "region_code",
        "actor_id",
        "actor",
        "data",
    )
]


@dataclass(frozen=True, slots=True)
class Delivery:
    seq: int
    type: str
    row: dict[str, Any]
    text: str


def envelope(row: dict[str, Any]) -> str:
    occurred: datetime = row["occurred_at"]
    return json.dumps(
        {
            "op": "event",
            "seq": row["seq"],
            "type": row["type"],
            "occurred_at": occurred.isoformat().replace("+00:00", "Z"),
            "incident_id": str(row["incident_id"]) if row["incident_id"] else None,
            "crew_id": str(row["crew_id"]) if row["crew_id"] else None,
            "region_code": row["region_code"],
            "actor": row["actor"],
            "data": row["data"],
        },
        separators=(",", ":"),
        default=str,
    )


class Client:
    """One subscriber's bounded queue."""

    def __init__(self, subscription: Subscription, limit: int) -> None:
        self.subscription = subscription
        self.limit = limit
        self.overflowed = False
        self.gone = False
        self._queue: deque[Delivery] = deque()
        self._ready = asyncio.Event()

    def offer(self, delivery: Delivery) -> None:
        if self.overflowed:
            return
        if len(self._queue) >= self.limit:
            self.overflowed = True
            self._queue.clear()
        else:
            self._queue.append(delivery)
        self._ready.set()

    async def wait(self) -> None:
        await self._ready.wait()

    def hang_up(self) -> None:
        """The connection went away: wake the sender so that it stops."""
        self.gone = True
        self._ready.set()

    def take(self) -> list[Delivery]:
        items = list(self._queue)
        self._queue.clear()
        self._ready.clear()
        return items


class Hub:
    def __init__(self, engine: AsyncEngine, *, poll_seconds: float = 2.0, batch: int = 1000) -> None:
        self.engine = read_only(engine)
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.head = 0
        self.clients: set[Client] = set()
        self._wake = asyncio.Event()
        self._pumping = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        # Called on every NOTIFY from another process (the webhook worker wakes with the hub).
        self.on_notify: list[Callable[[], None]] = []

    async def start(self) -> None:
        async with self.engine.connect() as conn:
            self.head = int(
                (await conn.execute(select(func.coalesce(func.max(_EVENTS.c.seq), 0)))).scalar_one()
            )
        self._tasks.append(asyncio.create_task(self._read_loop(), name="live-hub-reader"))
        if self.engine.dialect.name == "postgresql":
            self._tasks.append(asyncio.create_task(self._listen_loop(), name="live-hub-listener"))

    async def stop(self) -> None:
        """Lets a read in progress finish (a read cancelled half-way could leave its connection in a
        transaction), then stops."""
        self._stopping = True
        self.wake()
        reader, *others = self._tasks
        for task in others:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reader), 5)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        self._wake.set()

    def _notified(self) -> None:
        self.wake()
        for callback in self.on_notify:
            callback()

    async def attach(self, client: Client) -> int:
        """Registers a client; returns the head: it gets every event after it, live.

        A hub without clients does not read the log (so intake pays nothing for it); the first client
        brings the head up to date before it is registered."""
        if not self.clients:
            await self._pump()
        self.clients.add(client)
        return self.head

    def detach(self, client: Client) -> None:
        self.clients.discard(client)

    async def oldest(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.coalesce(func.min(_EVENTS.c.seq), 1)))).scalar_one())

    async def replay(self, subscription: Subscription, after: int, upto: int) -> AsyncIterator[Delivery]:
        """The events in (after, upto] that match, from the log, in order."""
        while after < upto:
            rows = await self._read(after, upto)
            if not rows:
                return
            for row in rows:
                if subscription.matches(row):
                    yield Delivery(row["seq"], row["type"], row, envelope(row))
            after = rows[-1]["seq"]

    async def _read(self, after: int, upto: int | None = None) -> list[dict[str, Any]]:
        q = select(*_COLUMNS).where(_EVENTS.c.seq > after).order_by(_EVENTS.c.seq).limit(self.batch)
        if upto is not None:
            q = q.where(_EVENTS.c.seq <= upto)
        async with self.engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(q)]

    async def _read_loop(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
            if self._stopping:
                return
            if not self.clients:
                continue
            try:
                await self._pump()
            except Exception:  # the next wake or poll tries again; the log loses nothing
                log.exception("live hub: reading the event log failed")
                await asyncio.sleep(self.poll_seconds)

    async def _pump(self) -> None:
        async with self._pumping:
            await self._pump_locked()

    async def _pump_locked(self) -> None:
        while True:
            rows = await self._read(self.head)
            for row in rows:
                delivery = Delivery(row["seq"], row["type"], row, envelope(row))
                for client in list(self.clients):
                    if client.subscription.matches(row):
                        client.offer(delivery)
            if rows:
                # No await between fan-out and this line: attach() sees a head consistent with what was sent.
                self.head = rows[-1]["seq"]
            if len(rows) < self.batch:
                return

    async def _listen_loop(self) -> None:
        """LISTEN on PostgreSQL; reconnects after a failure (the poll covers the gap)."""
        dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopping:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, lambda *_args: self._notified())
                self.wake()  # anything committed while not listening
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live hub: LISTEN connection failed; retrying", exc_info=True)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close()
            await asyncio.sleep(1.0)
