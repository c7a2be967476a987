"""National data volume: years of plausible incidents for every kab/kota, loaded with COPY (PostgreSQL only).

`tanggap seed volume --years 5 --regions all` fills a migrated database with what five years of 514 TRC teams
would leave: one team and three crews per kab/kota, incidents in its villages (categories, channels and
priorities drawn at the rates of the demo's seeds; each kab/kota has its own volume, log-normal around
`--per-month`), the first report of each, the offer its crew accepted (and now and then one declined first)
and the incident's timeline in the event log (report received, created, verified, offered, accepted, the
crew's steps, resolved). 4CT stamps and breaches follow the default targets. The last two days hold the open
cases of today's queue. Nothing personal is generated: no names, phones or NIK, and one fixed description.

Rows are generated month by month across all regions and copied in batches (`COPY ... FROM STDIN`, binary),
so a month of the country is a few hundred thousand rows in one round trip per table; `seq` follows the
months (within a month it follows the regions, not the clock: a bulk load, not a replay). The event counter
is moved past the last `seq`, so the live streams and webhooks carry on from there. ANALYZE at the end.

Same arguments, same data (`--seed`): a benchmark can be repeated on a database built the same way.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from app.dispatch import fourct
from app.dispatch.lifecycle import Stage
from app.reference import regions
from app.reference.categories import CATEGORIES, UNKNOWN

# How often each category reaches a TRC, relative (the demo's seeds and the domain notes: ODGJ, the
# homeless and neglected, street children and the elderly make most of the work).
CATEGORY_WEIGHTS: dict[str, float] = {
    "ODGJ": 22,
    "GEL": 12,
    "OT": 10,
    "AJ": 8,
    "LUT": 8,
    "PENG": 6,
    "PENGAMEN": 4,
    "AT": 4,
    "PASUNG": 3,
    "JENAZAH": 3,
    "KTK": 3,
    "AKTK": 2,
    "ABT": 1,
    "ABH": 2,
    "PMBS": 2,
    "FM": 3,
    "KBA": 2,
    "TRAF": 1,
    "PD": 2,
    UNKNOWN: 2,
}
CHANNEL_WEIGHTS = {
    "call_center": 35,
    "social_media": 20,
    "community": 18,
    "patrol": 10,
    "referral": 8,
    "public_app": 6,
    "walk_in": 3,
}
OUTCOME_WEIGHTS = {
    "reunified": 22,
    "shelter": 20,
    "rsj": 14,
    "hospital": 8,
    "panti": 8,
    "social_aid": 8,
    "handled_on_site": 12,
    "not_found": 5,
    "body_handed_over": 2,
    "buried": 1,
}
OPEN_STATUSES = ("received", "verified", "dispatched", "en_route", "on_scene", "handling")
# Minutes from one stamp to the next: (low, mode, high) of a triangular draw.
STEP_MINUTES = {
    "verify": (1, 6, 40),
    "offer": (0.2, 1, 15),
    "accept": (0.2, 1, 5),
    "travel": (5, 25, 150),
    "respond": (1, 10, 90),
    "act": (10, 60, 600),
    "finish": (120, 2880, 30 * 1440),
}
DESCRIPTION = "Laporan sintetis (data volume nasional): tidak ada orang nyata di baliknya."
INCIDENT_COLUMNS = (
    "id",
    "status",
    "category",
    "priority",
    "priority_source",
    "priority_reasons",
    "region_code",
    "lat",
    "lon",
    "subject_count",
    "subject_flags",
    "subject_sex",
    "report_count",
    "first_received_at",
    "created_at",
    "updated_at",
    "verified_at",
    "dispatched_at",
    "found_at",
    "responded_at",
    "acted_at",
    "completed_at",
    "rejection_reason",
    "outcome",
    "merged_into_id",
    "assigned_crew_id",
    "dispatch_attempts",
    "four_ct_breaches",
    "four_ct_next_due",
)
REPORT_COLUMNS = (
    "id",
    "incident_id",
    "channel",
    "received_at",
    "created_at",
    "reporter_anonymous",
    "region_code",
    "category",
    "description",
    "subject_count",
    "subject_sex",
    "subject_flags",
)
EVENT_COLUMNS = ("seq", "type", "occurred_at", "incident_id", "crew_id", "region_code", "actor", "data")
OFFER_COLUMNS = (
    "id",
    "incident_id",
    "crew_id",
    "status",
    "attempt",
    "offered_at",
    "expires_at",
    "responded_at",
    "decline_reason",
    "source",
    "decision",
    "released_at",
    "release_reason",
)


@dataclass
class Place:
    """A kab/kota: its villages, its team's crews and how busy it is."""

    code: str
    villages: list[str]
    weight: float
    team_id: uuid.UUID
    crews: list[uuid.UUID]
    last_incident: uuid.UUID | None = None
    # Crews holding an open case at the end (at most one each).
    busy: set[uuid.UUID] = field(default_factory=set)


