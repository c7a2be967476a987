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


@dataclass(frozen=True, slots=True)
class PriorityDecision:
    priority: int
    reasons: tuple[str, ...]


def default_priority(
    *, category_priority: int, category: str, flags: Iterable[str], approx_age: int | None
) -> PriorityDecision:
    flagset = set(flags)
    priority = category_priority
    reasons = [f"category {category}: P{category_priority}"]

    def lift(to: int, why: str) -> None:
        nonlocal priority
        if to < priority:
            priority = to
            reasons.append(f"{why}: P{to}")

    if "deceased" in flagset:
        lift(2, "subject deceased")
        return PriorityDecision(priority, tuple(reasons))
    if "agitated" in flagset:
        lift(1, "subject agitated or violent")
    if "injured" in flagset:
        lift(1, "subject injured")
    young = approx_age is not None and approx_age < 5
    if young:
        lift(1, "child under 5")
    if "child" in flagset or (approx_age is not None and approx_age < 18):
        lift(2, "child")
    if "elderly" in flagset or (approx_age is not None and approx_age >= 60):
        lift(2, "elderly")
    if "shackled" in flagset:
        lift(2, "shackled (pasung)")
    return PriorityDecision(priority, tuple(reasons))
