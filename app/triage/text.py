"""Normalising posts: lower case, links and mentions out, reduplication ("anak2") resolved, regional and
slang variants mapped to standard Indonesian (app/triage/variants.py), every word stemmed with Sastrawi
(Nazief-Adriani), so "mengamuk", "ngamok" and "amuk" meet."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from app.triage.lexicon import SLANG
from app.triage.variants import APOSTROPHE, PHRASES, SUNDA_NA, WORDS

# A sentence boundary among the tokens: negation and phrases do not reach across it.
BREAK = "|"

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_REDUP = re.compile(r"\b([a-z]+)2(?=\b|[^a-z0-9])")
_HYPHEN_REDUP = re.compile(r"\b([a-z]+)-\1\b")
# Madurese reduplication drops the first syllables: "nak-kanak", "tang-ana'an", "reng-oreng".
_PARTIAL_REDUP = re.compile(r"\b[a-z]{2,4}-([a-z]{3,}'?[a-z]*)\b")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]*)?|[.!?;\n]+")
_VOCAB: dict[str, str] = {**SLANG, **WORDS}
# first word -> [(phrase, replacement)], longest first
_PHRASES: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
for _k, _v in sorted(PHRASES.items(), key=lambda kv: -len(kv[0].split())):
    _PHRASES.setdefault(_k.split()[0], []).append((tuple(_k.split()), tuple(_v.split())))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    """Built on first use: its dictionary costs memory a worker that never triages need not pay."""
    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=65536)
def _word(token: str) -> tuple[str, ...]:
    """A token's standard words (cached per token, like its stem)."""
    if "'" in token:
        if token in APOSTROPHE:
            return tuple(APOSTROPHE[token].split())
        token = token.replace("'", "")
    if not token:
        return ()
    if token not in _VOCAB and len(token) > 6 and token.endswith("keun"):
        token = token[:-4] + "kan"  # Sundanese -keun is -kan: "dikawinkeun", "ditinggalkeun"
    if token not in _VOCAB and token.endswith("na") and token[:-2] in SUNDA_NA:
        base = _VOCAB.get(token[:-2], token[:-2]).split()
        return (*base[:-1], base[-1] + "nya")
    return tuple(_VOCAB.get(token, token).split())


def _phrases(seq: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(seq):
        for key, value in _PHRASES.get(seq[i], ()):
            if tuple(seq[i : i + len(key)]) == key:
                out.extend(value)
                i += len(key)
                break
        else:
            out.append(seq[i])
            i += 1
    return out


def _ascii(text: str) -> str:
    """ "gélo" -> "gelo": accents off (Sundanese é, typed or not)."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    text = _ascii(text.lower())
    # each substitution only where its pattern can match (a link has "http" or "www", a mention "@", ...)
    if "http" in text or "www" in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    text = text.replace("’", "'").replace("`", "'")
    if "2" in text:
        text = _REDUP.sub(r"\1 \1", text)
    if "-" in text:
        text = _PARTIAL_REDUP.sub(r"\1 \1", _HYPHEN_REDUP.sub(r"\1 \1", text))
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token[0] in ".!?;\n":
            if out and out[-1] != BREAK:
                out.append(BREAK)
            continue
        out.extend(_word(token))
    return tuple(_phrases(out)) if len(out) > 1 else tuple(out)


def tokens(text: str) -> list[str]:
    """Normalised words with sentence boundaries (BREAK)."""
    return list(_tokens(text))


def words(text: str) -> list[str]:
    """The post's words, normalised but not stemmed (for place names and fingerprints)."""
    return [t for t in _tokens(text) if t != BREAK]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if word == BREAK or word.isdigit():
        return word
    return str(_stemmer().stem(word)) or word


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def contains(haystack: list[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(tuple(haystack[i : i + n]) == needle for i in range(len(haystack) - n + 1))
