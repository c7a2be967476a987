"""The retention rules (pure): how long each case keeps a person's identity, and what anonymisation keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.persons.retention import (
    Case,
    Facts,
    Policy,
    coarse_birth,
    coarse_region,
    keep_until,
    next_review,
    specific,
)

T0 = datetime(2026, 1, 10, tzinfo=UTC)
POLICY = Policy(years=5, child_years=2, health_years=3, by_category={"GEL": 4})


def facts(
    *cases: Case, flags: frozenset[str] = frozenset(), born: int | None = 1980, placed: bool = False
) -> Facts:
    return Facts(created_at=T0, vulnerabilities=flags, birth_year_max=born, placed=placed, cases=cases)


def test_each_case_by_its_category_the_last_one_counts() -> None:
    assert keep_until(POLICY, facts(Case("OT", T0))) == T0.replace(year=2031)
    assert keep_until(POLICY, facts(Case("GEL", T0))) == T0.replace(year=2030)  # its own figure
    later = T0 + timedelta(days=400)
    # Two cases: needed until the later of their ends.
    assert keep_until(POLICY, facts(Case("GEL", later), Case("OT", T0))) == later.replace(year=later.year + 4)


def test_children_and_health_are_kept_shorter() -> None:
    assert keep_until(POLICY, facts(Case("AJ", T0))) == T0.replace(year=2028)
    assert keep_until(POLICY, facts(Case("ODGJ", T0))) == T0.replace(year=2029)
    # A child by age (born 2015: 11 when the case ended) or by flag, whatever the category.
    assert keep_until(POLICY, facts(Case("OT", T0), born=2015)) == T0.replace(year=2028)
    assert keep_until(POLICY, facts(Case("OT", T0), flags=frozenset({"child"}))) == T0.replace(year=2028)
    assert keep_until(POLICY, facts(Case("OT", T0), flags=frozenset({"hiv"}))) == T0.replace(year=2029)
    assert specific(facts(Case("OT", T0), born=2015)) and not specific(facts(Case("OT", T0)))


def test_never_while_a_case_is_open_or_he_is_placed() -> None:
    far = T0.replace(year=2090)
    assert keep_until(POLICY, facts(Case("OT", T0), Case("GEL", None))) is None
    assert keep_until(POLICY, facts(Case("OT", T0), placed=True)) is None
    assert next_review(POLICY, facts(Case("OT", None)), far) == far + timedelta(days=POLICY.review_days)
    assert next_review(POLICY, facts(Case("OT", T0)), far) is None
    # Not due: looked at again at the deadline, or sooner (a deadline may move earlier).
    assert next_review(POLICY, facts(Case("OT", T0)), T0) == T0 + timedelta(days=30)
    soon = T0.replace(year=2031) - timedelta(days=3)
    assert next_review(POLICY, facts(Case("OT", T0)), soon) == T0.replace(year=2031)


def test_a_record_without_cases_counts_from_its_creation() -> None:
    assert keep_until(POLICY, facts()) == T0.replace(year=2031)
    assert keep_until(POLICY, facts(flags=frozenset({"odgj"}))) == T0.replace(year=2029)


def test_29_february() -> None:
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert keep_until(POLICY, facts(Case("OT", leap))) == datetime(2033, 2, 28, tzinfo=UTC)


def test_what_anonymisation_keeps_of_birth_and_place() -> None:
    assert coarse_birth(date(1988, 3, 1), 1988, 1988, band=False) == (1988, 1988)
    assert coarse_birth(date(1988, 3, 1), 1988, 1988, band=True) == (1985, 1989)
    assert coarse_birth(None, 2014, 2016, band=True) == (2010, 2019)
    assert coarse_birth(None, None, None, band=True) == (None, None)
    assert coarse_region("21.71.06.1003") == "21.71.06" and coarse_region("21.71") == "21.71"
