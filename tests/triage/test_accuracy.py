"""The triage on labelled posts it was not tuned on.

tests/triage/data/test2.jsonl is the frozen test part of issue 16 (300 posts written blind to app/triage
and to the earlier sets, see tests/triage/data/README.md): the issue's targets are asserted as they are,
the ones it misses are listed as known, and the figures of its one scoring are floors. The first test
part, tests/triage/data/test.jsonl, was scored twice and retired into the training data.
tests/triage/posts.jsonl is the first set, written by the lexicon's author: its floors catch regressions."""

from __future__ import annotations

import pytest

from app.triage import dataset, model, train
from app.triage.baseline import first_keyword
from app.triage.dataset import NONE
from app.triage.engine import Suggestion
from app.triage.evaluate import MUST_FIND, evaluate, score, targets_missed

# Scored twice. First after the last rule change of session 8: accuracy 0.800, non-cases 0.915, kecamatan
# 0.970, PASUNG 15/15, ODGJ 14/16, JENAZAH 13/15, ABT 13/15, AT 9/11, AJ 10/12, AKTK 11/13. Then, the second
# and last time, after 333 training posts (train2.jsonl) written without opening this part and the rules
# tuned on the training part only (session 9): accuracy 0.843, non-cases 0.915, kecamatan 0.970, PASUNG
# 15/15, ODGJ 14/16, JENAZAH 13/15, ABT 13/15, AT 9/11, AJ 11/12, AKTK 11/13. What it still misses is listed;
# a further round of tuning needs a new blind part (this one is now spent).
KNOWN_MISSES = (
    "accuracy",
    "recall ODGJ",
    "recall JENAZAH",
    "recall ABT",
    "recall AT",
    "recall AKTK",
)
# The measured figures, less about one post: a change that loses ground on the frozen part fails here.
FLOORS = {"accuracy": 0.84, "not_case_recall": 0.9, "place_accuracy": 0.95}
RECALL_FLOORS = {
    "PASUNG": 1.0,
    "ODGJ": 0.87,
    "JENAZAH": 0.86,
    "ABT": 0.86,
    "AT": 0.81,
    "AJ": 0.91,
    "AKTK": 0.84,
}


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
