"""Builds records.jsonl: synthetic but plausible reports about people (ODGJ, gepeng, elderly, children) in
Kota Batam and Kota Mataram, each labelled with the human it is about (`person`), for the matching test.

    python -m tests.persons.data.make_records   # writes tests/persons/data/records.jsonl (seeded)

What makes it hard: common names shared by different people in one city, spellings (old spelling, vowels,
z/s, ch/kh, doubled letters), typos, nicknames, a first name only, no name at all, no NIK (most reports),
ages guessed by eye, people seen again elsewhere in the city, sex not given."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

from app.reference import regions

OUT = Path(__file__).with_name("records.jsonl")
MALE = [
    ("Muhammad", ["Mamat", "Amat"]),
    ("Ahmad", ["Mad"]),
    ("Agus", ["Gus"]),
    ("Budi", []),
    ("Joko", []),
    ("Slamet", ["Met"]),
    ("Sutrisno", ["Tris"]),
    ("Yusuf", ["Ucup"]),
    ("Rahmat", ["Mamat"]),
    ("Syamsudin", ["Udin"]),
    ("Setiawan", ["Iwan"]),
    ("Suryanto", ["Anto"]),
    ("Kurniawan", ["Wawan"]),
    ("Hidayat", ["Dayat"]),
    ("Abdullah", ["Dul"]),
    ("Rizki", ["Kiki"]),
    ("Andi", []),
    ("Dedi", []),
    ("Hendra", []),
    ("Eko", []),
    ("Bambang", ["Bams"]),
    ("Wahyu", []),
    ("Zainal", ["Jainal"]),
    ("Khairul", ["Irul"]),
    ("Darmawan", ["Darma"]),
    ("Supriyadi", ["Pri"]),
    ("Fajar", []),
    ("Ilham", []),
]
FEMALE = [
    ("Siti", []),
    ("Sri", []),
    ("Nurhayati", ["Yati"]),
    ("Mulyanti", ["Yanti"]),
    ("Dewi", []),
    ("Fatimah", ["Imah"]),
    ("Aminah", ["Minah"]),
    ("Rina", []),
    ("Wati", []),
    ("Suharti", ["Harti"]),
    ("Kartini", ["Tini"]),
    ("Yuliana", ["Yuli"]),
    ("Ratna", []),
    ("Endang", []),
    ("Lestari", ["Tari"]),
    ("Zulaikha", ["Ika"]),
    ("Rohani", ["Ani"]),
    ("Maryam", []),
]
FAMILY = [
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Susilo",
    "Setiawan",
    "Nasution",
    "Siregar",
    "Harahap",
    "Lubis",
    "Simanjuntak",
    "Purba",
    "Rahman",
    "Hasibuan",
    "Pratama",
    "Kusuma",
    "Gunawan",
    "Hakim",
    "Ramadhan",
    "Syahputra",
    "Ismail",
    "Yusuf",
    "Sembiring",
    "Tarigan",
    "Nugroho",
    "Wibowo",
]
FEATURES = [
    "kaos merah",
    "kaos hitam lusuh",
    "rambut gimbal",
    "rambut gondrong",
    "botak",
    "bertato naga di lengan",
    "membawa karung",
    "kaki pincang",
    "sering bicara sendiri",
    "tidak memakai alas kaki",
    "jenggot panjang",
    "memakai topi biru",
    "luka di kepala",
    "membawa tas plastik",
    "kurus sekali",
    "memakai sarung",
    "tangan kiri cacat",
    "bekas luka di pipi",
    "selalu membawa radio",
    "bertubuh gemuk",
]
NOISE = [
    "di pinggir jalan",
    "dekat pasar",
    "di depan masjid",
    "di halte",
    "di bawah jembatan",
    "tidur di emperan",
]
CITIES = {"21.71": (1.10, 104.00), "52.71": (-8.58, 116.10)}


def villages(city: str) -> list[str]:
    return [v.code for kec in regions.children(city) for v in regions.children(kec.code)]


def respell(name: str, rng: random.Random) -> str:
    """One plausible other writing of a name."""
    rules = [
        ("u", "oe"),
        ("j", "dj"),
        ("c", "tj"),
        ("kh", "ch"),
        ("z", "s"),
        ("i", "y"),
        ("u", "o"),
        ("o", "u"),
        ("mm", "m"),
        ("m", "mm"),
        ("h", ""),
        ("a", "e"),
        ("e", "i"),
        ("y", "i"),
        ("dh", "d"),
        ("f", "p"),
    ]
    low = name.lower()
    for _ in range(4):
        old, new = rng.choice(rules)
        pos = low.find(old, 1)
        if pos > 0:
            low = low[:pos] + new + low[pos + len(old) :]
            break
    return low.capitalize()


def typo(name: str, rng: random.Random) -> str:
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 1)
    kind = rng.choice(["drop", "swap", "double"])
    if kind == "drop":
        return name[:i] + name[i + 1 :]
    if kind == "swap":
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + name[i] + name[i:]


def nik_for(village: str, born: date, sex: str, rng: random.Random) -> str:
    day = born.day + (40 if sex == "female" else 0)
    region = village[:5].replace(".", "") + village[6:8]
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randrange(1, 9999):04d}"


def main(seed: int = 14, people: int = 130) -> None:
    rng = random.Random(seed)
    out = []
    start = date(2026, 1, 1)
    n = 0
    for pid in range(people):
        city = rng.choice(list(CITIES))
        places = villages(city)
        home = rng.choice(places)
        sex = rng.choice(["male", "female"])
        # Zipf-like: the first names of the list are the common ones, so namesakes are frequent.
        pool = MALE if sex == "male" else FEMALE
        first, nicks = pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1)]
        family = rng.choice(FAMILY) if rng.random() < 0.7 else None
        full = f"{first} {family}" if family else first
        age = rng.randint(8, 80)
        born = date(2026 - age, rng.randint(1, 12), rng.randint(1, 28))
        nik = nik_for(home, born, sex, rng) if rng.random() < 0.6 else None
        features = rng.sample(FEATURES, 3)
        reports = rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0]
        day = rng.randint(0, 60)
        place = home
        for _ in range(reports):
            style = rng.random()
            if style < 0.30:
                name: str | None = full
            elif style < 0.50:
                name = respell(full, rng)
            elif style < 0.62:
                name = typo(full, rng)
            elif style < 0.72:
                name = first
            elif style < 0.82 and nicks:
                name = rng.choice(nicks)
            elif style < 0.92:
                name = f"{respell(first, rng)} {family}" if family else respell(first, rng)
            else:
                name = None
            if rng.random() < 0.35:
                place = rng.choice(places)
            kec = [p for p in places if p[:8] == place[:8]]
            where = place if rng.random() < 0.7 else rng.choice(kec)
            idx = places.index(where)
            lat0, lon0 = CITIES[city]
            lat = round(lat0 + (idx % 9) * 0.012 + rng.uniform(-0.002, 0.002), 5)
            lon = round(lon0 + (idx // 9) * 0.012 + rng.uniform(-0.002, 0.002), 5)
            out.append(
                {
                    "id": n,
                    "person": pid,
                    "day": (start + timedelta(days=day)).isoformat(),
                    "name": name,
                    "nik": nik if rng.random() < 0.35 else None,
                    "sex": sex if rng.random() < 0.9 else "unknown",
                    "age": max(1, age + rng.randint(-4, 4)) if rng.random() < 0.9 else None,
                    "region_code": where,
                    "lat": lat,
                    "lon": lon,
                    "description": ", ".join([*rng.sample(features, rng.randint(1, 2)), rng.choice(NOISE)]),
                }
            )
            n += 1
            day += rng.randint(20, 120)
    out.sort(key=lambda r: (r["day"], r["id"]))
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    print(f"{len(out)} records of {people} people -> {OUT}")


if __name__ == "__main__":
    main()
