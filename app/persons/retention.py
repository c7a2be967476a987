"""How long a person's identity is kept (UU PDP: no longer than needed), and what anonymisation leaves.

A person record is needed while any of his cases is: until `years` after the last of them ended (closed,
resolved, rejected or cancelled), where each case's years come from its PPKS category. Children's and
health data are specific personal data and are kept shorter: a case of a child category (or of a person
who was a child when it ended, or flagged `child`) keeps at most `child_years`; a health category (PD,
ODGJ, pasung, ODHA, NAPZA) or a health flag at most `health_years`. A person with an open case or an active
placement is never due. A record with no case at all is kept `years` (shortened the same way) from its
creation.

Defaults (app/settings.py, all overridable): 5 years; children 2; health 3. They are a starting point for
the Dinas's data-protection officer, not figures from a regulation.

The same periods apply to a case itself (`case_keep_until`): once a closed incident's time is up, what its
reports say of people (the reporter's name and phone, the subject's name and NIK, the description and the
address, the family contacts tried, the handover's receiver, the coordinates, free text) goes, whether or
not any person record was made for it.

Anonymisation removes the identity (names, aliases, NIK, KK, family contacts, descriptions and free-text
notes, the exact birth date and places) and keeps what the statistics count: category, regions down to the
kecamatan, dates, outcomes, coded assessment answers, sex and the birth year (a five-year band for children
and health cases)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# What replaces free text that cannot be empty (a report's description, a note, a contact's name).
ERASED = "[dihapus: masa simpan data berakhir]"
CHILD_CATEGORIES = frozenset({"ABT", "AT", "ABH", "AJ", "ADK", "AKTK", "AMPK"})
HEALTH_CATEGORIES = frozenset({"PD", "ODGJ", "PASUNG", "ODHA", "NAPZA"})
CHILD_FLAGS = frozenset({"child"})
HEALTH_FLAGS = frozenset({"odgj", "disability", "chronic_illness", "hiv", "napza"})
ADULT_AGE = 18
BAND_YEARS = 5


@dataclass(frozen=True, slots=True)
class Policy:
    years: int = 5
    child_years: int = 2
    health_years: int = 3
    # A category's own period, instead of `years` (children's and health caps still apply).
    by_category: Mapping[str, int] = field(default_factory=dict)
    # Looked at again at the latest after this: a deadline can move earlier (a case re-categorised, a flag
    # added), and a person with an open case is looked at again when it may have ended.
    review_days: int = 30


@dataclass(frozen=True, slots=True)
class Case:
    category: str
    # None while the case is open.
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class Facts:
    created_at: datetime
    vulnerabilities: frozenset[str]
    # The latest year he may have been born in (a range when the age was guessed): the younger reading.
    birth_year_max: int | None
    placed: bool
    cases: Sequence[Case]


def add_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


def child_at(facts: Facts, at: datetime) -> bool:
    if CHILD_FLAGS & facts.vulnerabilities:
        return True
    return facts.birth_year_max is not None and at.year - facts.birth_year_max < ADULT_AGE


def specific(facts: Facts) -> bool:
    """Children's or health data: kept shorter, and the birth year kept only as a band."""
    categories = {c.category for c in facts.cases}
    return bool(
        (CHILD_FLAGS | HEALTH_FLAGS) & facts.vulnerabilities
        or (CHILD_CATEGORIES | HEALTH_CATEGORIES) & categories
        or any(child_at(facts, c.ended_at) for c in facts.cases if c.ended_at)
    )


def years_for(policy: Policy, facts: Facts, category: str | None, ended: datetime) -> int:
    years = policy.by_category.get(category, policy.years) if category else policy.years
    if category in CHILD_CATEGORIES or child_at(facts, ended):
        years = min(years, policy.child_years)
    if category in HEALTH_CATEGORIES or HEALTH_FLAGS & facts.vulnerabilities:
        years = min(years, policy.health_years)
    return years


def keep_until(policy: Policy, facts: Facts) -> datetime | None:
    """Until when the identity is needed; None while a case is open or he is placed."""
    if facts.placed or any(c.ended_at is None for c in facts.cases):
        return None
    if not facts.cases:
        return add_years(facts.created_at, years_for(policy, facts, None, facts.created_at))
    return max(
        add_years(c.ended_at, years_for(policy, facts, c.category, c.ended_at))
        for c in facts.cases
        if c.ended_at is not None
    )


def next_review(policy: Policy, facts: Facts, now: datetime) -> datetime | None:
    """None: due now (anonymise); else when to look again."""
    until = keep_until(policy, facts)
    if until is not None and until <= now:
        return None
    latest = now + timedelta(days=policy.review_days)
    return latest if until is None else min(until, latest)


def coarse_birth(
    born: date | None, year_min: int | None, year_max: int | None, *, band: bool
) -> tuple[int | None, int | None]:
    """The birth date as a year (or a range of years as guessed), widened to a five-year band if `band`."""
    lo = born.year if born else year_min
    hi = born.year if born else year_max
    if lo is None or hi is None:
        return None, None
    if band:
        return lo - lo % BAND_YEARS, hi - hi % BAND_YEARS + BAND_YEARS - 1
    return lo, hi


def coarse_region(code: str | None) -> str | None:
    """Down to the kecamatan (PP.KK.CC): a village and a person's description can name him."""
    return None if code is None else ".".join(code.split(".")[:3])


def case_keep_until(
    policy: Policy, category: str, flags: Sequence[str], subject_age: int | None, ended_at: datetime | None
) -> datetime | None:
    """Until when a case's reports and notes are needed; None while it is open. A child category, a
    child's age or flag, a health category or flag shorten it as for a person."""
    if ended_at is None:
        return None
    facts = Facts(
        created_at=ended_at,
        vulnerabilities=frozenset(flags),
        birth_year_max=ended_at.year - subject_age if subject_age is not None else None,
        placed=False,
        cases=(),
    )
    return add_years(ended_at, years_for(policy, facts, category, ended_at))


def shortest_years(policy: Policy) -> int:
    """The shortest period any case can have: nothing ended more recently than this is due."""
    return min([policy.years, policy.child_years, policy.health_years, *policy.by_category.values()])
