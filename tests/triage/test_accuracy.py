"""The triage on labelled posts it was not tuned on.

tests/triage/data/test3.jsonl is the frozen test part of issue 16 (300 posts written blind to app/triage and
to the earlier sets, see tests/triage/data/README.md), scored once, at the end of session 10: the issue's
targets are asserted as they are, the one it misses is listed as known, and the figures of that scoring,
less about one post, are floors. tests/triage/data/test2.jsonl, the test part of sessions 8 and 9, is
development data since session 10 (read, tuned on and trained on): its floors only catch regressions. The
first test part, test.jsonl, was retired into the training data in session 8. tests/triage/posts.jsonl is
the first set, written by the lexicon's author: its floors catch regressions too."""

from __future__ import annotations

import pytest

from app.triage import dataset, model, train
from app.triage.baseline import first_keyword
from app.triage.dataset import NONE
from app.triage.engine import Suggestion
from app.triage.evaluate import MUST_FIND, evaluate, score, targets_missed

# Scored once, 2026-11-30, after the last change of session 10 (commit a8d1f43), with
# `python -m app.triage.evaluate tests/triage/data/test3.jsonl`: accuracy 0.910 (273/300), non-cases 0.899
# (71/79), kecamatan 0.952 (218/229), ODGJ 18/19, PASUNG 16/17, JENAZAH 16/17, ABT 12/13, AT 10/12, AJ 12/12,
# AKTK 14/15 (the whole output, with the confusion matrix, is in issue 16's note). AT is the one target
# missed: a lost child of about five taken for a small child (ABT), and a Sasak post of a lost child read as
# no case.
KNOWN_MISSES = ("recall AT",)
# The measured figures, less about one post: a change that loses ground on the frozen part fails here.
FLOORS = {"accuracy": 0.906, "not_case_recall": 0.886, "place_accuracy": 0.947}
RECALL_FLOORS = {
    "PASUNG": 0.88,  # 16/17
    "ODGJ": 0.89,  # 18/19
    "JENAZAH": 0.88,  # 16/17
    "ABT": 0.84,  # 12/13
    "AT": 0.75,  # 10/12
    "AJ": 0.91,  # 12/12
    "AKTK": 0.86,  # 14/15
}
# The development part as the shipped model (trained on it) scores it, 2026-11-30: accuracy 1.000, non-cases
# 1.000, kecamatan 0.970 (226/233), every critical category all found; less about one post. Its 5-fold
# cross-validated figures (`python -m app.triage.evaluate --dev tests/triage/data/test2.jsonl`) were accuracy
# 0.997 and non-cases 1.000, optimistic too: the rules were widened with its misses in view.
DEV_FLOORS = {"accuracy": 0.99, "not_case_recall": 0.98, "place_accuracy": 0.96}
DEV_RECALL_FLOORS = dict.fromkeys(MUST_FIND, 0.9)


def test_frozen_test_part_meets_the_targets() -> None:
    scores = evaluate(dataset.TEST)
    missed = [m for m in targets_missed(scores) if not m.startswith(KNOWN_MISSES)]
    assert missed == [], missed


def test_frozen_test_part_holds_its_measured_floors() -> None:
    scores = evaluate(dataset.TEST)
    for name, floor in FLOORS.items():
        assert getattr(scores, name) >= floor, (name, getattr(scores, name))
    for category, floor in RECALL_FLOORS.items():
        assert scores.recall(category) >= floor, (category, scores.recall(category))


@pytest.mark.xfail(strict=True, reason="known misses on the frozen test part: " + ", ".join(KNOWN_MISSES))
def test_frozen_test_part_meets_all_the_targets() -> None:
    assert targets_missed(evaluate(dataset.TEST)) == []


def test_the_target_check_can_fail() -> None:
    # The naive first-keyword baseline, scored the same way, misses them.
    rows = dataset.load(dataset.TEST)
    naive = [
        Suggestion(
            category="unknown" if (c := first_keyword(r.text)) == NONE else c,
            confidence=0.0,
            flags=(),
            urgent=False,
            region_code=None,
            place=None,
            matched=(),
            not_case="LAIN" if c == NONE else None,
        )
        for r in rows
    ]
    missed = targets_missed(score(rows, naive))
    assert any(m.startswith("accuracy") for m in missed)
    assert any(m.startswith("place_accuracy") for m in missed)


def test_development_part_holds_its_floors() -> None:
    scores = evaluate(dataset.DEV)
    for name, floor in DEV_FLOORS.items():
        assert getattr(scores, name) >= floor, (name, getattr(scores, name))
    for category, floor in DEV_RECALL_FLOORS.items():
        assert scores.recall(category) >= floor, (category, scores.recall(category))


def test_old_set_floors() -> None:
    scores = evaluate(dataset.OLD)
    assert scores.accuracy >= 0.9, scores.misses
    for category in ("ODGJ", "JENAZAH", "PASUNG"):
        assert scores.recall(category) >= 0.9, category
    assert scores.not_case_recall >= 0.9 and scores.not_case_precision >= 0.8


def test_must_find_categories_are_in_the_test_part() -> None:
    rows = dataset.load(dataset.TEST)
    for category in MUST_FIND:
        assert sum(r.label == category for r in rows) >= 5, category
    assert sum(r.label == NONE for r in rows) >= 50


def test_the_shipped_model_is_built_from_the_train_part_as_it_is() -> None:
    shipped = model.shipped()
    assert shipped is not None
    # Change the labelled posts or the features and forget `python -m app.triage.train`: this fails.
    assert shipped.meta["data"] == train.data_hash()
    assert dataset.TEST.name not in {p.name for p in train.SOURCES}
