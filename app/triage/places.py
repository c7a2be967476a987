"""Finding the kelurahan/desa or kecamatan of the team's kab/kota that a post names.

A name counts when a locative word comes shortly before it ("di", Javanese "nang", Malay "kat", Sasak
"leq" are all "di" by then; "dekat", "pasar", "warga", ...), when it is written with a capital inside the
post ("Kades Suren Ledokombo"), or when it is the post's place field. Local names people use instead of the
official ones (Batam's Nagoya, Jodoh) are aliases. The kab/kota's own name (Mataram) is the city, not its
namesake kecamatan, unless "kecamatan" says so."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from app.reference import regions
from app.triage.text import words

_LOCATIVE_WORDS = (
    "di dekat daerah kawasan sekitar seputar seputaran sekitaran kelurahan kecamatan desa dusun wilayah "
    "depan arah area dari ke belakang samping simpang pasar kampung pantai jalan perumahan komplek perum "
    "pelabuhan terminal halte warga asal e ing masjid kades lurah kepling rt rw puskesmas polsek sungai kali "
    "pinggir stasiun alun taman pos lokasi seberang ujung tengah bawah emperan toko ruko lampu merah menuju "
    "kantor camat dermaga jeti pelantar perairan hutan kebun sawah pondok gubuk bukit perempatan"
)
LOCATIVE = frozenset(_LOCATIVE_WORDS.split())

# Local names -> the official name they stand for, per kab/kota.
ALIASES: dict[str, dict[str, str]] = {
    "21.71": {
        "nagoya": "Lubuk Baja Kota",
        "jodoh": "Sungai Jodoh",
        "batam centre": "Teluk Tering",
        "batam center": "Teluk Tering",
        "tiban": "Sekupang",
        "rempang": "Rempang Cate",
        "harbour bay": "Sungai Jodoh",
        "tanjung uma": "Tanjung Uma",
    },
    "52.71": {"cakra": "Cakranegara"},
}


@lru_cache(maxsize=64)
def _places(scope: str) -> dict[tuple[str, ...], list[tuple[str, str]]]:
    """Kecamatan and kelurahan/desa names of a kab/kota and its aliases: word tuples -> [(code, name)]."""
    index: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
    for kecamatan in regions.children(scope):
        index[tuple(words(kecamatan.name))].append((kecamatan.code, kecamatan.name))
        for village in regions.children(kecamatan.code):
            index[tuple(words(village.name))].append((village.code, village.name))
    for alias, name in ALIASES.get(scope, {}).items():
        index[tuple(words(alias))].extend(index.get(tuple(words(name)), []))
    return dict(index)


@lru_cache(maxsize=64)
def _first_words(scope: str) -> frozenset[str]:
    """The first words of the names of `_places(scope)`."""
    return frozenset(key[0] for key in _places(scope) if key)


@lru_cache(maxsize=64)
def _own_name(scope: str) -> tuple[str, ...]:
    region = regions.get_region(scope)
    name = re.sub(r"^(kota|kabupaten|kab\.?)\s+", "", region.name.lower()) if region else ""
    return tuple(words(name))


def _capitalised(text: str, name: tuple[str, ...]) -> bool:
    """Whether the name is written with capitals somewhere after the post's first word."""
    pattern = r"\W+".join(re.escape(w.capitalize()) for w in name)
    return any(m.start() > 0 for m in re.finditer(rf"(?<![\w]){pattern}(?![\w])", text))


@lru_cache(maxsize=1024)
def find_place(text: str, scope: str, place_name: str | None = None) -> tuple[str | None, str | None]:
    """The most specific region of `scope` the post names (or its place field names)."""
    if scope.count(".") != 1:
        return None, None
    index = _places(scope)
    firsts = _first_words(scope)
    own = _own_name(scope)
    found: list[tuple[str, str]] = []
    for source, need_cue in ((words(place_name or ""), False), (words(text), True)):
        for i in range(len(source)):
            if source[i] not in firsts:  # no name starts with this word (most words): nothing to look up
                continue
            for n in (4, 3, 2, 1):
                key = tuple(source[i : i + n])
                if len(key) < n or key not in index:
                    continue
                before = source[max(0, i - 3) : i]
                if key == own and "kecamatan" not in before:
                    break  # the kab/kota itself ("di Mataram"), not its namesake kecamatan
                if len(key) < len(own) and tuple(source[i : i + len(own)]) == own:
                    break  # "Penajam" of "Penajam Paser Utara"
                if need_cue and not any(w in LOCATIVE for w in before) and not _capitalised(text, key):
                    continue
                found.extend(index[key])
                break
    return _most_specific(found)


