"""The events an agency's endpoint may receive: what happens to the referrals to it, and to the incidents
referred to it and their people (placements, outcomes). Internal traffic (offers, crews, notes, 4CT timers,
match proposals) never leaves."""

from __future__ import annotations

from collections.abc import Iterable

REFERRAL_EVENTS = frozenset(
    {
        "referral.created",
        "referral.acknowledged",
        "referral.accepted",
        "referral.declined",
        "referral.completed",
        "referral.cancelled",
    }
)
INCIDENT_EVENTS = frozenset(
    {
        "incident.status_changed",
        "incident.category_changed",
        "incident.priority_changed",
        "incident.merged",
        "incident.reports_added",
    }
)
# What happens to the incident's people: where they are placed (a facility an agency runs receives them
# through a referral to it) and how each path ends.
PERSON_EVENTS = frozenset(
    {
        "placement.admitted",
        "placement.transferred",
        "placement.discharged",
        "subject.outcome_recorded",
    }
)
AGENCY_EVENTS = REFERRAL_EVENTS | INCIDENT_EVENTS | PERSON_EVENTS


def invalid_filters(filters: Iterable[str]) -> list[str]:
    """The filters that match no agency event (a typo would otherwise silently receive nothing)."""
    return [f for f in filters if not any(_match(f, t) for t in AGENCY_EVENTS)]


def _match(pattern: str, type_: str) -> bool:
    if pattern.endswith(".*"):
        return type_.startswith(pattern[:-1])
    return pattern == type_


def wanted(filters: Iterable[str], type_: str) -> bool:
    if type_ not in AGENCY_EVENTS:
        return False
    filters = list(filters)
    return not filters or any(_match(f, type_) for f in filters)
