"""Does a speed change leave the triage's results as they were? `python -m bench.triage_same --write` takes a
snapshot of the full suggestion of every post (tests/triage/data/*.jsonl and tests/triage/posts.jsonl, each
triaged with its team's region and without one), `python -m bench.triage_same` compares against it and prints
the number of differences (only post ids and field names: no texts). The snapshot lives in bench/results/
(not committed): take it on the code before the change."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.triage import dataset
from app.triage.engine import evidence, suggest

SNAPSHOT = Path(__file__).with_name("results") / "triage_same.json"


def _round(v: object) -> object:
    if isinstance(v, float):
        return round(v, 9)
    if isinstance(v, dict):
        return {k: _round(x) for k, x in sorted(v.items())}
    if isinstance(v, list | tuple):
        return [_round(x) for x in v]
    return v


def outputs() -> dict[str, object]:
    out: dict[str, object] = {}
    paths = [*sorted(dataset.DATA.glob("*.jsonl")), dataset.OLD]
    for path in paths:
        for row in dataset.load(path):
            for scope in (row.region, None):
                s = suggest(row.text, region_scope=scope)
                ev = evidence(row.text, scope)
                key = f"{path.name}:{row.id}:{scope}"
                seen = {
                    "rules": ev.rules,
                    "not_case": ev.not_case,
                    "help": ev.help,
                    "flags": sorted(ev.flags),
                    "matched": ev.matched,
                    "urgent": ev.urgent,
                    "cues": ev.cue_names,
                }
                out[key] = _round({**s.as_dict(), "label": s.label, "evidence": seen})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true", help="take the snapshot (on the code before a change)")
    ap.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    args = ap.parse_args(argv)
    now = outputs()
    if args.write:
        args.snapshot.parent.mkdir(parents=True, exist_ok=True)
        args.snapshot.write_text(json.dumps(now, sort_keys=True, ensure_ascii=False))
        print(f"{len(now)} suggestions written to {args.snapshot}")
        return 0
    before = json.loads(args.snapshot.read_text())
    diffs = 0
    for key in sorted(set(before) | set(now)):
        a, b = before.get(key), now.get(key)
        if a != b:
            diffs += 1
            if isinstance(a, dict) and isinstance(b, dict):
                fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            else:
                fields = ["missing" if b is None else "new"]
            print(f"differs: {key} {fields}")
    print(f"{len(now)} suggestions compared with {len(before)}: {diffs} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
