"""Matching quality on the labelled records (tests/persons/data/records.jsonl): the reports are replayed in
date order against a growing register of persons, as operators would work them. Each report is matched
(candidates as the service finds them: NIK, name keys, the place last seen; then app/persons/match.py);
the operator then links it to its true person (or creates one), which adds the name as an alias and moves
the place last seen.

    python -m tests.persons.quality
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from app.persons import match, names
from app.services.persons import links

DATA = Path(__file__).with_name("data") / "records.jsonl"


@dataclass
class Known:
    person: int
    seen: match.Seen
    last_seen: str
    keys: set[str] = field(default_factory=set)


@dataclass
class Result:
    queries: int = 0
    with_true: int = 0
    proposals: int = 0
    correct_proposals: int = 0
    found: int = 0
    top1_correct: int = 0
    top1_made: int = 0
    strong: int = 0
    strong_correct: int = 0
    new_with_proposal: int = 0
    new: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        return {
            "precision": self.correct_proposals / max(self.proposals, 1),
            "recall": self.found / max(self.with_true, 1),
            "top1_precision": self.top1_correct / max(self.top1_made, 1),
            "strong_precision": self.strong_correct / max(self.strong, 1),
            "strong_recall": self.strong_correct / max(self.with_true, 1),
            "new_with_proposal": self.new_with_proposal / max(self.new, 1),
        }


def _seen(r: dict[str, Any]) -> match.Seen:
    lo, hi = match.birth_years(r["age"], date.fromisoformat(r["day"]))
    seen = match.Seen(
        names=(r["name"],) if r["name"] else (),
        nik=r["nik"],
        sex=r["sex"],
        birth_year_min=lo,
        birth_year_max=hi,
        region_code=r["region_code"],
        lat=r["lat"],
        lon=r["lon"],
        description=r["description"],
    )
    return match.with_nik(seen, date.fromisoformat(r["day"]))


def _fit(q: match.Seen, c: match.Seen) -> int:
    """links._key_order's fit of sex and birth years, in Python."""
    total = 0
    if q.sex != "unknown":
        total += 2 if c.sex == q.sex else 0 if c.sex == "unknown" else -10
    lo, hi, pmin, pmax = q.birth_year_min, q.birth_year_max, c.birth_year_min, c.birth_year_max
    if lo is not None and hi is not None and pmin is not None and pmax is not None:
        if pmin <= hi and pmax >= lo:
            total += 2
        elif pmin <= hi + 4 and pmax >= lo - 4:
            pass
        elif pmin <= hi + 10 and pmax >= lo - 10:
            total -= 3
        else:
            total -= 7
    return total


def _candidates(q: match.Seen, known: list[Known], city: str) -> list[Known]:
    """What the service's indexed queries return (app/services/persons/links.py: candidates): same kab/kota;
    NIK, shared name keys (ranked as _key_order ranks them, NAME_CANDIDATES at most), or the same kelurahan
    last seen (the most recent PLACE_CANDIDATES, or PLACE_CANDIDATES_NAMED when the report has a name)."""
    here = [k for k in known if (k.seen.region_code or "")[:5] == city]
    out = {id(k): k for k in here if q.nik and k.seen.nik == q.nik}
    qkeys = names.keys(list(q.names))

    def common_fits(c: match.Seen) -> bool:  # links._common_fits
        sex = q.sex == "unknown" or c.sex in (q.sex, "unknown")
        lo, hi, pmin, pmax = q.birth_year_min, q.birth_year_max, c.birth_year_min, c.birth_year_max
        if lo is None or hi is None or pmin is None or pmax is None:
            return sex
        return sex and pmin <= hi + 4 and pmax >= lo - 4

    def read(k: Known) -> set[str]:
        shared = qkeys & k.keys
        return shared if common_fits(k.seen) else {key for key in shared if key[2:] not in names.COMMON}

    def weight(shared: set[str]) -> int:
        return sum(links.COMMON_KEY_POINTS if key[2:] in names.COMMON else links.KEY_POINTS for key in shared)

    shared = sorted(
        ((weight(read(k)), _fit(q, k.seen), k) for k in here if read(k)),
        key=lambda t: (-t[0], -t[1]),
    )
    out.update({id(k): k for _, _, k in shared[: links.NAME_CANDIDATES]})
    near = sorted((k for k in here if k.seen.region_code == q.region_code), key=lambda k: k.last_seen)
    place = near[-(links.PLACE_CANDIDATES_NAMED if qkeys else links.PLACE_CANDIDATES) :]
    out.update({id(k): k for k in place})
    return list(out.values())


def evaluate(records: list[dict[str, Any]] | None = None) -> Result:
    records = records or [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    known: list[Known] = []
    by_person: dict[int, Known] = {}
    res = Result()
    for r in records:
        q = _seen(r)
        res.queries += 1
        proposals = []
        for k in _candidates(q, known, r["region_code"][:5]):
            s = match.score(q, k.seen)
            if s.score >= match.PROPOSE:
                proposals.append((s.score, k.person, s.reasons))
        proposals.sort(key=lambda p: -p[0])
        proposals = proposals[: match.MAX_PROPOSALS]
        truth = r["person"] in by_person
        res.proposals += len(proposals)
        res.correct_proposals += sum(1 for _, p, _ in proposals if p == r["person"])
        res.strong += sum(1 for s, _, _ in proposals if s >= match.STRONG)
        res.strong_correct += sum(1 for s, p, _ in proposals if s >= match.STRONG and p == r["person"])
        if proposals:
            res.top1_made += 1
            res.top1_correct += proposals[0][1] == r["person"]
        if truth:
            res.with_true += 1
            if any(p == r["person"] for _, p, _ in proposals):
                res.found += 1
            else:
                res.misses.append({"report": r, "had": by_person[r["person"]].seen.names})
        else:
            res.new += 1
            res.new_with_proposal += bool(proposals)
        # The operator's answer: link to the true person (or create it); the register learns.
        if r["person"] not in by_person:
            k = Known(r["person"], replace(q, home_region_code=r["region_code"]), r["day"])
            known.append(k)
            by_person[r["person"]] = k
        else:
            k = by_person[r["person"]]
            extra = tuple(n for n in q.names if n not in k.seen.names)
            k.seen = replace(
                k.seen,
                names=k.seen.names + extra,
                nik=k.seen.nik or q.nik,
                sex=k.seen.sex if k.seen.sex != "unknown" else q.sex,
                region_code=q.region_code,
                lat=q.lat,
                lon=q.lon,
                birth_year_min=k.seen.birth_year_min or q.birth_year_min,
                birth_year_max=k.seen.birth_year_max or q.birth_year_max,
            )
            k.last_seen = r["day"]
        k.keys = names.keys(list(k.seen.names))
    return res


def main() -> None:
    res = evaluate()
    print(f"{res.queries} reports, {res.with_true} about someone already known, {res.new} new")
    for name, value in res.figures().items():
        print(f"  {name:18s} {value:.3f}")
    print(f"  proposals made     {res.proposals}")
    reasons = Counter("no name" if not m["report"]["name"] else "name" for m in res.misses)
    print(f"  misses             {len(res.misses)} {dict(reasons)}")
    for m in res.misses[:15]:
        print("   ", m["report"]["name"], "<-", m["had"], m["report"]["region_code"])


if __name__ == "__main__":
    main()
