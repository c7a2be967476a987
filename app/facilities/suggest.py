"""Placement suggestions: the units a person may go to (rules allow, a bed free), best first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.facilities.kinds import UNIT_GROUP_LABELS
from app.facilities.rules import ALL_RULES, Refusal, Resident, Rule, Unit, check, preferred_groups


@dataclass(frozen=True)
class Option:
    """A unit as the ranking sees it: its key (the caller's id), attributes, the facility's rules, who is in
    it, free beds and the distance from the person (None: the facility has no coordinates)."""

    key: str
    unit: Unit
    occupants: Sequence[Resident]
    free: int
    distance_km: float | None = None
    rules: frozenset[Rule] = ALL_RULES


@dataclass(frozen=True)
class Suggestion:
    option: Option
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Refused:
    option: Option
    refusals: list[Refusal]
    full: bool


def _km(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def rank(person: Resident, options: Iterable[Option]) -> tuple[list[Suggestion], list[Refused]]:
    """Allowed units with a free bed, ordered by how well the unit's group fits the person, then distance
    (units without coordinates after those with), then most free beds; and the others with why not."""
    wanted = preferred_groups(person)
    ok: list[tuple[tuple[int, int, float, int, str], Suggestion]] = []
    refused: list[Refused] = []
    for opt in options:
        refusals = check(person, opt.unit, opt.occupants, opt.rules)
        if refusals or opt.free <= 0:
            refused.append(Refused(opt, refusals, full=opt.free <= 0))
            continue
        fit = wanted.index(opt.unit.group) if opt.unit.group in wanted else len(wanted)
        group = UNIT_GROUP_LABELS[opt.unit.group]
        reasons = [
            f"kelompok unit sesuai ({group})" if fit == 0 else f"kelompok unit {group}",
            "lolos aturan pemisahan",
        ]
        if opt.distance_km is not None:
            reasons.append(f"jarak {_km(opt.distance_km)} km")
        reasons.append(f"{opt.free} tempat tidur kosong")
        far = opt.distance_km if opt.distance_km is not None else float("inf")
        key = (fit, 0 if opt.distance_km is not None else 1, far, -opt.free, opt.key)
        ok.append((key, Suggestion(opt, reasons)))
    ok.sort(key=lambda item: item[0])
    return [s for _, s in ok], refused
