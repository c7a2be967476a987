"""Builds the model artefact (app/triage/model.npz) from the labelled train part:
`python -m app.triage.train`. Needs scikit-learn (`pip install -e '.[train]'`); serving does not.

Deterministic: the same data and features give the same artefact. A blind test part is never read here; the
spent test parts (test.jsonl, test2.jsonl, test3.jsonl, test4.jsonl and test5.jsonl, development data since
sessions 10, 11, 12 and 13) are."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.triage import dataset
from app.triage.dataset import NONE, Row
from app.triage.features import VERSION, features
from app.triage.model import ARTEFACT, Model, save

# Regularisation, chosen by 5-fold cross-validation on the train part (python -m app.triage.evaluate --dev).
# The development part (test2.jsonl) and the posts written for its weak families (train3.jsonl) are trained
# on too, and since session 10 (second round) the spent third test part (test3.jsonl) and train4.jsonl, since
# session 12 the spent fourth test part (test4.jsonl) and train5.jsonl, since session 13 the spent fifth
# (test5.jsonl) and train6.jsonl.
C = 20.0
MIN_DF = 2
SOURCES = (
    dataset.TRAIN,
    dataset.TRAIN2,
    dataset.TRAIN3,
    dataset.TRAIN4,
    dataset.TRAIN5,
    dataset.TRAIN6,
    dataset.TRAIN7,
    dataset.DEV,
    dataset.DEV3,
    dataset.DEV4,
    dataset.DEV5,
    dataset.DEV6,
    dataset.RETIRED,
    dataset.OLD,
)


def target(row: Row) -> str:
    if row.label == NONE:
        return f"{NONE}:{row.reason or 'LAIN'}"
    return row.label


def training_rows() -> list[Row]:
    return [r for path in SOURCES for r in dataset.load(path)]


def fit(rows: Sequence[Row]) -> Model:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    from app.triage.engine import evidence

    docs = [features(r.text, evidence(r.text, r.region).cue_names) for r in rows]
    vec = CountVectorizer(analyzer=lambda d: d, binary=True, min_df=MIN_DF, lowercase=False)
    x = normalize(vec.fit_transform(docs).astype(np.float64))
    y = [target(r) for r in rows]
    clf = LogisticRegression(C=C, max_iter=3000, tol=1e-4)
    clf.fit(x, y)
    vocab = vec.get_feature_names_out()
    return Model(
        classes=tuple(str(c) for c in clf.classes_),
        index={str(v): i for i, v in enumerate(vocab)},
        weights=np.ascontiguousarray(clf.coef_.T, dtype=np.float32),
        bias=clf.intercept_.astype(np.float32),
        meta={"features": VERSION, "C": C, "min_df": MIN_DF, "data": data_hash(), "rows": len(rows)},
    )


def data_hash() -> str:
    h = hashlib.sha256()
    for path in SOURCES:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def main(argv: list[str] | None = None) -> None:
    out = Path(argv[0]) if argv else ARTEFACT
    model = fit(training_rows())
    save(out, model)
    print(f"{out}: {len(model.classes)} classes, {len(model.index)} features, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
