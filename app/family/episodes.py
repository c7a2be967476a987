"""Episodes of an incident: the first runs from the report to its first closing (the incident's own 4CT
stamps, never rewritten); each reopening starts another, timed from the reopening with the same targets.

Derived from the incident's timeline (its status changes and reopenings) so that a reopening adds to the
log and changes no stamp: the log is the record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.dispatch.lifecycle import Stage

# The stages a reopened episode goes through (he was already found: temu belongs to the first).
EPISODE_STAGES = (Stage.tanggap, Stage.tindak, Stage.tuntas)
_STAGE_OF_STATUS = {"handling": Stage.tanggap, "resolved": Stage.tindak, "closed": Stage.tuntas}


@dataclass(frozen=True, slots=True)
class Step:
    """One event of the timeline, as much as episodes need of it."""

    type: str
    at: datetime
    data: Mapping[str, Any]
    actor: str | None = None


@dataclass(slots=True)
class Episode:
    number: int
    started_at: datetime
    reason: str | None = None
    by: str | None = None
    stamps: dict[Stage, datetime] = field(default_factory=dict)
    deadlines: dict[Stage, datetime] = field(default_factory=dict)

    def breached(self, now: datetime) -> list[str]:
        """Stages met after their deadline, or not met and already late."""
        return [s.name for s, due in self.deadlines.items() if (self.stamps.get(s) or now) > due]


def _when(step: Step) -> datetime:
    # A crew's step sent late carries when it happened.
    client = step.data.get("client_at")
    return datetime.fromisoformat(client) if isinstance(client, str) else step.at


def reopened(
    steps: Iterable[Step], priority: int, targets: Mapping[int, Mapping[Stage, int]]
) -> list[Episode]:
    """The episodes after the first, in order: each opened by an `incident.reopened` event and stamped by
    the status changes that follow it (the first time each stage is reached, until the next reopening)."""
    out: list[Episode] = []
    for step in steps:
        if step.type == "incident.reopened":
            start = step.at
            out.append(
                Episode(
                    number=int(step.data.get("episode", len(out) + 2)),
                    started_at=start,
                    reason=step.data.get("reason"),
                    by=step.actor,
                    # Tanggap is met by the reopening itself (the case is back in hand).
                    stamps={Stage.tanggap: start},
                    deadlines={s: start + timedelta(minutes=targets[priority][s]) for s in EPISODE_STAGES},
                )
            )
        elif out and step.type == "incident.status_changed":
            stage = _STAGE_OF_STATUS.get(str(step.data.get("after")))
            if stage is not None and stage not in out[-1].stamps:
                out[-1].stamps[stage] = max(_when(step), out[-1].started_at)
    return out
