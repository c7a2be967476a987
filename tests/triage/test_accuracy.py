"""The triage on labelled posts it was not tuned on.

tests/triage/data/test7.jsonl is the frozen test part of issue 16 since session 14 (written blind and kept
outside the worktree while the triage is tuned, then scored once by the coordinator, see
tests/triage/data/README.md). FROZEN below holds that scoring: the targets it misses, and the measured figures
less about one post as floors. Its tests skip if the file is missing.

tests/triage/data/test6.jsonl, the test part of session 13 (scored once at commit 22a73b6), test5.jsonl, the
test part of session 12 (scored once at commit d6636d4), test4.jsonl, the
test part of session 10's second round (scored once at commit e5aa858),
test3.jsonl, the test part of session 10 (scored once at commit a8d1f43), and test2.jsonl,
the test part of sessions 8 and 9, are development data: read, tuned on and trained on; their floors only
catch regressions. The first test part, test.jsonl, was retired into the training data in session 8.
tests/triage/posts.jsonl is the first set, written by the lexicon's author: its floors catch regressions
too."""

from __future__ import annotations

from typing import TypedDict

import pytest

from app.triage import dataset, model, train
from app.triage.baseline import first_keyword
from app.triage.dataset import NONE
from app.triage.engine import Suggestion
from app.triage.evaluate import MUST_FIND, evaluate, score, targets_missed


class Frozen(TypedDict):
    scored_at: str | None
    known_misses: tuple[str, ...]
    floors: dict[str, float]
    recall_floors: dict[str, float]


# The frozen part's one scoring (test7.jsonl, 359 posts written blind in session 14), at commit c43fb64,
# 2026-11-30 10:04 UTC, by the coordinator: every target met. Accuracy 0.953, non-cases 0.919, kecamatan
# 0.956 of 296, ODGJ 45/46, PASUNG 32/32, JENAZAH 29/32, ABT 27/28, AT 25/26, AJ 27/27, AKTK 26/26. The floors
# are the measured figures less about one post.
# test6.jsonl's one scoring (349 posts written blind in session 13), at commit 22a73b6, 2026-11-30 09:45 UTC,
# by the coordinator: accuracy 0.946, non-cases 0.953, kecamatan 0.934 of 290, PASUNG 29/31, JENAZAH 31/31,
# ABT, AT, AJ, AKTK 26/26 each, and ODGJ 40/46: a target missed (ODGJ told by its signs alone: delusions,
# raging at night, relapse; tests/triage/data/README.md); it is development data since session 14
# (DEV6_FLOORS below).
# test5.jsonl's one scoring (360 posts written blind in session 12), at commit d6636d4, 2026-11-30 09:26 UTC,
# by the coordinator: accuracy 0.936, non-cases 0.966, kecamatan 0.934 of 274, PASUNG 27/27, JENAZAH 26/27,
# ABT 27/27, AT 27/27, AJ 27/27, AKTK 26/27, and ODGJ 21/27: a target missed (ODGJ described by its signs in
# regional languages, read as GEL, OT or unknown; tests/triage/data/README.md); it is development data since
# session 13 (DEV5_FLOORS below).
# test4.jsonl's one scoring (commit e5aa858, 2026-11-30 06:55 UTC): accuracy 0.939, non-cases 0.943, kecamatan
# 0.949 of 253, ODGJ 26/26, PASUNG 22/22, JENAZAH 25/25, ABT 17/17, AJ 17/17, AKTK 17/17, AT 17/22; it is
# development data since session 12 (DEV4_FLOORS below).
FROZEN: Frozen = {
    "scored_at": "c43fb64 2026-11-30 10:04 UTC",
    "known_misses": (),
    "floors": {"accuracy": 0.95, "not_case_recall": 0.907, "place_accuracy": 0.95},
    "recall_floors": {
        "ODGJ": 0.956,
        "PASUNG": 0.96,
        "JENAZAH": 0.875,
        "ABT": 0.92,
        "AT": 0.92,
        "AJ": 0.96,
        "AKTK": 0.96,
    },
}
KNOWN_MISSES = FROZEN["known_misses"]
FLOORS = FROZEN["floors"]
RECALL_FLOORS = FROZEN["recall_floors"]

frozen = pytest.mark.skipif(
    not dataset.TEST.exists(),
    reason=f"the frozen test part {dataset.TEST.name} is not in this checkout yet: the coordinator adds it "
    "and scores it once (tests/triage/data/README.md)",
)


@frozen
def test_frozen_test_part_meets_the_targets() -> None:
    scores = evaluate(dataset.TEST)
    missed = [m for m in targets_missed(scores) if not (KNOWN_MISSES and m.startswith(KNOWN_MISSES))]
    assert missed == [], missed


