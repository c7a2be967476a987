"""The dispatch board's spatial view without a map: the open cases of each kecamatan (counted by priority,
the oldest's age) and the free crew nearest to any of them, in km (pure: no database, no HTTP).

"Nearest" is the straight line from the crew's last position to a case with coordinates: a case placed by
its kelurahan only has no point, and a crew that never sent its position has none either; the kecamatan
then shows no distance rather than a guess."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.dispatch.engine import Point, haversine_km


@dataclass(frozen=True, slots=True)
class OpenCase:
    region_code: str
    priority: int
    first_received_at: datetime
    location: Point | None


@dataclass(frozen=True, slots=True)
class FreeCrew:
    name: str
    position: Point | None


@dataclass(slots=True)
class District:
    code: str
    name: str
    # priority (1-4) → open cases
    by_priority: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0, 4: 0})
    oldest: datetime | None = None
    nearest_crew: str | None = None
    nearest_km: float | None = None

    @property
    def total(self) -> int:
        return sum(self.by_priority.values())


def kecamatan_of(region_code: str) -> str | None:
    parts = region_code.split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 else None


def summarise(
    kecamatan: Sequence[tuple[str, str]], cases: Sequence[OpenCase], crews: Sequence[FreeCrew]
) -> list[District]:
    """One row per kecamatan given ((code, name), in the kab/kota), those with the most urgent open cases
    first (the count of P1, then P2, ..., then the oldest); cases outside them are left out."""
    rows = {code: District(code, name) for code, name in kecamatan}
    placed = [c for c in crews if c.position is not None]
    for case in cases:
        row = rows.get(kecamatan_of(case.region_code) or "")
        if row is None:
            continue
        row.by_priority[case.priority] = row.by_priority.get(case.priority, 0) + 1
        if row.oldest is None or case.first_received_at < row.oldest:
            row.oldest = case.first_received_at
        if case.location is None:
            continue
        for crew in placed:
            assert crew.position is not None
            km = haversine_km(case.location, crew.position)
            if row.nearest_km is None or km < row.nearest_km:
                row.nearest_km, row.nearest_crew = round(km, 1), crew.name
    return sorted(
        rows.values(),
        key=lambda d: (
            d.total == 0,
            *(-d.by_priority.get(p, 0) for p in (1, 2, 3, 4)),
            d.oldest.timestamp() if d.oldest else 0.0,
            d.name,
        ),
    )
