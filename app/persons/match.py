"""Scoring a person record against what a report says of its subject: a score in [0, 1] and its reasons in
Bahasa Indonesia. Pure: the service retrieves a bounded set of candidates (by NIK, name keys and place) and
calls `score` on each.

The score adds evidence: an equal NIK settles it; names (with aliases and nicknames), sex, age, place and the
description add or take away. Contradictions (another sex, another NIK, an age far off) weigh more than
agreements, since a wrong link mixes two people's records."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz

from app.persons import names as nm
from app.persons import nik as nik_rules

# A proposal is shown from PROPOSE up; STRONG is "very likely the same person". Chosen on the labelled
# records (tests/persons/): PROPOSE finds ~87 % of the known people, STRONG is right ~94 % of the time.
PROPOSE = 0.4
STRONG = 0.65
MAX_PROPOSALS = 5
# score() stops at another name: -0.2 and everything else agreeing (+0.5 at most) stays under PROPOSE.
assert PROPOSE > 0.3


@dataclass(frozen=True, slots=True)
class Seen:
    """What a report says of one subject (or what a record holds, for a candidate)."""

    names: tuple[str, ...] = ()
    nik: str | None = None
    sex: str = "unknown"
    # Age in years at `on`, or the birth years it allows.
    birth_year_min: int | None = None
    birth_year_max: int | None = None
    region_code: str | None = None
    home_region_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Scored:
    score: float
    reasons: list[str] = field(default_factory=list)
    nik_match: bool = False


def with_nik(seen: Seen, today: date) -> Seen:
    """A valid NIK tells the birth year and the sex: they weigh as if the report had said them."""
    if not seen.nik:
        return seen
    try:
        info = nik_rules.parse_nik(seen.nik, today=today)
    except ValueError:
        return seen
    return replace(
        seen,
        sex=seen.sex if seen.sex != "unknown" else info.sex,
        birth_year_min=info.birth_date.year,
        birth_year_max=info.birth_date.year,
    )


def birth_years(age: int | None, on: date, *, spread: int = 3) -> tuple[int | None, int | None]:
    """Birth years of someone said to be `age` on `on`, give or take `spread` (ages are guessed by eye)."""
    if age is None:
        return None, None
    return on.year - age - spread, on.year - age + spread


def _name_similarity(query: tuple[str, ...], candidate: tuple[str, ...]) -> tuple[float, str, bool]:
    """The best similarity of any name of the report to any name of the record, how it was found, and
    whether it rests on a single word (a first name or a nickname says less than a whole name)."""
    best, how, single = 0.0, "", True
    for q in query:
        qn, qp = nm.normalize(q), nm.phonetic_name(q)
        qw = [nm.phonetic(w) for w in nm.words(q)]
        for c in candidate:
            cn, cp = nm.normalize(c), nm.phonetic_name(c)
            if not qn or not cn:
                continue
            cw = [nm.phonetic(w) for w in nm.words(c)]
            spelled = fuzz.token_sort_ratio(qn, cn) / 100
            sounded = 0.97 * fuzz.token_sort_ratio(qp, cp) / 100 if qp and cp else 0.0
            # A name given in part ("Budi" for "Budi Santoso"): good, not as good as the whole name.
            part = 0.85 * fuzz.token_set_ratio(qp, cp) / 100 if qp and cp else 0.0
            # A nickname is often the end of a word of the name: Udin (Syamsudin), Iwan (Setiawan).
            nick = 0.0
            if len(qw) == 1 and len(qw[0]) >= 2:
                q0 = qw[0][1:] if qw[0][0] == "a" else qw[0]
                if len(q0) >= 2 and any(len(w) > len(q0) + 1 and w.endswith(q0) for w in cw):
                    nick = 0.8
            s = max(spelled, sounded, part, nick)
            one = min(len(qw), len(cw)) < 2 or s in (part, nick)
            if s > best or (s == best and single and not one):
                best, single = s, one
                if s == spelled:
                    how = f"nama mirip ({q} ~ {c}, {round(100 * spelled)}%)"
                elif s == sounded:
                    how = f"nama terdengar sama ({q} ~ {c})"
                elif s == part:
                    how = f"sebagian nama sama ({q} ~ {c})"
                else:
                    how = f"nama panggilan cocok ({q} ~ {c})"
    return best, how, single


def _name_points(sim: float, single: bool, common: bool) -> float:
    """Whole names that agree weigh most; one word (a first name, a nickname) less, a common one least."""
    if sim >= 0.9:
        return 0.2 if common else 0.3 if single else 0.5
    if sim >= 0.8:
        return 0.15 if common else 0.25 if single else 0.4
    if sim >= 0.7:
        return 0.1 if single else 0.25
    if sim < 0.55:
        return -0.2
    return 0.0


@lru_cache(maxsize=4096)
def _common(names_: tuple[str, ...]) -> bool:
    ws = [nm.phonetic(w) for n in names_ for w in nm.words(n)]
    return len(ws) == 1 and (ws[0] in nm.COMMON or len(ws[0]) <= 2)


_STOP = frozenset(
    [
        "di",
        "ke",
        "dan",
        "yang",
        "dekat",
        "depan",
        "pinggir",
        "bawah",
        "sering",
        "selalu",
        "memakai",
        "membawa",
        "tidak",
        "jalan",
    ]
)


@lru_cache(maxsize=65536)
def _features(text: str) -> str:
    return " ".join(w for w in nm.plain(text) if w not in _STOP and len(w) > 2)


def _distance_m(a: Seen, b: Seen) -> float | None:
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)  # type: ignore[arg-type]
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)  # type: ignore[operator]
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(math.sqrt(h))


def _place(query: Seen, cand: Seen) -> tuple[float, str]:
    code = query.region_code
    best, why = 0.0, ""
    for theirs, label in ((cand.region_code, "terakhir ditemukan"), (cand.home_region_code, "alamat asal")):
        if not code or not theirs:
            continue
        if code == theirs and code.count(".") == 3:
            s, w = 0.2, f"{label} di kelurahan/desa yang sama ({code})"
        elif code[:8] == theirs[:8] and code.count(".") >= 2 and theirs.count(".") >= 2:
            s, w = 0.1, f"{label} di kecamatan yang sama ({code[:8]})"
        elif code[:5] == theirs[:5]:
            s, w = 0.03, f"{label} di kab/kota yang sama ({code[:5]})"
        else:
            continue
        if s > best:
            best, why = s, w
    d = _distance_m(query, cand)
    if d is not None and d <= 2000:
        s = 0.2 if d <= 500 else 0.12
        if s >= best:
            best, why = s, f"ditemukan {round(d)} m dari tempat terakhir ia ditemukan"
    return best, why


def _age(query: Seen, cand: Seen) -> tuple[float, str]:
    if None in (query.birth_year_min, query.birth_year_max, cand.birth_year_min, cand.birth_year_max):
        return 0.0, ""
    lo = max(query.birth_year_min, cand.birth_year_min)  # type: ignore[type-var]
    hi = min(query.birth_year_max, cand.birth_year_max)  # type: ignore[type-var]
    if lo <= hi:  # type: ignore[operator]
        return 0.1, "umur cocok"
    gap = lo - hi  # type: ignore[operator]
    if gap <= 4:
        return 0.0, ""
    if gap <= 10:
        return -0.15, f"umur berbeda sekitar {gap} tahun"
    return -0.35, f"umur jauh berbeda (lebih dari {gap} tahun)"


def score(query: Seen, cand: Seen) -> Scored:
    reasons: list[str] = []
    nik_match = bool(query.nik and cand.nik and query.nik == cand.nik)
    total = 0.0
    if query.names and cand.names:
        sim, how, single = _name_similarity(query.names, cand.names)
        total += _name_points(sim, single, _common(query.names))
        if sim < 0.55:
            how = "nama berbeda"
            if not nik_match:
                # Nothing else adds enough to propose someone of another name: no need to weigh the rest.
                return Scored(0.0, [how])
        if how:
            reasons.append(how)
    if query.sex != "unknown" and cand.sex != "unknown":
        if query.sex == cand.sex:
            total += 0.1
            reasons.append("jenis kelamin sama")
        else:
            total -= 0.5
            reasons.append("jenis kelamin berbeda")
    s, why = _age(query, cand)
    total += s
    if why:
        reasons.append(why)
    s, why = _place(query, cand)
    total += s
    if why:
        reasons.append(why)
    if query.description and cand.description:
        qf, cf = _features(query.description), _features(cand.description)
        sim = fuzz.token_set_ratio(qf, cf) / 100 if qf and cf else 0.0
        if sim >= 0.75:
            total += 0.1 * sim
            reasons.append(f"ciri-ciri mirip ({round(100 * sim)}%)")
    if nik_match:
        return Scored(1.0, ["NIK sama persis", *reasons], nik_match=True)
    if query.nik and cand.nik:
        total = min(total, 0.3)
        reasons.append("NIK berbeda")
    return Scored(round(max(0.0, min(total, 0.99)), 3), reasons)


def strength(value: float) -> str:
    """The label an operator reads beside the score."""
    if value >= 1.0:
        return "pasti"
    if value >= STRONG:
        return "kuat"
    return "mungkin"
