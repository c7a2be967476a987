"""The features the model (app/triage/model.py) sees: stemmed words and word pairs (a denied word is its own
feature: "bukan odgj" is not "odgj"), character 3-5-grams of the normalised words (they carry spelling
variants the variant table does not know), and the rule cues (app/triage/cues.py) as words of their own.
Training and serving call the same function, so the two can never disagree."""

from __future__ import annotations

from functools import lru_cache

from app.triage.negation import denied
from app.triage.text import BREAK, stem, tokens

# Bump when the features change: a model trained on other features is refused (app/triage/model.py).
# 4: Madurese, Sundanese, Sasak and Banjar words; cues for rare categories (session 10)
# 5: Sundanese -na, Sasak and Javanese/Madurese words; lost-child, wage, maid and figurative cues
#    (session 10, second round)
# 6: carers' words in Sasak, Javanese, Madurese, Banjar; carers abroad or held; "at:carer", "aj:work" cues
#    (session 12)
VERSION = 6


@lru_cache(maxsize=1024)
def analyse(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[bool, ...]]:
    """Normalised words, their stems and negation, with sentence boundaries kept."""
    toks = tokens(text)
    return tuple(toks), tuple(stem(t) for t in toks), tuple(denied(toks))


@lru_cache(maxsize=65536)
def _ngrams(tok: str) -> tuple[str, ...]:
    """A word's character 3-5-grams, padded with a space each side (cached per word, like its stem)."""
    if len(tok) < 3 or tok.isdigit():
        return ()
    padded = f" {tok} "
    return tuple("c:" + padded[k : k + n] for n in (3, 4, 5) for k in range(len(padded) - n + 1))


def parts(text: str, cues: tuple[str, ...] = ()) -> tuple[set[str], list[str]]:
    """The features other than the n-grams, and the words whose character n-grams (`_ngrams`) are features
    too: `features` and the model's per-word cache of n-gram rows (app/triage/model.py) share it."""
    toks, stems_, neg = analyse(text)
    out: set[str] = set()
    grams: list[str] = []
    prev = None
    for tok, st, no in zip(toks, stems_, neg, strict=True):
        if st == BREAK:
            prev = None
            continue
        word = ("n:" if no else "w:") + st
        out.add(word)
        if prev is not None:
            out.add(f"b:{prev}_{word[2:]}")
        prev = word[2:] if not no else "~" + word[2:]
        grams.append(tok)
    out.update("q:" + c for c in cues)
    return out, grams


def features(text: str, cues: tuple[str, ...] = ()) -> list[str]:
    out, grams = parts(text, cues)
    for tok in grams:
        out.update(_ngrams(tok))
    return list(out)