def _most_specific(found: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    if not found:
        return None, None
    codes = {c for c, _ in found}
    # A kelurahan inside a named kecamatan first; then the most specific that is not ambiguous.
    districts = {c for c in codes if c.count(".") == 2}
    district_names = {n.lower() for c, n in found if c in districts}
    # "Kades Suren Ledokombo": the village Ledokombo is the kecamatan's namesake; Suren is the place.
    villages = [(c, n) for c, n in found if c.count(".") == 3]
    if len({c for c, _ in villages}) > 1:
        villages = [(c, n) for c, n in villages if n.lower() not in district_names] or villages
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


_AUTHORITIES = frozenset(["polres", "polresta", "pemkab", "pemkot", "bupati", "walikota"])
# A dateline: a place name opening the post, then a colon or a dash ("Brebes:", "SURABAYA -").
_DATELINE = re.compile(r"\s*([A-Za-z][A-Za-z .'-]{2,30}?)\s*(?::|\s[-\u2013\u2014]\s)")


def datelined_elsewhere(text: str, scope: str) -> bool:
    """Whether the post opens with a dateline naming another kab/kota or province ("Brebes: Dinsos evakuasi
    ...", "SURABAYA - ..."): a news item from there."""
    dateline = _DATELINE.match(text)
    if scope.count(".") != 1 or not dateline:
        return False
    key = tuple(words(dateline.group(1)))
    codes = _other_regions().get(key)
    return bool(codes) and key not in _places(scope) and not any(c in (scope, scope[:2]) for c in codes or ())


@lru_cache(maxsize=1)
def _other_regions() -> dict[tuple[str, ...], set[str]]:
    """Names of every province and kab/kota in Indonesia, as word tuples -> their codes."""
    index: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for province in regions.children(None):
        index[tuple(words(province.name))].add(province.code)
        for regency in regions.children(province.code):
            name = re.sub(
                r"^(kota administrasi|kabupaten administrasi|kota|kabupaten)\s+", "", regency.name.lower()
            )
            for key in (tuple(words(name)), tuple(words(regency.name)), ("".join(words(name)),)):
                index[key].add(regency.code)
    return dict(index)


def elsewhere(text: str, scope: str) -> bool:
    """Whether the post says something happened ("di ...") in another kab/kota or province, and names no
    place of its own kab/kota: news from elsewhere, not a case for this team."""
    # the same arguments as `suggest` passes, so the cached answer is shared (one scan per post, not two)
    if scope.count(".") != 1 or find_place(text, scope, None)[0]:
        return False
    if datelined_elsewhere(text, scope):
        return True
    local = _places(scope)
    others = _other_regions()
    source = words(text)
    for i, w in enumerate(source):
        # "di Surabaya", or a name that says it is a kab/kota: "Satpol PP Kota Tegal" in Kabupaten Tegal.
        explicit = w in ("kota", "kabupaten", "kab", "provinsi")
        if w in _AUTHORITIES:  # "Polres Brebes", "Pemkab Banyuwangi": an authority of another kab/kota
            key = tuple(source[i + 1 : i + 2])
            if (
                (codes := others.get(key))
                and key not in local
                and not any(c in (scope, scope[:2]) for c in codes)
            ):
                return True
            continue
        if w != "di" and not explicit:
            continue
        for n in (3, 2, 1):
            key = tuple(source[i + 1 : i + 1 + n])
            codes = others.get((w, *key) if explicit else key)
            if (
                len(key) == n
                and codes
                and key not in local
                and not any(c in (scope, scope[:2]) for c in codes)
            ):
                return True
    return False
