"""The naive baseline the triage is measured against: the first lexicon keyword in the post decides its
category (app/triage/lexicon.py, on the same normalised and stemmed words); no keyword, not a case. No
weights, no negation, no model."""

from __future__ import annotations

from functools import lru_cache

from app.triage import lexicon
from app.triage.text import stem, words

NONE = "none"


@lru_cache(maxsize=1)
def _terms() -> list[tuple[tuple[str, ...], str]]:
    out = []
    for code, terms in lexicon.CATEGORY_TERMS.items():
        for term, _ in terms:
            needle = tuple(stem(w) for w in words(term.lstrip("=")))
            if needle:
                out.append((needle, code))
    # At one position the longer term wins ("orang terlantar" before "orang").
    return sorted(out, key=lambda t: -len(t[0]))


def first_keyword(text: str) -> str:
    stemmed = [stem(w) for w in words(text)]
    terms = _terms()
    for i in range(len(stemmed)):
        for needle, code in terms:
            if tuple(stemmed[i : i + len(needle)]) == needle:
                return code
    return NONE