@frozen
def test_frozen_test_part_holds_its_measured_floors() -> None:
    scores = evaluate(dataset.TEST)
    for name, floor in FLOORS.items():
        assert getattr(scores, name) >= floor, (name, getattr(scores, name))
    for category, floor in RECALL_FLOORS.items():
        assert scores.recall(category) >= floor, (category, scores.recall(category))


@frozen
def test_frozen_test_part_meets_all_the_targets() -> None:
    missed = targets_missed(evaluate(dataset.TEST))
    if KNOWN_MISSES:
        pytest.xfail("known misses on the frozen test part: " + ", ".join(KNOWN_MISSES))
    assert missed == []


@frozen
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


# The development parts as the shipped model (trained on them) scores them; less about one post. Their
# 5-fold cross-validated figures (`python -m app.triage.evaluate --dev tests/triage/data/test3.jsonl`) are
# in tests/triage/data/README.md, optimistic too: the rules were widened with their misses in view.
# test2.jsonl, 2026-11-30 (session 10): accuracy 1.000, non-cases 1.000, kecamatan 0.970.
DEV_FLOORS = {"accuracy": 0.99, "not_case_recall": 0.98, "place_accuracy": 0.96}
DEV_RECALL_FLOORS = dict.fromkeys(MUST_FIND, 0.9)
# test3.jsonl, 2026-11-30 (session 10 (second round)): accuracy 0.990, every critical category all found.
DEV3_FLOORS = {"accuracy": 0.98, "not_case_recall": 0.97, "place_accuracy": 0.94}


# test4.jsonl, 2026-11-30 (session 12, trained on): accuracy 0.988, non-cases 1.000, kecamatan 0.949, every
# critical category all found. Its 5-fold cross-validated figures are in tests/triage/data/README.md.
DEV4_FLOORS = {"accuracy": 0.975, "not_case_recall": 0.98, "place_accuracy": 0.94}


# test5.jsonl, 2026-11-30 (session 13, trained on): accuracy 0.992, non-cases 1.000, kecamatan 0.934, every
# critical category all found. Its 5-fold cross-validated figures are in tests/triage/data/README.md.
DEV5_FLOORS = {"accuracy": 0.985, "not_case_recall": 0.985, "place_accuracy": 0.93}


# test6.jsonl, 2026-11-30 (session 14, trained on): accuracy 0.997, non-cases 1.000, kecamatan 0.934, every
# critical category all found. Its 5-fold cross-validated figures are in
# tests/triage/data/README.md.
DEV6_FLOORS = {"accuracy": 0.99, "not_case_recall": 0.985, "place_accuracy": 0.93}


def test_sixth_development_part_holds_its_floors() -> None:
    scores = evaluate(dataset.DEV6)
    for name, floor in DEV6_FLOORS.items():
        assert getattr(scores, name) >= floor, (name, getattr(scores, name))
    for category, floor in DEV_RECALL_FLOORS.items():
        assert scores.recall(category) >= floor, (category, scores.recall(category))


def test_fifth_development_part_holds_its_floors() -> None:
    scores = evaluate(dataset.DEV5)
    for name, floor in DEV5_FLOORS.items():
        assert getattr(scores, name) >= floor, (name, getattr(scores, name))
    for category, floor in DEV_RECALL_FLOORS.items():
        assert scores.recall(category) >= floor, (category, scores.recall(category))


def test_fourth_development_part_holds_its_floors() -> None:
    scores = evaluate(dataset.DEV4)
    for name, floor in DEV4_FLOORS.items():
        assert getattr(scores, name) >= floor, (name, getattr(scores, name))
    for category, floor in DEV_RECALL_FLOORS.items():
        assert scores.recall(category) >= floor, (category, scores.recall(category))


def test_third_development_part_holds_its_floors() -> None:
    scores = evaluate(dataset.DEV3)
    for name, floor in DEV3_FLOORS.items():
        assert getattr(scores, name) >= floor, (name, getattr(scores, name))
    for category, floor in DEV_RECALL_FLOORS.items():
        assert scores.recall(category) >= floor, (category, scores.recall(category))


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


@frozen
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
    assert {
        dataset.DEV3.name,
        dataset.TRAIN4.name,
        dataset.DEV4.name,
        dataset.TRAIN5.name,
        dataset.DEV5.name,
        dataset.TRAIN6.name,
        dataset.TRAIN7.name,
        dataset.DEV6.name,
    } <= {p.name for p in train.SOURCES}
