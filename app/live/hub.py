"""The per-worker hub: tails the event log in `seq` order and fans events out to this worker's clients.

Order and completeness come from the log itself: the hub reads `seq > head` (a higher seq is never visible
before a lower one) and a client that reconnects replays from the log. On PostgreSQL the hub also numbers
the events its process committed (app/services/events.py: number) and then wakes the other processes with
a NOTIFY that carries those events when they fit (the others hand them to their clients without reading
the log, if they follow what they have); on SQLite the commit numbers them.
Each event is serialised once per worker, not once per client. A client whose queue is full is marked
overflowed and disconnected by its endpoint: a slow client never slows the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import read_only
from app.live.topics import Key, Subscription, event_keys
from app.models import Event, EventArchive
from app.services import events

log = logging.getLogger("tanggap.live")
CHANNEL = "tanggap_events"
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_ARCHIVE: Table = EventArchive.__table__  # type: ignore[assignment]
_COLUMNS = [_EVENTS.c[n] for n in events.LOG_COLUMNS]


@dataclass(frozen=True, slots=True)
class Delivery:
    seq: int
    type: str
    row: dict[str, Any]
    text: str
    # The text for those who are not console staff: the same string unless the event weighs other crews.
    narrow_text: str

    def text_for(self, staff: bool) -> str:
        return self.text if staff else self.narrow_text


def make_delivery(row: dict[str, Any]) -> Delivery:
    text = envelope(row)
    data = row.get("data")
    narrow = data if not isinstance(data, dict) else events.narrowed(data)
    return Delivery(
        row["seq"], row["type"], row, text, text if narrow is data else envelope({**row, "data": narrow})
    )


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


# A NOTIFY payload must stay under 8000 bytes: the events go with it when they fit, else the other
# processes read them from the log.
PAYLOAD_BYTES = 7900
PAYLOAD_EVENTS = 16
_IDS = ("incident_id", "crew_id", "actor_id")
# Events that change who is in a crew (their data lists joined_user_ids / left_user_ids).
MEMBERSHIP_EVENTS = frozenset({"crew.swap", "crew.formed", "crew.members_changed"})


def to_payload(rows: list[dict[str, Any]]) -> str:
    """The numbered events, for the other processes' hubs ("" when they do not fit)."""
    text = json.dumps(
        [[row[c] for c in events.LOG_COLUMNS] for row in rows], separators=(",", ":"), default=str
    )
    return text if len(text.encode()) <= PAYLOAD_BYTES else ""


def from_payload(payload: str) -> list[dict[str, Any]] | None:
    """The rows of `to_payload`, as the log gives them; None if the payload is not such a list."""
    try:
        rows = [dict(zip(events.LOG_COLUMNS, values, strict=True)) for values in json.loads(payload)]
        for row in rows:
            row["occurred_at"] = datetime.fromisoformat(row["occurred_at"])
            for key in _IDS:
                if row[key] is not None:
                    row[key] = uuid.UUID(row[key])
    except (ValueError, TypeError):
        log.warning("live hub: ignoring a malformed announcement")
        return None
    if not rows or [row["seq"] for row in rows] != list(range(rows[0]["seq"], rows[0]["seq"] + len(rows))):
        return None  # only a run without gaps can be handed over
    return rows


