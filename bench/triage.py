"""Triage of one post: latency of `app.triage.engine.suggest` against the naive first-keyword baseline
(app/triage/baseline.py), in the same run: `python -m bench.triage [--rounds 5]`.

Every labelled training post (tests/triage/data/: train to train7, the development parts test2 to test6
and the retired test part, about 3000; the frozen test part test7 is not read) is triaged once per round
as a post never seen before: the caches keyed by a post's text are emptied before each call, the
per-word caches (the stemmer's, the character n-grams') are kept (a running worker has them warm; `--cold`
empties them too, as for the first posts after a start).
The garbage collector runs as in a server. Prints p50, p99 and max in milliseconds, posts per second, CPU
time per post (`time.process_time`), the mean over posts of each post's fastest round ("best", which another
process's load moves least) and the load average before and after (`os.getloadavg`): on a loaded machine the
p99 says more about the load than about the code."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from app.triage import cues, dataset, features, places, text, train
from app.triage.baseline import first_keyword
from app.triage.engine import suggest, warm_up
from app.triage.model import shipped


def _forget(cold: bool) -> None:
    text._tokens.cache_clear()
    cues.analyse.cache_clear()
    features.analyse.cache_clear()
    places.find_place.cache_clear()
    if cold:
        text.stem.cache_clear()
        text._word.cache_clear()
        features._ngrams.cache_clear()
        if (model := shipped()) is not None:
            model._gram_rows.clear()


def _measure(
    posts: list[tuple[str, str]], run: Callable[[str, str], object], rounds: int, cold: bool
) -> list[float]:
    times = []
    cpu = time.process_time()
    for _ in range(rounds):
        for body, scope in posts:
            _forget(cold)
            t = time.perf_counter()
            run(body, scope)
            times.append(time.perf_counter() - t)
    _CPU.append((time.process_time() - cpu) / max(1, len(times)))
    return times


# CPU seconds per post of each `_measure` (the emptying of caches included): the machine's load moves it less
# than the wall-clock figures.
_CPU: list[float] = []


def _line(name: str, times: list[float], n_posts: int) -> str:
    ms = sorted(t * 1000 for t in times)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    # each post's fastest round (times are round after round, the posts in the same order)
    best = statistics.fmean(min(times[i::n_posts]) for i in range(n_posts)) * 1e6
    return (
        f"{name:10} p50 {statistics.median(ms):6.3f} ms  p99 {p99:6.3f} ms  max {ms[-1]:6.3f} ms  "
        f"{len(ms) / (sum(ms) / 1000):8.0f} posts/s  CPU {_CPU[-1] * 1e6:7.1f} us/post  "
        f"best {best:6.1f} us/post"
    )


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cold", action="store_true", help="empty the stemmer's word cache before each post too")
    args = ap.parse_args(argv)
    # The training posts only: the frozen test part is not read outside its one scoring (data/README.md).
    posts = [(r.text, r.region) for p in train.SOURCES if p != dataset.OLD for r in dataset.load(p)]
    warm_up()
    for body, scope in posts:  # the steady state: words seen, places indexed
        suggest(body, region_scope=scope)
        first_keyword(body)
    cold = " (cold: stems recomputed)" if args.cold else ""
    print(f"{len(posts)} posts x {args.rounds} rounds{cold}; {_load()}")
    triage = _measure(posts, lambda b, s: suggest(b, region_scope=s), args.rounds, args.cold)
    print(_line("triage", triage, len(posts)))
    print(
        _line("baseline", _measure(posts, lambda b, s: first_keyword(b), args.rounds, args.cold), len(posts))
    )
    print(_load())


if __name__ == "__main__":
    main()
