"""Suggests a category, urgency flags, a place and a confidence for a post. An operator always verifies:
this only fills the form and orders the queue.

Every lexicon term (app/triage/lexicon.py) found in the stemmed post adds its weight to its category; a
few combinations settle what the words alone leave open (an old person "terlantar" is LUT, not OT; a
shackled ODGJ is PASUNG). Below MIN_SCORE the category stays unknown."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from app.reference import regions
from app.triage import lexicon
from app.triage.text import contains, stem, stems, words

MIN_SCORE = 2
# Words shortly before a place name that say "this is where": "di Tiban Lama", "dekat lampu merah Batu Aji".
LOCATIVE = frozenset(
    {
        "di",
        "dekat",
        "daerah",
        "kawasan",
        "sekitar",
        "seputar",
        "seputaran",
        "kelurahan",
        "kecamatan",
        "desa",
        "wilayah",
        "depan",
        "arah",
        "area",
        "dari",
        "ke",
        "belakang",
        "samping",
        "simpang",
        "pasar",
        "kampung",
        "pantai",
        "jalan",
        "perumahan",
        "komplek",
        "perum",
        "pelabuhan",
        "terminal",
        "halte",
    }
)


def _needle(term: str) -> tuple[str, ...]:
    """Stemmed words, or "=" + the words as written (matched against the unstemmed post)."""
    if term.startswith("="):
        return ("=", *words(term[1:]))
    return tuple(stems(term))


def _compile(terms: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    return [(t.lstrip("="), _needle(t)) for t in terms]


def _found(stemmed: list[str], raw: list[str], needle: tuple[str, ...]) -> bool:
    if needle and needle[0] == "=":
        return contains(raw, needle[1:])
    return bool(needle) and contains(stemmed, needle)


@lru_cache(maxsize=1)
def _compiled() -> tuple[
    dict[str, list[tuple[str, tuple[str, ...], int]]],
    dict[str, list[tuple[str, tuple[str, ...]]]],
    list[tuple[str, tuple[str, ...]]],
]:
    categories = {
        code: [(t.lstrip("="), _needle(t), w) for t, w in terms]
        for code, terms in lexicon.CATEGORY_TERMS.items()
    }
    flags = {flag: _compile(terms) for flag, terms in lexicon.FLAG_TERMS.items()}
    return categories, flags, _compile(lexicon.URGENT_TERMS)


@dataclass(frozen=True, slots=True)
class Suggestion:
    category: str
    confidence: float
    flags: tuple[str, ...]
    urgent: bool
    region_code: str | None
    place: str | None
    matched: tuple[str, ...]
    scores: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "category": self.category,
            "confidence": self.confidence,
            "flags": list(self.flags),
            "urgent": self.urgent,
            "region_code": self.region_code,
            "place": self.place,
            "matched": list(self.matched),
            "scores": self.scores,
        }


def suggest(text: str, *, region_scope: str | None = None, place_name: str | None = None) -> Suggestion:
    """`region_scope`: the team's kab/kota, whose kecamatan and kelurahan names are looked for."""
    categories, flag_terms, urgent_terms = _compiled()
    raw = words(text)
    tokens = [stem(w) for w in raw]
    scores: dict[str, int] = defaultdict(int)
    matched: list[str] = []
    for code, terms in categories.items():
        for term, needle, weight in terms:
            if _found(tokens, raw, needle):
                scores[code] += weight
                matched.append(term)
    flags = sorted(
        {flag for flag, terms in flag_terms.items() for _, needle in terms if _found(tokens, raw, needle)}
    )
    # Combinations the words alone leave open.
    if scores.get("OT") and "elderly" in flags:
        scores["LUT"] += 2
    if scores.get("OT") and "child" in flags and not scores.get("ABT"):
        scores["AT"] += 2
    if scores.get("PASUNG") and scores.get("ODGJ"):
        scores["PASUNG"] += 2
    if scores.get("JENAZAH", 0) >= 3:
        scores["JENAZAH"] += 2  # a body is a body, whoever it was
    if scores.get("AKTK") and "child" not in flags:
        scores["KTK"] += scores.pop("AKTK")
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    category, confidence = "unknown", 0.0
    if ranked and ranked[0][1] >= MIN_SCORE:
        category, top = ranked[0]
        total = sum(s for _, s in ranked)
        confidence = round(min(1.0, top / 5) * top / total, 2)
    if category != "JENAZAH" and "deceased" in flags and scores.get("JENAZAH", 0) < 2:
        flags.remove("deceased")  # "hampir mati kelaparan" is not a body
    urgent = any(_found(tokens, raw, needle) for _, needle in urgent_terms) or "agitated" in flags
    region, place = find_place(text, region_scope, place_name) if region_scope else (None, None)
    return Suggestion(category, confidence, tuple(flags), urgent, region, place, tuple(matched), dict(scores))


@lru_cache(maxsize=64)
def _places(scope: str) -> dict[tuple[str, ...], list[tuple[str, str]]]:
    """Kecamatan and kelurahan/desa names of a kab/kota, as word tuples -> [(code, name)]."""
    index: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
    for kecamatan in regions.children(scope):
        index[tuple(words(kecamatan.name))].append((kecamatan.code, kecamatan.name))
        for village in regions.children(kecamatan.code):
            index[tuple(words(village.name))].append((village.code, village.name))
    return dict(index)


def find_place(text: str, scope: str, place_name: str | None = None) -> tuple[str | None, str | None]:
    """The most specific region of `scope` the post names after a locative word (or in its place field)."""
    if scope.count(".") != 1:
        return None, None
    index = _places(scope)
    found: list[tuple[str, str]] = []
    for source, need_cue in ((words(place_name or ""), False), (words(text), True)):
        for i in range(len(source)):
            for n in (4, 3, 2, 1):
                key = tuple(source[i : i + n])
                if len(key) < n or key not in index:
                    continue
                if need_cue and not any(w in LOCATIVE for w in source[max(0, i - 3) : i]):
                    continue
                found.extend(index[key])
                break
    if not found:
        return None, None
    codes = {c for c, _ in found}
    # A kelurahan inside a named kecamatan first; then the most specific that is not ambiguous.
    villages = [(c, n) for c, n in found if c.count(".") == 3]
    districts = {c for c in codes if c.count(".") == 2}
    inside = [(c, n) for c, n in villages if any(c.startswith(d + ".") for d in districts)]
    for pool in (inside, villages, [(c, n) for c, n in found if c.count(".") == 2]):
        distinct = {c for c, _ in pool}
        if len(distinct) == 1:
            return pool[0]
        if len(distinct) > 1:
            parents = {c.rsplit(".", 1)[0] for c in distinct}
            if len(parents) == 1 and pool is not found:
                parent = parents.pop()
                region = regions.get_region(parent)
                return parent, region.name if region else None
    return None, None
