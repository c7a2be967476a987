"""Indonesian names: a normal form to compare, and phonetic keys to find candidates by (blocking).

The keys fold the spellings a name takes in reports: old spelling (oe, dj, tj), ch/kh/h, z/s, f/v/ph, q/k,
doubled letters, a final h, and every vowel after the first letter (typos in vowels are the commonest), so
"Muhammad", "Mohamad" and "Muhamad" share one key, as do "Rizki"/"Risky" and "Achmad"/"Ahmad"."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Words that are not the name itself: honorifics, kinship terms used as titles, religious and academic titles.
TITLES = frozenset(
    [
        "bapak",
        "pak",
        "bpk",
        "ibu",
        "bu",
        "mbak",
        "mba",
        "mas",
        "bang",
        "abang",
        "kak",
        "kakak",
        "dek",
        "adek",
        "adik",
        "om",
        "tante",
        "nenek",
        "kakek",
        "mbah",
        "eyang",
        "h",
        "hj",
        "haji",
        "hajjah",
        "ustad",
        "ustadz",
        "ustadzah",
        "kyai",
        "kh",
        "alm",
        "almh",
        "almarhum",
        "almarhumah",
        "sdr",
        "sdri",
        "saudara",
        "saudari",
        "dr",
        "drs",
        "dra",
        "ir",
        "spd",
        "sh",
        "se",
        "st",
        "mm",
        "amd",
        "tn",
        "ny",
        "nn",
        "nona",
        "tuan",
        "nyonya",
    ]
)
# Joining words of patronymics: kept in the normal form, never a key.
JOINERS = frozenset({"bin", "binti", "bt", "bn"})
# Name parts so common that, alone, they say little of who someone is (the score weighs them less).
COMMON = frozenset({"md", "st", "nr", "abdl", "amd", "sr"})  # Muhammad/Made, Siti, Nur, Abdul, Ahmad, Sri
_SPACES = re.compile(r"[^a-z]+")
_FOLDS = (
    ("oe", "u"),
    ("dj", "j"),
    ("tj", "c"),
    ("sj", "sy"),
    ("nj", "ny"),
    ("ch", "h"),
    ("kh", "h"),
    ("sy", "s"),
    ("ph", "f"),
    ("dh", "d"),
    ("th", "t"),
    ("gh", "g"),
    ("ck", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("v", "f"),
    ("z", "s"),
)
_VOWELS = frozenset("aeiouy")


def plain(text: str) -> list[str]:
    """Lower-case ASCII words of any text."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in _SPACES.split(ascii_) if w]


# Cached: matching compares the same names again and again (namesakes, one report against 200 records).
@lru_cache(maxsize=65536)
def normalize(name: str) -> str:
    """Lower case, ASCII, titles dropped, one space between words: "Bpk. H. Achmad  Yani" -> "achmad yani".
    Academic titles follow a comma ("Budi Santoso, S.Pd"): the name is what comes before."""
    return " ".join(w for w in plain(name.split(",")[0]) if w not in TITLES)


@lru_cache(maxsize=65536)
def phonetic(word: str) -> str:
    """The consonant skeleton of one word, its first letter kept (a vowel as "a")."""
    w = word
    for old, new in _FOLDS:
        w = w.replace(old, new)
    if not w:
        return ""
    first = "a" if w[0] in _VOWELS else w[0]
    # h is silent between vowels and at the end in most spellings (Fatimah, Muhammad/Muamad).
    rest = [c for c in w[1:] if c not in _VOWELS and c != "h"]
    out = [first]
    for c in rest:
        if c != out[-1]:
            out.append(c)
    return "".join(out)


@lru_cache(maxsize=65536)
def words(name: str) -> tuple[str, ...]:
    return tuple(w for w in normalize(name).split() if w not in JOINERS)


@lru_cache(maxsize=65536)
def phonetic_name(name: str) -> str:
    return " ".join(p for p in (phonetic(w) for w in words(name)) if p)


def keys(names: list[str]) -> set[str]:
    """Blocking keys of a person's names and aliases: one per word ("n:" + its skeleton), common ones too."""
    return {f"n:{p}" for name in names for p in (phonetic(w) for w in words(name)) if len(p) >= 2}
