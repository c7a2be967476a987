"""Negation scope: which words a "bukan", "tidak" or "tidak ada" denies ("bukan ODGJ", "dudu wong edan",
"tidak ada warga yang dipasung"). Regional negators are already "tidak"/"bukan" (app/triage/variants.py).

Only what directly follows is denied: "tidak punya rumah", "tidak ada keluarga" and "tidak bisa pulang" are
what the reporter saw, so lexicon terms that begin with the negator stay positive (the cue itself is never
in a scope)."""

from __future__ import annotations

from app.triage.text import BREAK

# cue (as words) -> how many words after it are denied
CUES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("tidak", "ada"), 4),
    (("bukan",), 3),
    (("bukanlah",), 3),
    (("tidak",), 1),
)

_FIRST = frozenset(cue[0] for cue, _ in CUES)


def denied(tokens: list[str]) -> list[bool]:
    """For each token, whether a negation cue before it (in the same sentence) denies it."""
    out = [False] * len(tokens)
    i = 0
    while i < len(tokens):
        if tokens[i] not in _FIRST:  # no cue starts here (most words): skip building the slices
            i += 1
            continue
        for cue, reach in CUES:
            if tuple(tokens[i : i + len(cue)]) == cue:
                j = i + len(cue)
                end = min(len(tokens), j + reach)
                while j < end and tokens[j] != BREAK:
                    out[j] = True
                    j += 1
                i += len(cue) - 1
                break
        i += 1
    return out
