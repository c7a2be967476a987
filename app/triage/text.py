"""Normalising posts: lower case, links and mentions out, reduplication ("anak2") and slang resolved, and
every word stemmed with Sastrawi (Nazief-Adriani), so "mengamuk" and "amuk" meet."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from app.triage.lexicon import SLANG

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_REDUP = re.compile(r"\b([a-z]+)2\b")
_HYPHEN_REDUP = re.compile(r"\b([a-z]+)-\1\b")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    """Built on first use: its dictionary costs memory a worker that never triages need not pay."""
    return StemmerFactory().create_stemmer()


def words(text: str) -> list[str]:
    """The post's words, normalised but not stemmed (for place names)."""
    text = _MENTION.sub(" ", _URL.sub(" ", text.lower()))
    text = _HYPHEN_REDUP.sub(r"\1 \1", _REDUP.sub(r"\1 \1", text))
    out: list[str] = []
    for token in _NOT_WORD.sub(" ", text).split():
        out.extend(SLANG.get(token, token).split())
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer().stem(word)) or word


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def contains(haystack: list[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(tuple(haystack[i : i + n]) == needle for i in range(len(haystack) - n + 1))
