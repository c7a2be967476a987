"""Topics a client subscribes to, who may subscribe to which, and the events each one matches.

region:<code prefix>   every event in that region (operators, supervisors, admins of the region)
incident:<uuid>        the events of one incident (those who may read it)
mine                   events the caller caused, and those of the crews he works in (current shifts)
agency                 the referrals to the caller's agency: created, answered, cancelled (agency accounts)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from app.models import Role
from app.reference import regions

REGION_ROLES = (Role.admin, Role.supervisor, Role.operator)
INCIDENT_ROLES = (Role.admin, Role.supervisor, Role.operator)


class TopicError(ValueError):
    """A topic that is malformed or not allowed; the message says which."""


@dataclass(frozen=True, slots=True)
class Topic:
    kind: str
    value: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind


def parse(raw: str) -> Topic:
    kind, _, value = raw.strip().partition(":")
    if kind in ("mine", "agency") and not value:
        return Topic(kind)
    if kind == "region" and regions.is_well_formed(value):
        return Topic("region", value)
    if kind == "incident":
        try:
            return Topic("incident", str(uuid.UUID(value)))
        except ValueError:
            pass
    raise TopicError(f"unknown topic {raw!r}; use region:<code>, incident:<uuid>, mine or agency")


# What an event is about, and what a subscription listens for: a client gets an event when the two share a
# key. The hub indexes its clients by these keys, so an event costs its own clients, not all of them.
Key = tuple[str, str]


def event_keys(event: dict[str, Any]) -> list[Key]:
    """The keys of an event: its region and every region above it (down from '' = all of Indonesia), its
    incident, crew and actor, and for a referral event the agency it went to."""
    keys: list[Key] = [("region", "")]
    code = event.get("region_code")
    if code:
        parts = str(code).split(".")
        keys += [("region", ".".join(parts[: i + 1])) for i in range(len(parts))]
    for kind, column in (("incident", "incident_id"), ("crew", "crew_id"), ("actor", "actor_id")):
        value = event.get(column)
        if value is not None:
            keys.append((kind, str(value)))
    if str(event.get("type", "")).startswith("referral."):
        agency = (event.get("data") or {}).get("agency_id")
        if agency is not None:
            keys.append(("agency", str(agency)))
    return keys


@dataclass(frozen=True, slots=True)
class Subscription:
    """What one client receives: the union of its topics."""

    user_id: uuid.UUID
    regions: tuple[str, ...]
    incidents: frozenset[str]
    mine: bool
    # With `mine`: the crews the caller works in (their offers, status and positions).
    crews: frozenset[str] = frozenset()
    # With `agency`: the agency whose referrals the caller follows.
    agency_id: str | None = None
    # Console staff (admins, supervisors, operators) see why a crew was chosen over the others.
    staff: bool = False
    keys: frozenset[Key] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys: set[Key] = {("region", prefix) for prefix in self.regions}
        keys |= {("incident", i) for i in self.incidents} | {("crew", c) for c in self.crews}
        if self.mine:
            keys.add(("actor", str(self.user_id)))
        if self.agency_id is not None:
            keys.add(("agency", str(self.agency_id)))
        object.__setattr__(self, "keys", frozenset(keys))

    def matches(self, event: dict[str, Any]) -> bool:
        return not self.keys.isdisjoint(event_keys(event))
