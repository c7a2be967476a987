"""Separation rules: who may be placed in a unit, given the unit and who is in it now.

Three rules, each switched on or off per facility: children apart from adults (a family unit keeps a
family together), ODGJ apart from the elderly, men and women apart unless the unit is a family unit. A
refusal names its rule in Indonesian; the service answers it with a 409. Pure: tested exhaustively with
hypothesis (tests/facilities/test_rules.py) against a plain statement of what a unit may hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.facilities.kinds import UNIT_GROUP_LABELS, UnitGroup, UnitSex

ADULT_AGE = 18
ELDERLY_AGE = 60


class Rule(StrEnum):
    child_adult = "child_adult"
    odgj_elderly = "odgj_elderly"
    sexes = "sexes"


RULE_LABELS: dict[Rule, str] = {
    Rule.child_adult: "anak terpisah dari orang dewasa",
    Rule.odgj_elderly: "ODGJ terpisah dari lansia",
    Rule.sexes: "laki-laki dan perempuan terpisah kecuali unit keluarga",
}
ALL_RULES = frozenset(Rule)
SEX_WORDS = {"male": "laki-laki", "female": "perempuan"}


@dataclass(frozen=True, slots=True)
class Resident:
    """What the rules need to know of a person: age in years (None: unknown), sex (male, female,
    unknown), whether he is an ODGJ, and whether he is marked elderly whatever his known age."""

    age: int | None
    sex: str
    odgj: bool = False
    elderly_flag: bool = False

    @property
    def child(self) -> bool | None:
        return None if self.age is None else self.age < ADULT_AGE

    @property
    def elderly(self) -> bool:
        """Elderly for the ODGJ rule: an elderly ODGJ counts as ODGJ (his care is the psychiatric one)."""
        old = self.elderly_flag or (self.age is not None and self.age >= ELDERLY_AGE)
        return old and not self.odgj


@dataclass(frozen=True, slots=True)
class Unit:
    sex: UnitSex
    group: UnitGroup


@dataclass(frozen=True, slots=True)
class Refusal:
    rule: Rule
    detail: str

    @property
    def label(self) -> str:
        return RULE_LABELS[self.rule]


def _child_adult(person: Resident, unit: Unit) -> Refusal | None:
    if unit.sex == UnitSex.family:
        return None
    if person.child is None:
        return Refusal(
            Rule.child_adult,
            "usia belum diketahui: isi perkiraan usia dulu, anak tidak boleh ditempatkan di unit dewasa",
        )
    if person.child and unit.group != UnitGroup.children:
        group = UNIT_GROUP_LABELS[unit.group]
        return Refusal(
            Rule.child_adult,
            f"anak (di bawah {ADULT_AGE} tahun) tidak boleh ditempatkan di unit dewasa ({group})",
        )
    if not person.child and unit.group == UnitGroup.children:
        return Refusal(Rule.child_adult, "orang dewasa tidak boleh ditempatkan di unit anak")
    return None


def _odgj_elderly(person: Resident, unit: Unit, occupants: Sequence[Resident]) -> Refusal | None:
    if person.odgj and unit.group == UnitGroup.elderly:
        return Refusal(Rule.odgj_elderly, "ODGJ tidak boleh ditempatkan di unit lansia")
    if person.elderly and unit.group == UnitGroup.odgj:
        return Refusal(Rule.odgj_elderly, "lansia tidak boleh ditempatkan di unit ODGJ")
    if person.odgj and any(o.elderly for o in occupants):
        return Refusal(Rule.odgj_elderly, "unit ini sedang ditempati lansia: ODGJ dipisahkan dari lansia")
    if person.elderly and any(o.odgj for o in occupants):
        return Refusal(Rule.odgj_elderly, "unit ini sedang ditempati ODGJ: lansia dipisahkan dari ODGJ")
    return None


def _sexes(person: Resident, unit: Unit, occupants: Sequence[Resident]) -> Refusal | None:
    if unit.sex == UnitSex.family:
        return None
    if person.sex not in SEX_WORDS:
        return Refusal(
            Rule.sexes, "jenis kelamin belum diketahui: hanya unit keluarga yang menerima tanpa jenis kelamin"
        )
    word = SEX_WORDS[person.sex]
    if unit.sex in (UnitSex.male, UnitSex.female) and unit.sex != person.sex:
        return Refusal(Rule.sexes, f"{word} tidak boleh ditempatkan di unit {SEX_WORDS[unit.sex]}")
    other = [o for o in occupants if o.sex in SEX_WORDS and o.sex != person.sex]
    if other:
        return Refusal(
            Rule.sexes,
            f"unit campuran ini sedang ditempati {SEX_WORDS[other[0].sex]}: {word} tidak boleh masuk",
        )
    return None


def check(
    person: Resident, unit: Unit, occupants: Sequence[Resident], rules: Iterable[Rule] = ALL_RULES
) -> list[Refusal]:
    """Every rule (of those that apply) the admission would break; empty: allowed."""
    on = frozenset(rules)
    found = [
        _child_adult(person, unit) if Rule.child_adult in on else None,
        _odgj_elderly(person, unit, occupants) if Rule.odgj_elderly in on else None,
        _sexes(person, unit, occupants) if Rule.sexes in on else None,
    ]
    return [r for r in found if r is not None]


def preferred_groups(person: Resident) -> list[UnitGroup]:
    """The unit groups made for this person, best first."""
    if person.child:
        return [UnitGroup.children]
    if person.odgj:
        return [UnitGroup.odgj, UnitGroup.isolation]
    if person.elderly:
        return [UnitGroup.elderly, UnitGroup.general]
    return [UnitGroup.general]