class Client:
    """One subscriber's bounded queue."""

    def __init__(self, subscription: Subscription, limit: int) -> None:
        self.subscription = subscription
        self.limit = limit
        self.overflowed = False
        self.gone = False
        # A heartbeat is due: nothing was offered for a whole heartbeat period (see Hub._heartbeat_loop).
        self.beat = False
        self._busy = False
        self._queue: deque[Delivery] = deque()
        self._ready = asyncio.Event()

    def offer(self, delivery: Delivery) -> None:
        self._busy = True
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

    def tick(self) -> None:
        """A heartbeat period passed: a client that was offered nothing in it gets a heartbeat."""
        if self._busy:
            self._busy = False
        else:
            self.beat = True
            self._ready.set()

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
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        poll_seconds: float = 2.0,
        heartbeat_seconds: float = 25.0,
        batch: int = 1000,
    ) -> None:
        self.writer = engine
        self.numbers = engine.dialect.name == "postgresql"
        self.engine = read_only(engine)
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.batch = batch
        self.head = 0
        self.clients: set[Client] = set()
        # The clients by what they listen for (topics.py: Key): an event is offered to those that share one
        # of its keys, without looking at the others.
        self._index: dict[Key, set[Client]] = {}
        self._wake = asyncio.Event()
        self._pumping = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        # Called when this process numbered events (PostgreSQL) or committed them (SQLite), not when another
        # process announces its own: the webhook sender of the numbering process takes them to the outbox,
        # and the others' skims would only find the cursor moved (a sender-less process's events wait for
        # the senders' poll).
        self.on_numbered: list[Callable[[], None]] = []
        self._number = asyncio.Event()
        self._announce = asyncio.Event()
        # What the next NOTIFY carries: the events this process numbered since the last one (None: too many
        # or unknown; the other processes then read the log).
        self._announcing: list[dict[str, Any]] | None = []

    async def start(self) -> None:
        async with self.engine.connect() as conn:
            self.head = int(
                (await conn.execute(select(func.coalesce(func.max(_EVENTS.c.seq), 0)))).scalar_one()
            )
        self._tasks.append(asyncio.create_task(self._read_loop(), name="live-hub-reader"))
        self._tasks.append(asyncio.create_task(self._heartbeat_loop(), name="live-hub-heartbeat"))
        if self.numbers:
            self._number.set()  # what was committed while no process was numbering
            self._tasks.append(asyncio.create_task(self._number_loop(), name="live-hub-numbering"))
            self._tasks.append(asyncio.create_task(self._listen_loop(), name="live-hub-listener"))

    async def stop(self) -> None:
        """Lets a read or a numbering pass in progress finish (one cancelled half-way could leave its
        connection in a transaction), then stops."""
        self._stopping = True
        self.wake()
        self._number.set()
        finishing = [t for t in self._tasks if t.get_name() in ("live-hub-reader", "live-hub-numbering")]
        for task in self._tasks:
            if task not in finishing:
                task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(asyncio.gather(*finishing, return_exceptions=True)), 5)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        self._wake.set()

    def committed(self) -> None:
        """This process committed events (called by app.db.commit)."""
        if self.numbers:
            self._number.set()
        else:
            self.wake()
            for callback in self.on_numbered:
                callback()

    def _on_notify(self, conn: object, pid: int, _channel: str, payload: object) -> None:
        if isinstance(conn, asyncpg.Connection) and pid == conn.get_server_pid():
            return  # this hub's own announcement
        rows = from_payload(payload) if isinstance(payload, str) and payload else None
        if rows and rows[0]["seq"] == self.head + 1 and not self._pumping.locked():
            # The events came with the announcement and follow what the clients have: no read.
            self._fan_out(rows)
            return
        self.wake()

    async def _number_loop(self) -> None:
        """Numbers committed events right after this process's commits (and at each poll, for events that a
        process which died or a command-line tool committed), then announces them to every process.

        The NOTIFY is sent after the numbering, from the hub's own connection, never inside a writing
        transaction: PostgreSQL serialises the commits of notifying transactions. Commits that come while a
        pass runs are numbered by the next pass, one for all."""
        last_pass = 0
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._number.wait(), self.poll_seconds)
            self._number.clear()
            if self._stopping:
                return
            try:
                # The numbered rows are wanted by this process's clients, and by the other processes when
                # they fit in a NOTIFY: under load a pass numbers more than that (the last pass's size says),
                # and reading them back for nobody costs intake a few per cent.
                wanted = bool(self.clients) or last_pass <= PAYLOAD_EVENTS
                numbered, rows = await events.number(self.writer, returning=wanted)
            except Exception:  # the next commit or poll tries again; the events wait in the log
                log.exception("live hub: numbering the event log failed")
                await asyncio.sleep(self.poll_seconds)
                continue
            last_pass = numbered or last_pass
            if numbered:
                if (
                    self._announcing is not None
                    and len(rows) == numbered
                    and len(self._announcing) + numbered <= PAYLOAD_EVENTS
                ):
                    self._announcing += rows
                else:
                    self._announcing = None
                self._announce.set()
                for callback in self.on_numbered:
                    callback()
                if rows and rows[0]["seq"] == self.head + 1 and not self._pumping.locked():
                    # What this pass numbered follows what the clients have: hand it over without a read.
                    self._fan_out(rows)
                else:
                    self.wake()

    async def attach(self, client: Client) -> int:
        """Registers a client; returns the head: it gets every event after it, live.

        A hub without clients does not read the log (so intake pays nothing for it); the first client
        brings the head up to date before it is registered."""
        if not self.clients:
            await self._pump()
        self.clients.add(client)
        for key in client.subscription.keys:
            self._index.setdefault(key, set()).add(client)
        return self.head

    async def _heartbeat_loop(self) -> None:
        """One timer for all clients (a timeout per client and wake-up cost more than the send)."""
        while not self._stopping:
            await asyncio.sleep(self.heartbeat_seconds)
            for client in list(self.clients):
                client.tick()

    def detach(self, client: Client) -> None:
        if client not in self.clients:
            return
        self.clients.discard(client)
        for key in client.subscription.keys:
            listeners = self._index.get(key)
            if listeners is not None:
                listeners.discard(client)
                if not listeners:
                    del self._index[key]

    async def oldest(self) -> int:
        """The oldest seq a client may resume from: after the newest archived event (`tanggap archive
        events` leaves gaps in the hot log: a resume from before one would silently miss events)."""
        async with self.engine.connect() as conn:
            hot = (await conn.execute(select(func.coalesce(func.min(_EVENTS.c.seq), 1)))).scalar_one()
            archived = (await conn.execute(select(func.max(_ARCHIVE.c.seq)))).scalar_one()
        return max(int(hot), int(archived or 0) + 1)

    async def replay(self, subscription: Subscription, after: int, upto: int) -> AsyncIterator[Delivery]:
        """The events in (after, upto] that match, from the log, in order."""
        while after < upto:
            rows = await self._read(after, upto)
            if not rows:
                return
            for row in rows:
                if subscription.matches(row):
                    yield make_delivery(row)
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
            self._fan_out(rows)
            if len(rows) < self.batch:
                return

    def _follow_members(self, row: dict[str, Any]) -> None:
        """A crew's members changed (a stand-in by a swap, a crew formed while its people are connected):
        the `mine` streams of those people start, or stop, receiving that crew's events."""
        data = row.get("data") or {}
        crew = str(row.get("crew_id") or "")
        joined = {str(u) for u in data.get("joined_user_ids", [])}
        left = {str(u) for u in data.get("left_user_ids", [])}
        if not crew or not (joined or left):
            return
        for client in list(self.clients):
            sub = client.subscription
            if not sub.mine or str(sub.user_id) not in joined | left:
                continue
            crews = (sub.crews | {crew}) if str(sub.user_id) in joined else (sub.crews - {crew})
            if crews != sub.crews:
                self.detach(client)
                client.subscription = dataclasses.replace(sub, crews=frozenset(crews))
                self.clients.add(client)
                for key in client.subscription.keys:
                    self._index.setdefault(key, set()).add(client)

    def _fan_out(self, rows: list[dict[str, Any]]) -> None:
        """Offers events that follow `head` to the clients and moves `head`; never awaits, so attach() always
        sees a head consistent with what was offered."""
        index = self._index
        for row in rows:
            if row["type"] in MEMBERSHIP_EVENTS:
                self._follow_members(row)
            found = [listeners for key in event_keys(row) if (listeners := index.get(key))]
            if not found:
                continue
            delivery = make_delivery(row)
            # A client listening on two of the event's keys gets it once.
            for client in found[0] if len(found) == 1 else set().union(*found):
                client.offer(delivery)
        if rows:
            self.head = rows[-1]["seq"]

    async def _listen_loop(self) -> None:
        """LISTEN on PostgreSQL; reconnects after a failure (the poll covers the gap)."""
        dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopping:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._on_notify)
                self.wake()  # anything committed while not listening
                announcer = asyncio.create_task(self._announce_loop(conn, lost), name="live-hub-announcer")
                try:
                    await lost.wait()
                finally:
                    announcer.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await announcer
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live hub: LISTEN connection failed; retrying", exc_info=True)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close()
            await asyncio.sleep(1.0)

    async def _announce_loop(self, conn: asyncpg.Connection, lost: asyncio.Event) -> None:
        try:
            while True:
                await self._announce.wait()
                self._announce.clear()
                rows, self._announcing = self._announcing, []
                payload = to_payload(rows) if rows else ""
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        except Exception:
            log.warning("live hub: NOTIFY failed; reconnecting", exc_info=True)
            self._announcing = None  # the next connection announces, without the events
            self._announce.set()
            lost.set()
