"""The trained part of the triage: a linear model (multinomial logistic regression, trained with
scikit-learn by `python -m app.triage.train`) over the features of app/triage/features.py, shipped as
app/triage/model.npz. Serving needs only numpy: a post's score is the sum of its features' weight rows.

Classes are the categories and "none:<REASON>" for posts that are not a case."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from app.triage.features import VERSION, _ngrams, parts

ARTEFACT = Path(__file__).with_name("model.npz")
GRAM_CACHE = 65536  # words whose n-gram rows are kept, like features._ngrams


@dataclass(frozen=True, slots=True)
class Model:
    classes: tuple[str, ...]
    index: dict[str, int]
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    meta: dict[str, object]
    # a word -> the rows of its character n-grams the model knows (bounded: emptied when full)
    _gram_rows: dict[str, npt.NDArray[np.intp]] = field(default_factory=dict, compare=False, repr=False)

    def probabilities(self, feats: list[str]) -> dict[str, float]:
        get = self.index.get
        return self._softmax(np.array([i for f in feats if (i := get(f)) is not None], dtype=np.intp))

    def probabilities_of(self, text: str, cues: tuple[str, ...] = ()) -> dict[str, float]:
        """`probabilities(features(text, cues))`, with the rows of a word's n-grams looked up once per word
        (the rows in a fixed order, ascending, where `features` gives a set's)."""
        get = self.index.get
        words, grams = parts(text, cues)
        found = [np.array([i for f in words if (i := get(f)) is not None], dtype=np.intp)]
        cache = self._gram_rows
        for tok in grams:
            known = cache.get(tok)
            if known is None:
                if len(cache) >= GRAM_CACHE:
                    cache.clear()
                known = cache[tok] = np.array(
                    [i for g in _ngrams(tok) if (i := get(g)) is not None], dtype=np.intp
                )
            found.append(known)
        return self._softmax(np.unique(np.concatenate(found)))  # sorted, each row once

    def _softmax(self, rows: npt.NDArray[np.intp]) -> dict[str, float]:
        """`rows`: the rows of the features the post has, each once (their order is the order of the sum)."""
        z = self.bias.copy()
        if len(rows):
            # The features are binary and L2-normalised over those the model knows, as in training.
            z += self.weights[rows].sum(axis=0, dtype=np.float32) / np.float32(math.sqrt(len(rows)))
        z -= z.max()
        e = np.exp(z)
        p = e / e.sum()
        return dict(zip(self.classes, p.tolist(), strict=True))


def save(path: Path, model: Model) -> None:
    vocab = sorted(model.index, key=model.index.__getitem__)
    with path.open("wb") as f:
        np.savez_compressed(
            f,
            classes=np.array(model.classes),
            vocab=np.array(vocab),
            weights=model.weights.astype(np.float16),
            bias=model.bias.astype(np.float32),
            meta=np.array(json.dumps(model.meta, sort_keys=True)),
        )


def read(path: Path) -> Model:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if meta.get("features") != VERSION:
            raise RuntimeError(f"{path} was trained on features v{meta.get('features')}, not v{VERSION}")
        vocab = [str(v) for v in z["vocab"]]
        return Model(
            classes=tuple(str(c) for c in z["classes"]),
            index={v: i for i, v in enumerate(vocab)},
            weights=z["weights"].astype(np.float32),
            bias=z["bias"].astype(np.float32),
            meta=meta,
        )


@lru_cache(maxsize=1)
def shipped() -> Model | None:
    """The shipped model, or None when there is none (the rules then decide alone)."""
    return read(ARTEFACT) if ARTEFACT.exists() else None
