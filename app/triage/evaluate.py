"""Precision and recall of the triage per category on a labelled set (tests/triage/posts.jsonl):
`python -m app.triage.evaluate [file]`."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from app.triage.engine import suggest

DEFAULT = Path(__file__).resolve().parents[2] / "tests" / "triage" / "posts.jsonl"


@dataclass(frozen=True, slots=True)
class Scores:
    accuracy: float
    per_category: dict[str, tuple[float, float, int]]  # precision, recall, support
    misses: list[tuple[str, str, str]]  # text, expected, got


def evaluate(path: Path = DEFAULT, scope: str = "21.71") -> Scores:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    misses = []
    for row in rows:
        got = suggest(row["text"], region_scope=scope).category
        predicted[got] += 1
        actual[row["category"]] += 1
        if got == row["category"]:
            tp[got] += 1
        else:
            misses.append((row["text"], row["category"], got))
    per = {
        c: (tp[c] / predicted[c] if predicted[c] else 0.0, tp[c] / actual[c] if actual[c] else 0.0, actual[c])
        for c in sorted(actual | predicted)
    }
    return Scores(sum(tp.values()) / len(rows), per, misses)


def main() -> None:
    scores = evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
    print(f"accuracy {scores.accuracy:.3f}")
    print(f"{'category':10} {'precision':>9} {'recall':>7} {'n':>4}")
    for c, (p, r, n) in scores.per_category.items():
        print(f"{c:10} {p:9.2f} {r:7.2f} {n:4}")
    for text, want, got in scores.misses:
        print(f"  miss: {want} -> {got}: {text}")


if __name__ == "__main__":
    main()
