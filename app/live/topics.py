"""Topics a client subscribes to, who may subscribe to which, and the events each one matches.

region:<code prefix>   every event in that region (operators, supervisors, admins of the region)
incident:<uuid>        the events of one incident (those who may read it)
mine                   events the caller caused, and those of the crews he works in (current shifts)
agency                 the referrals to the caller's agency: created, answered, cancelled (agency accounts)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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

    def matches(self, event: dict[str, Any]) -> bool:
        if (
            self.agency_id is not None
            and str(event.get("type", "")).startswith("referral.")
            and (event.get("data") or {}).get("agency_id") == self.agency_id
        ):
            return True
        if self.mine and event.get("actor_id") == self.user_id:
            return True
        crew = event.get("crew_id")
        if crew is not None and str(crew) in self.crews:
            return True
        incident = event.get("incident_id")
        if incident is not None and str(incident) in self.incidents:
            return True
        code = event.get("region_code")
        return code is not None and any(regions.within(code, prefix) for prefix in self.regions)
