"""Pure statistics over plain rows (no FastAPI, no SQLAlchemy): time buckets in a kab/kota's own zone, counts
by dimensions, 4CT compliance per stage with median and p90 durations, dispatch rates.

Each incident is a `Row`; a dimension is a function of a row giving its key. A new dimension (the persons of
the cases issue, an outcome per person) is one more field and one more entry in DIMENSIONS.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Period = Literal["day", "week", "month"]
STAGES = ("temu", "tanggap", "tindak", "tuntas")
# Finished without being handled: no 4CT stage is owed.
NOT_HANDLED = frozenset({"rejected", "cancelled"})


@dataclass(frozen=True)
class Row:
    id: uuid.UUID
    region_code: str
    category: str
    priority: int
    status: str
    outcome: str | None
    channel: str | None
    crew: str | None
    received_at: datetime
    merged: bool
    # Stage -> when it was met (None: not yet), and its deadline; stages recorded as breached.
    stamps: Mapping[str, datetime | None] = field(default_factory=dict)
    deadlines: Mapping[str, datetime] = field(default_factory=dict)
    breached: frozenset[str] = frozenset()


def local_date(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def bucket(at: datetime, zone: ZoneInfo, period: Period) -> str:
    """The period an instant falls in, in that zone: `2026-11-29`, its ISO week's Monday, or `2026-11`."""
    day = local_date(at, zone)
    if period == "day":
        return day.isoformat()
    if period == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    return f"{day.year:04d}-{day.month:02d}"


def _kecamatan(code: str) -> str | None:
    parts = code.split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 else None


def _kelurahan(code: str) -> str | None:
    return code if code.count(".") == 3 else None


Dimension = Callable[[Row], str | None]


def dimensions(zone_of: Callable[[str], ZoneInfo], period: Period) -> dict[str, Dimension]:
    """Every dimension a statistic may be broken down by, as a key of a row."""
    return {
        "period": lambda r: bucket(r.received_at, zone_of(r.region_code), period),
        "kabkota": lambda r: ".".join(r.region_code.split(".")[:2]),
        "kecamatan": lambda r: _kecamatan(r.region_code),
        "kelurahan": lambda r: _kelurahan(r.region_code),
        "category": lambda r: r.category,
        "channel": lambda r: r.channel,
        "priority": lambda r: str(r.priority),
        "status": lambda r: r.status,
        "outcome": lambda r: r.outcome,
        "crew": lambda r: r.crew,
    }


Key = tuple[str | None, ...]


def group(rows: Iterable[Row], keys: Sequence[Callable[[Row], str | None]]) -> dict[Key, list[Row]]:
    groups: dict[Key, list[Row]] = defaultdict(list)
    for row in rows:
        groups[tuple(k(row) for k in keys)].append(row)
    return groups


def sort_key(key: Key) -> tuple[tuple[int, str], ...]:
    """Groups in key order, a missing key (None) after the others."""
    return tuple((1, "") if k is None else (0, k) for k in key)


def sorted_groups(groups: Mapping[Key, list[Row]]) -> list[tuple[Key, list[Row]]]:
    return sorted(groups.items(), key=lambda item: sort_key(item[0]))


def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass
class StageTally:
    met: int = 0
    breached: int = 0
    pending: int = 0
    minutes: list[float] = field(default_factory=list)

    @property
    def compliance(self) -> float | None:
        decided = self.met + self.breached
        return round(self.met / decided, 4) if decided else None


def stage_outcome(row: Row, stage: str, now: datetime) -> Literal["met", "breached", "pending"] | None:
    """Met in time, breached (met late, recorded as breached, or its deadline passed unmet), or pending;
    None when the incident owes no stage (rejected, cancelled, merged into another)."""
    if row.merged or row.status in NOT_HANDLED:
        return None
    stamp, deadline = row.stamps.get(stage), row.deadlines[stage]
    if stamp is not None:
        return "met" if stamp <= deadline and stage not in row.breached else "breached"
    if stage in row.breached or now > deadline:
        return "breached"
    return "pending"


def compliance(rows: Iterable[Row], now: datetime) -> tuple[int, dict[str, StageTally]]:
    """How many incidents, and per stage: met, breached, pending, and the minutes from the first report to
    the stage for those that reached it."""
    tallies = {stage: StageTally() for stage in STAGES}
    n = 0
    for row in rows:
        n += 1
        for stage in STAGES:
            outcome = stage_outcome(row, stage, now)
            if outcome is None:
                continue
            tally = tallies[stage]
            setattr(tally, outcome, getattr(tally, outcome) + 1)
            stamp = row.stamps.get(stage)
            if stamp is not None:
                tally.minutes.append((stamp - row.received_at).total_seconds() / 60)
    return n, tallies


@dataclass
class DispatchTally:
    incidents: int = 0
    offered: int = 0
    offers: Counter[str] = field(default_factory=Counter)
    escalations: Counter[str] = field(default_factory=Counter)
    escalated_incidents: int = 0

    @property
    def total_offers(self) -> int:
        return sum(self.offers.values())

    def rate(self, status: str) -> float | None:
        """Share of the offers answered or left to expire that ended so (withdrawn ones are no answer)."""
        answered = sum(self.offers[s] for s in ("accepted", "released", "declined", "expired"))
        return round(self.offers[status] / answered, 4) if answered else None

    @property
    def offers_per_incident(self) -> float | None:
        return round(self.total_offers / self.offered, 2) if self.offered else None
