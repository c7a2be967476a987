"""The gates before the cue patterns (app/triage/gate.py) never skip a pattern that would match."""

from __future__ import annotations

import re

import pytest

from app.triage import cues, dataset, features, gate, train


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\b(di|ter)?(pasung|masung)\w*", ("masung", "pasung")),
        (
            r"\b(orang|pria) (meninggal|mati)\b",
            ("orang mati", "orang meninggal", "pria mati", "pria meninggal"),
        ),
        (r"^(?=.*\bbawah umur\b)(?=.*\b(curi|maling)\b)", ("bawah umur",)),
        (r"\b(a|b)?\w+", None),  # nothing every match must contain
        (r"(anak|\w+) hilang", (" hilang",)),
    ],
)
def test_needles(pattern: str, expected: tuple[str, ...] | None) -> None:
    assert gate.needles(pattern) == expected


def test_search_is_the_joined_pattern() -> None:
    pats = [r"\bbayi\b[^|]{0,40}dibuang", r"\bmayat\b", r"\b(a|b)?\w+ x\b"]
    alts = gate.gated(pats)
    joined = re.compile("|".join(f"(?:{p})" for p in pats))
    for text in ("bayi itu dibuang", "ada mayat", "bayi | dibuang", "ok x", "nothing", ""):
        assert gate.search(alts, text, gate.slices(text)) == bool(joined.search(text))


def test_no_gate_skips_a_match() -> None:
    """Over the training posts (not the frozen test part): every cue pattern that matches a post's words
    has its gate pass."""
    texts = []
    for path in train.SOURCES:
        for row in dataset.load(path):
            toks, _, neg = features.analyse(row.text)
            texts += [cues._denied_text(toks, neg)[0], " ".join(toks)]
    cats, nots, flags, help_ = cues._compiled()
    alts = [a for _, _, g in cats + nots for a in g] + [a for _, g in flags for a in g] + list(help_)
    for keys, need, pat in alts:
        for text in texts:
            if pat.search(text):
                assert need is None or any(n in text for n in need), (pat.pattern, need)
                assert keys is None or not keys.isdisjoint(gate.slices(text)), (pat.pattern, keys)


def test_a_table_answers_as_search_does() -> None:
    """`gate.Table` gives, group by group, what `gate.search` gives (over the training posts' words)."""
    cats, nots, flags, help_ = cues._compiled()
    groups = [g for _, _, g in cats + nots] + [g for _, g in flags] + [help_]
    table = gate.Table(groups)
    for path in train.SOURCES:
        for row in dataset.load(path):
            toks, _, neg = features.analyse(row.text)
            for text in (cues._denied_text(toks, neg)[0], " ".join(toks)):
                grams = gate.slices(text)
                assert table.matches(text, grams) == [gate.search(g, text, grams) for g in groups], text
