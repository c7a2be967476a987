"""How well the triage does on a labelled set, beside the naive first-keyword baseline (baseline.py):

    python -m app.triage.evaluate            # the frozen test part (test6.jsonl): the figures that count
    python -m app.triage.evaluate --dev      # the train part, 5-fold cross-validated (a model per fold)
    python -m app.triage.evaluate --dev tests/triage/data/test2.jsonl   # the development part, likewise
    python -m app.triage.evaluate --dev tests/triage/data/train2.jsonl   # another training file, likewise
    python -m app.triage.evaluate --old      # tests/triage/posts.jsonl, the first (optimistic) set
    python -m app.triage.evaluate FILE [--misses]

Prints accuracy (category, or "not a case", as labelled), how many non-cases were recognised, per-category
precision/recall, recall of the categories that must not be missed, flags, place (kecamatan) accuracy and the
confusion matrix."""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.triage import dataset
from app.triage.baseline import first_keyword
from app.triage.dataset import NONE, Row
from app.triage.engine import CHILD, Suggestion, suggest
from app.triage.model import Model

MUST_FIND = ("ODGJ", "PASUNG", "JENAZAH", "ABT", "AT", "AJ", "AKTK")
FOLDS = 5
# Issue 16's targets, on the frozen test part.
TARGETS = {"accuracy": 0.85, "not_case_recall": 0.85, "must_find_recall": 0.9, "place_accuracy": 0.8}


@dataclass(frozen=True, slots=True)
class Scores:
    n: int
    accuracy: float
    per_category: dict[str, tuple[float, float, int]]  # precision, recall, support
    confusion: Counter[tuple[str, str]]  # (labelled, predicted) -> count
    not_case_recall: float  # share of non-cases recognised
    not_case_precision: float
    reason_accuracy: float  # among recognised non-cases, the reason as labelled
    flag_precision: float
    flag_recall: float
    place_accuracy: float  # among posts naming a kecamatan: the place found lies in it
    place_n: int
    false_places: int  # places found in posts that name none
    misses: list[tuple[str, str, str]]  # text, labelled, predicted
    baseline_accuracy: float
    baseline_not_case_recall: float
    baseline_recall: dict[str, float]

    def recall(self, category: str) -> float:
        return self.per_category.get(category, (0.0, 0.0, 0))[1]


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def score(rows: Sequence[Row], got: Sequence[Suggestion]) -> Scores:
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    misses = []
    reasons_ok = flag_tp = flag_fp = flag_fn = place_ok = place_n = false_places = 0
    base_ok = base_none = 0
    base_tp: Counter[str] = Counter()
    for row, s in zip(rows, got, strict=True):
        label = s.label
        predicted[label] += 1
        actual[row.label] += 1
        confusion[(row.label, label)] += 1
        if label == row.label:
            tp[label] += 1
            reasons_ok += label == NONE and s.not_case == row.reason
        else:
            misses.append((row.text, row.label, label))
        if row.label != NONE:
            want, have = set(row.flags), set(s.flags)
            flag_tp += len(want & have)
            flag_fp += len(have - want)
            flag_fn += len(want - have)
        if row.kecamatan:
            place_n += 1
            place_ok += bool(s.region_code and s.region_code.startswith(row.kecamatan))
        elif s.region_code:
            false_places += 1
        base = first_keyword(row.text)
        base_ok += base == row.label
        base_none += base == NONE == row.label
        base_tp[row.label] += base == row.label
    per = {
        c: (_ratio(tp[c], predicted[c]), _ratio(tp[c], actual[c]), actual[c])
        for c in sorted(actual | predicted)
    }
    return Scores(
        n=len(rows),
        accuracy=_ratio(sum(tp.values()), len(rows)),
        per_category=per,
        confusion=confusion,
        not_case_recall=_ratio(tp[NONE], actual[NONE]),
        not_case_precision=_ratio(tp[NONE], predicted[NONE]),
        reason_accuracy=_ratio(reasons_ok, tp[NONE]),
        flag_precision=_ratio(flag_tp, flag_tp + flag_fp),
        flag_recall=_ratio(flag_tp, flag_tp + flag_fn),
        place_accuracy=_ratio(place_ok, place_n),
        place_n=place_n,
        false_places=false_places,
        misses=misses,
        baseline_accuracy=_ratio(base_ok, len(rows)),
        baseline_not_case_recall=_ratio(base_none, actual[NONE]),
        baseline_recall={c: _ratio(base_tp[c], actual[c]) for c in actual},
    )


