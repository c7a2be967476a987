"""Separation rules against a plain statement of what a unit may hold: exhaustively for a person coming
into an empty unit, and with hypothesis for any sequence of arrivals (the unit never holds what the rules
forbid, and nobody is refused whom the statement would let in)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from app.facilities.kinds import UnitGroup, UnitSex
from app.facilities.rules import ALL_RULES, RULE_LABELS, Resident, Rule, Unit, check, preferred_groups
from app.facilities.suggest import Option, rank

KNOWN = ("male", "female")


def valid(unit: Unit, people: list[Resident], rules: frozenset[Rule]) -> bool:
    """What a unit may hold, said plainly (independent of app/facilities/rules.py)."""
    family = unit.sex == UnitSex.family
    if Rule.child_adult in rules and not family:
        if any(p.age is None for p in people):
            return False
        if unit.group == UnitGroup.children and any(p.age is not None and p.age >= 18 for p in people):
            return False
        if unit.group != UnitGroup.children and any(p.age is not None and p.age < 18 for p in people):
            return False
    if Rule.odgj_elderly in rules:
        odgj = [p for p in people if p.odgj]
        old = [p for p in people if not p.odgj and (p.elderly_flag or (p.age is not None and p.age >= 60))]
        if unit.group == UnitGroup.elderly and odgj:
            return False
        if unit.group == UnitGroup.odgj and old:
            return False
        if odgj and old:
            return False
    if Rule.sexes in rules and not family:
        if any(p.sex not in KNOWN for p in people):
            return False
        sexes = {p.sex for p in people}
        if len(sexes) > 1:
            return False
        if unit.sex in KNOWN and sexes - {unit.sex}:
            return False
    return True


AGES = (None, 0, 5, 17, 18, 35, 59, 60, 85)
SEXES = ("male", "female", "unknown")
RESIDENTS = [
    Resident(age=a, sex=s, odgj=o, elderly_flag=e)
    for a, s, o, e in itertools.product(AGES, SEXES, (False, True), (False, True))
]
UNITS = [Unit(sex=s, group=g) for s, g in itertools.product(UnitSex, UnitGroup)]
RULE_SETS = [frozenset(c) for n in range(4) for c in itertools.combinations(list(Rule), n)]


def test_every_person_into_every_empty_unit_under_every_set_of_rules() -> None:
    """108 kinds of person x 20 kinds of unit x 8 sets of rules: admitted exactly when the unit may
    hold him."""
    for person, unit, rules in itertools.product(RESIDENTS, UNITS, RULE_SETS):
        refusals = check(person, unit, [], rules)
        assert (not refusals) == valid(unit, [person], rules), (person, unit, rules, refusals)
        assert all(r.rule in rules for r in refusals)
        assert all(r.detail and RULE_LABELS[r.rule] for r in refusals)


residents = st.builds(
    Resident,
    age=st.none() | st.integers(min_value=0, max_value=110),
    sex=st.sampled_from(SEXES),
    odgj=st.booleans(),
    elderly_flag=st.booleans(),
)
units = st.builds(Unit, sex=st.sampled_from(list(UnitSex)), group=st.sampled_from(list(UnitGroup)))
rule_sets = st.frozensets(st.sampled_from(list(Rule)))


@settings(max_examples=800, deadline=None)
@given(unit=units, rules=rule_sets, arrivals=st.lists(residents, max_size=12))
def test_a_unit_filled_by_the_rules_holds_only_what_it_may(
    unit: Unit, rules: frozenset[Rule], arrivals: list[Resident]
) -> None:
    inside: list[Resident] = []
    for person in arrivals:
        allowed = not check(person, unit, inside, rules)
        assert allowed == valid(unit, [*inside, person], rules), (unit, rules, inside, person)
        if allowed:
            inside.append(person)
        assert valid(unit, inside, rules)


@settings(max_examples=1000, deadline=None)
@given(
    unit=units,
    rules=rule_sets,
    inside=st.lists(residents, max_size=6),
    age=st.integers(min_value=0, max_value=17),
    child=residents,
)
def test_a_child_is_never_admitted_to_an_adult_unit(
    unit: Unit, rules: frozenset[Rule], inside: list[Resident], age: int, child: Resident
) -> None:
    """Whoever is inside (even placed before the rule was switched on): under the rule, a child goes only
    to a children's unit or a family unit."""
    kid = Resident(age=age, sex=child.sex, odgj=child.odgj, elderly_flag=child.elderly_flag)
    admitted = not check(kid, unit, inside, rules | {Rule.child_adult})
    if admitted:
        assert unit.group == UnitGroup.children or unit.sex == UnitSex.family


@settings(max_examples=500, deadline=None)
@given(
    person=residents,
    options=st.lists(st.tuples(units, st.integers(0, 5), st.none() | st.floats(0, 80)), max_size=8),
)
def test_suggestions_are_allowed_free_and_ordered(
    person: Resident, options: list[tuple[Unit, int, float | None]]
) -> None:
    opts = [
        Option(key=f"u{i}", unit=u, occupants=[], free=f, distance_km=d)
        for i, (u, f, d) in enumerate(options)
    ]
    ok, refused = rank(person, opts)
    assert len(ok) + len(refused) == len(opts)
    wanted = preferred_groups(person)
    keys = []
    for s in ok:
        assert s.option.free > 0 and not check(person, s.option.unit, [], ALL_RULES)
        assert any("tempat tidur kosong" in r for r in s.reasons)
        fit = wanted.index(s.option.unit.group) if s.option.unit.group in wanted else len(wanted)
        d = s.option.distance_km
        keys.append((fit, d is None, d if d is not None else 0.0, -s.option.free))
    assert keys == sorted(keys)
    for r in refused:
        assert r.full or r.refusals


def test_suggestion_reasons_in_indonesian() -> None:
    child = Resident(age=9, sex="female")
    opts = [
        Option("dewasa", Unit(UnitSex.female, UnitGroup.general), [], free=4, distance_km=1.0),
        Option("jauh", Unit(UnitSex.female, UnitGroup.children), [], free=2, distance_km=12.5),
        Option("dekat", Unit(UnitSex.mixed, UnitGroup.children), [], free=1, distance_km=2.25),
    ]
    ok, refused = rank(child, opts)
    assert [s.option.key for s in ok] == ["dekat", "jauh"]
    assert ok[0].reasons == [
        "kelompok unit sesuai (anak)",
        "lolos aturan pemisahan",
        "jarak 2,2 km",
        "1 tempat tidur kosong",
    ]
    assert (
        refused[0].refusals[0].detail
        == "anak (di bawah 18 tahun) tidak boleh ditempatkan di unit dewasa (umum)"
    )
    assert frozenset(Rule) == ALL_RULES