@dataclass
class Month:
    incidents: list[tuple[Any, ...]] = field(default_factory=list)
    reports: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    offers: list[tuple[Any, ...]] = field(default_factory=list)


def places(scope: Sequence[str], rng: random.Random) -> list[Place]:
    """The kab/kota under `scope` (province or kab/kota codes; empty = all of Indonesia), with villages."""
    kabkota: list[str] = []
    provinces = [p.code for p in regions.children(None)]
    for code in scope or provinces:
        if code.count(".") == 0:
            kabkota += [k.code for k in regions.children(code)]
        elif code.count(".") == 1:
            kabkota.append(code)
        else:
            raise ValueError(f"{code}: name provinces or kab/kota")
    found = []
    for code in kabkota:
        villages = [v.code for kec in regions.children(code) for v in regions.children(kec.code)]
        if villages:
            crews = [new_id(rng) for _ in range(3)]
            found.append(Place(code, villages, rng.lognormvariate(0, 0.6), new_id(rng), crews))
    return found


def new_id(rng: random.Random) -> uuid.UUID:
    """A random UUID from the seeded generator: the same seed makes the same rows, ids included."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def months(years: int, end: datetime) -> list[datetime]:
    first = datetime(end.year - years, end.month, 1, tzinfo=UTC)
    out = []
    at = first
    while at < end:
        out.append(at)
        at = datetime(at.year + (at.month == 12), at.month % 12 + 1, 1, tzinfo=UTC)
    return out


def _minutes(rng: random.Random, step: str) -> timedelta:
    low, mode, high = STEP_MINUTES[step]
    return timedelta(minutes=rng.triangular(low, high, mode))


class Generator:
    """Makes the rows of one month of every place; `seq` carries on across months."""

    def __init__(self, rng: random.Random, end: datetime, per_month: float) -> None:
        self.rng = rng
        self.end = end
        self.per_month = per_month
        self.seq = 0
        self.categories = list(CATEGORY_WEIGHTS)
        self.category_weights = list(CATEGORY_WEIGHTS.values())
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_weights = list(CHANNEL_WEIGHTS.values())
        self.outcomes = list(OUTCOME_WEIGHTS)
        self.outcome_weights = list(OUTCOME_WEIGHTS.values())

    def month(self, start: datetime, stop: datetime, where: Sequence[Place]) -> Month:
        out = Month()
        span = (min(stop, self.end) - start).total_seconds()
        if span <= 0:
            return out
        share = span / (stop - start).total_seconds()
        for place in where:
            mean = self.per_month * place.weight * share
            count = max(0, round(self.rng.gauss(mean, mean**0.5)))
            for _ in range(count):
                self.incident(out, place, start + timedelta(seconds=self.rng.random() * span))
        return out

    def _event(
        self,
        out: Month,
        type_: str,
        at: datetime,
        incident: uuid.UUID,
        region: str,
        data: dict[str, Any],
        crew: uuid.UUID | None = None,
        actor: str = "tanggap",
    ) -> None:
        self.seq += 1
        out.events.append((self.seq, type_, at, incident, crew, region, actor, json.dumps(data)))

    def incident(self, out: Month, place: Place, received: datetime) -> None:
        rng = self.rng
        iid = new_id(rng)
        category = rng.choices(self.categories, self.category_weights)[0]
        priority = CATEGORIES[category].default_priority
        if rng.random() < 0.15:
            priority = max(1, priority - 1)
        village = rng.choice(place.villages)
        channel = rng.choices(self.channels, self.channel_weights)[0]
        sex = rng.choice(("male", "female", "unknown"))
        age_days = (self.end - received).total_seconds() / 86400
        fate = rng.random()
        stamps: dict[str, datetime | None] = dict.fromkeys(
            ("verified", "dispatched", "found", "responded", "acted", "completed")
        )
        status, outcome, rejection, merged_into, crew = "resolved", None, None, None, None
        at = received + _minutes(rng, "verify")
        if fate < 0.06:
            status, rejection = "rejected", rng.choice(("hoax", "not_ppks", "duplicate"))
        elif fate < 0.09 and place.last_incident is not None:
            status, merged_into = "cancelled", place.last_incident
        else:
            stamps["verified"] = at
            at += _minutes(rng, "offer")
            stamps["dispatched"] = at
            crew = rng.choice(place.crews)
            at += _minutes(rng, "accept") + _minutes(rng, "travel")
            stamps["found"] = at
            at += _minutes(rng, "respond")
            stamps["responded"] = at
            at += _minutes(rng, "act")
            stamps["acted"] = at
            at += _minutes(rng, "finish")
            stamps["completed"] = at
            outcome = rng.choices(self.outcomes, self.outcome_weights)[0]
        # What is still going on at the end: the open queue of the last days.
        for stage, open_status in (
            ("verified", "received"),
            ("dispatched", "verified"),
            ("found", "dispatched"),
            ("responded", "on_scene"),
            ("acted", "handling"),
            ("completed", "handling"),
        ):
            stamp = stamps[stage]
            if stamp is not None and stamp > self.end:
                status, outcome = open_status, None
                for later in list(stamps)[list(stamps).index(stage) :]:
                    stamps[later] = None
                break
        if status in OPEN_STATUSES and age_days > 3:
            status = "closed" if stamps["found"] else "rejected"
            rejection = None if status == "closed" else "not_found"
        if status in OPEN_STATUSES and crew is not None and status != "verified":
            if crew in place.busy:  # one job per crew (the database says so too): this one waits for a crew
                status = "verified"
                for later in ("dispatched", "found", "responded", "acted", "completed"):
                    stamps[later] = None
            else:
                place.busy.add(crew)
        if status in ("verified", "received"):
            crew = None
        deadlines = fourct.deadlines(priority, received)
        met = {
            Stage.temu: stamps["found"],
            Stage.tanggap: stamps["responded"],
            Stage.tindak: stamps["acted"],
            Stage.tuntas: stamps["completed"],
        }
        breaches = []
        if status not in ("rejected", "cancelled"):
            for stage, deadline in deadlines.items():
                done = met[stage]
                if (done or self.end) > deadline:
                    breaches.append(stage.value)
        next_due = None
        if status in OPEN_STATUSES:
            next_due = fourct.next_due(priority, received, met, breaches)
        updated = max([received, *(s for s in stamps.values() if s)])
        out.incidents.append(
            (
                iid,
                status,
                category,
                priority,
                "rules",
                json.dumps([]),
                village,
                None,
                None,
                1,
                json.dumps([]),
                sex,
                1,
                received,
                received,
                updated,
                stamps["verified"],
                stamps["dispatched"],
                stamps["found"],
                stamps["responded"],
                stamps["acted"],
                stamps["completed"],
                rejection,
                outcome,
                merged_into,
                crew if stamps["dispatched"] else None,
                1 if stamps["dispatched"] else 0,
                json.dumps(breaches),
                next_due,
            )
        )
        out.reports.append(
            (
                new_id(rng),
                iid,
                channel,
                received,
                received,
                True,
                village,
                category,
                DESCRIPTION,
                1,
                sex,
                json.dumps([]),
            )
        )
        self._event(out, "report.received", received, iid, village, {"channel": channel})
        created = {"category": category, "priority": priority, "status": "received"}
        self._event(out, "incident.created", received, iid, village, created)
        if rejection:
            self._event(
                out,
                "incident.status_changed",
                received,
                iid,
                village,
                {"to": "rejected", "reason": rejection},
            )
        if merged_into:
            self._event(out, "incident.merged", received, iid, village, {"into": str(merged_into)})
        place.last_incident = iid
        self._steps(out, iid, village, place, crew, stamps, status)

    def _steps(
        self,
        out: Month,
        iid: uuid.UUID,
        village: str,
        place: Place,
        crew: uuid.UUID | None,
        stamps: dict[str, datetime | None],
        status: str,
    ) -> None:
        rng = self.rng
        verified, dispatched = stamps["verified"], stamps["dispatched"]
        if verified is None:
            return
        self._event(
            out, "incident.status_changed", verified, iid, village, {"to": "verified"}, actor="operator"
        )
        if dispatched is None or crew is None:
            return
        attempt = 1
        if rng.random() < 0.1:
            other = rng.choice([c for c in place.crews if c != crew])  # another crew declined first
            offered = dispatched - timedelta(minutes=2)
            out.offers.append(
                (
                    new_id(rng),
                    iid,
                    other,
                    "declined",
                    1,
                    offered,
                    offered + timedelta(minutes=2),
                    offered + timedelta(minutes=1),
                    rng.choice(("ban bocor", "masih di lokasi lain", "bensin habis")),
                    "engine",
                    json.dumps({}),
                    None,
                    None,
                )
            )
            self._event(out, "offer.declined", offered, iid, village, {"attempt": 1}, crew=other)
            attempt = 2
        accepted = dispatched + timedelta(minutes=1)
        finished = stamps["completed"] or stamps["acted"]
        released = finished if finished and status in ("resolved", "closed") else None
        out.offers.append(
            (
                new_id(rng),
                iid,
                crew,
                "released" if released else "accepted",
                attempt,
                dispatched,
                dispatched + timedelta(minutes=3),
                accepted,
                None,
                "engine",
                json.dumps({}),
                released,
                "finished" if released else None,
            )
        )
        self._event(out, "offer.made", dispatched, iid, village, {"attempt": attempt}, crew=crew)
        self._event(out, "offer.accepted", accepted, iid, village, {"attempt": attempt}, crew=crew)
        for stage, to in (("found", "on_scene"), ("responded", "handling"), ("completed", "resolved")):
            stamp = stamps[stage]
            if stamp is None:
                return
            self._event(out, "incident.status_changed", stamp, iid, village, {"to": to}, crew=crew)


async def _copy(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    if rows:
        await conn.copy_records_to_table(table, records=rows, columns=list(columns))


def _dsn(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        raise ValueError("the national volume is loaded with COPY: PostgreSQL only (TANGGAP_DATABASE_URL)")
    return "postgresql" + database_url[database_url.index("://") :]


async def load(
    database_url: str,
    *,
    years: int,
    scope: Sequence[str] = (),
    per_month: float = 80,
    seed: int = 1,
    end: datetime | None = None,
    progress: Callable[[str], None] = lambda _line: None,
) -> dict[str, int]:
    """Generates and copies the data; returns the row counts. The database must be migrated and hold no
    events after which these could be numbered wrongly (it moves the counter past what it adds)."""
    rng = random.Random(seed)  # noqa: S311 - plausible data, repeatable by seed; no secret
    end = end or datetime.now(UTC)
    where = places(scope, rng)
    conn: asyncpg.Connection = await asyncpg.connect(_dsn(database_url))
    counts = {"kabkota": len(where), "incidents": 0, "reports": 0, "events": 0, "offers": 0}
    try:
        await conn.execute("SET synchronous_commit = off")
        start_seq = int(await conn.fetchval("SELECT coalesce(max(seq), 0) FROM events"))
        generator = Generator(rng, end, per_month)
        generator.seq = start_seq
        teams = [(p.team_id, f"TRC {p.code} (volume)", p.code, end, json.dumps({}), "3x8") for p in where]
        await _copy(
            conn,
            "teams",
            ("id", "name", "region_code", "created_at", "four_ct_targets", "shift_template"),
            teams,
        )
        shift_start, shift_end = end - timedelta(days=30), end - timedelta(days=30) + timedelta(hours=8)
        crews = [
            (crew, p.team_id, f"Regu {'ABC'[i]}", shift_start, shift_end, "[]", "off_shift", shift_start, end)
            for p in where
            for i, crew in enumerate(p.crews)
        ]
        await _copy(
            conn,
            "crews",
            (
                "id",
                "team_id",
                "name",
                "shift_starts_at",
                "shift_ends_at",
                "coverage",
                "status",
                "status_at",
                "created_at",
            ),
            crews,
        )
        started = time.monotonic()
        for i, first in enumerate(spans := months(years, end)):
            stop = spans[i + 1] if i + 1 < len(spans) else end
            month = generator.month(first, stop, where)
            async with conn.transaction():
                await _copy(conn, "incidents", INCIDENT_COLUMNS, month.incidents)
                await _copy(conn, "reports", REPORT_COLUMNS, month.reports)
                await _copy(conn, "events", EVENT_COLUMNS, month.events)
                await _copy(conn, "offers", OFFER_COLUMNS, month.offers)
            for key, rows in (
                ("incidents", month.incidents),
                ("reports", month.reports),
                ("events", month.events),
                ("offers", month.offers),
            ):
                counts[key] += len(rows)
            progress(
                f"{first:%Y-%m}: {counts['incidents']:,} incidents, {counts['events']:,} events "
                f"({time.monotonic() - started:.0f} s)"
            )
        await conn.execute("UPDATE event_counter SET value = greatest(value, $1) WHERE id = 1", generator.seq)
        progress("ANALYZE")
        await conn.execute("ANALYZE incidents; ANALYZE reports; ANALYZE events; ANALYZE offers")
    finally:
        await conn.close()
    return counts
