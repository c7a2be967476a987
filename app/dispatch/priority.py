"""Default priority rules (P1 most urgent .. P4).

The category gives a starting priority (app/reference/categories.py); the flags of the subject can only
make it more urgent, never less. Each rule that applied is returned as a reason, shown to the operator.

| rule                                          | priority  |
|-----------------------------------------------|-----------|
| subject agitated or violent (e.g. ODGJ ngamuk) | P1        |
| subject injured                               | P1        |
| young child (under 5) or ABT                  | P1        |
| child (under 18)                              | P2 at most |
| elderly                                       | P2 at most |
| shackled (pasung)                             | P2 at most |
| deceased                                      | P2 (no life at risk; other flags don't lift it) |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

FLAGS = ("injured", "agitated", "child", "elderly", "shackled", "deceased", "alone", "pregnant", "sick")

# Every reason for a priority, by code (written in English, stored as written; the console finds a stored
# reason's code and values by these sentences and translates by the code: app/console/reasons.py).
SENTENCES: dict[str, str] = {
    "priority.category": "category {category}: P{p}",
    "priority.lifted": "{why}: P{p}",
    "priority.deceased": "subject deceased",
    "priority.agitated": "subject agitated or violent",
    "priority.injured": "subject injured",
    "priority.under_5": "child under 5",
    "priority.child": "child",
    "priority.elderly": "elderly",
    "priority.shackled": "shackled (pasung)",
    # app/services/intake.py: the triage's reading of the description
    "priority.triage": "triage of the description ({category}; {flags}): P{p}",
}


def say(code: str, **values: object) -> str:
    return SENTENCES[code].format(**values)


@dataclass(frozen=True, slots=True)
class PriorityDecision:
    priority: int
    reasons: tuple[str, ...]


def default_priority(
    *, category_priority: int, category: str, flags: Iterable[str], approx_age: int | None
) -> PriorityDecision:
    flagset = set(flags)
    priority = category_priority
    reasons = [say("priority.category", category=category, p=category_priority)]

    def lift(to: int, why: str) -> None:
        nonlocal priority
        if to < priority:
            priority = to
            reasons.append(say("priority.lifted", why=SENTENCES[why], p=to))

    if "deceased" in flagset:
        lift(2, "priority.deceased")
        return PriorityDecision(priority, tuple(reasons))
    if "agitated" in flagset:
        lift(1, "priority.agitated")
    if "injured" in flagset:
        lift(1, "priority.injured")
    young = approx_age is not None and approx_age < 5
    if young:
        lift(1, "priority.under_5")
    if "child" in flagset or (approx_age is not None and approx_age < 18):
        lift(2, "priority.child")
    if "elderly" in flagset or (approx_age is not None and approx_age >= 60):
        lift(2, "priority.elderly")
    if "shackled" in flagset:
        lift(2, "priority.shackled")
    return PriorityDecision(priority, tuple(reasons))