def targets_missed(s: Scores) -> list[str]:
    """Which of issue 16's targets these scores miss (empty: all met)."""
    missed = []
    for name in ("accuracy", "not_case_recall", "place_accuracy"):
        if getattr(s, name) < TARGETS[name]:
            missed.append(f"{name} {getattr(s, name):.3f} < {TARGETS[name]}")
    for c in MUST_FIND:
        if s.per_category.get(c, (0, 0, 0))[2] and s.recall(c) < TARGETS["must_find_recall"]:
            missed.append(f"recall {c} {s.recall(c):.3f} < {TARGETS['must_find_recall']}")
    return missed


def _suggester(model: Model | None = None) -> Callable[[Row], Suggestion]:
    return lambda row: suggest(row.text, region_scope=row.region, model=model)


def evaluate(path: Path = dataset.TEST) -> Scores:
    rows = dataset.load(path)
    run = _suggester()
    return score(rows, [run(r) for r in rows])


def cross_validate(path: Path = dataset.TRAIN, folds: int = FOLDS) -> Scores:
    """Each fold is scored by a model trained on the other folds (and the old set): the dev figures."""
    from app.triage import train

    rows = dataset.load(path)
    extra = [r for p in train.SOURCES if p.resolve() != path.resolve() for r in dataset.load(p)]
    order = list(range(len(rows)))
    random.Random(5).shuffle(order)  # noqa: S311 (folds, not secrets)
    got: dict[int, Suggestion] = {}
    for k in range(folds):
        held = set(order[k::folds])
        model = train.fit([r for i, r in enumerate(rows) if i not in held] + extra)
        run = _suggester(model)
        for i in held:
            got[i] = run(rows[i])
    return score(rows, [got[i] for i in range(len(rows))])


def report(s: Scores, title: str, misses: bool = False) -> str:
    lines = [f"== {title}: {s.n} posts"]
    lines.append(f"{'':28}{'triage':>8}{'baseline':>10}")
    lines.append(f"{'accuracy':28}{s.accuracy:8.3f}{s.baseline_accuracy:10.3f}")
    lines.append(f"{'non-cases recognised':28}{s.not_case_recall:8.3f}{s.baseline_not_case_recall:10.3f}")
    for c in MUST_FIND:
        if c in s.per_category and s.per_category[c][2]:
            lines.append(f"{'recall ' + c:28}{s.recall(c):8.3f}{s.baseline_recall.get(c, 0.0):10.3f}")
    lines.append(f"non-case precision {s.not_case_precision:.3f}; reason right {s.reason_accuracy:.3f}")
    lines.append(f"flags precision {s.flag_precision:.3f} recall {s.flag_recall:.3f}")
    lines.append(
        f"place: kecamatan right {s.place_accuracy:.3f} of {s.place_n} naming one; "
        f"{s.false_places} places found in posts naming none"
    )
    lines.append(f"{'category':10}{'precision':>10}{'recall':>8}{'n':>5}")
    for c, (p, r, n) in s.per_category.items():
        lines.append(f"{c:10}{p:10.2f}{r:8.2f}{n:5}{'  child' if c in CHILD else ''}")
    labels = sorted({a for a, _ in s.confusion} | {b for _, b in s.confusion})
    lines.append("confusion (rows: labelled, columns: predicted)")
    lines.append(" " * 9 + "".join(f"{c[:5]:>6}" for c in labels))
    for a in labels:
        cells = "".join(f"{s.confusion.get((a, b), 0) or '.':>6}" for b in labels)
        lines.append(f"{a[:8]:9}{cells}")
    errors = Counter({k: v for k, v in s.confusion.items() if k[0] != k[1]})
    lines.append("most frequent errors: " + ", ".join(f"{a}->{b} {n}" for (a, b), n in errors.most_common(8)))
    missed = targets_missed(s)
    lines.append("targets (issue 16): " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    if misses:
        lines.extend(f"  miss: {want} -> {got}: {text}" for text, want, got in s.misses)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", type=Path)
    ap.add_argument(
        "--dev",
        nargs="?",
        const=dataset.TRAIN,
        type=Path,
        help="a training file (default: the train part), cross-validated; the other sources train each fold",
    )
    ap.add_argument("--old", action="store_true", help="tests/triage/posts.jsonl")
    ap.add_argument("--misses", action="store_true", help="list every post the triage got wrong")
    args = ap.parse_args(argv)
    if args.dev:
        title = f"dev ({args.dev.name}, 5-fold cross-validation)"
        print(report(cross_validate(args.dev), title, args.misses))
    elif args.old:
        print(report(evaluate(dataset.OLD), "old set (tests/triage/posts.jsonl)", args.misses))
    else:
        path = args.file or dataset.TEST
        print(report(evaluate(path), f"{path.name}", args.misses))


if __name__ == "__main__":
    main()
