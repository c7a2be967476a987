"""4CT timers: cepat temu, cepat tanggap, cepat tindak, cepat tuntas. Targets per priority, in minutes from
the first report; a stage is met when the incident reaches it (app/dispatch/lifecycle.py), breached when its
deadline passes first. These are the defaults; a team may set its own (`merge`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from app.dispatch.lifecycle import Stage

STAGES = (Stage.temu, Stage.tanggap, Stage.tindak, Stage.tuntas)
TARGET_MINUTES: dict[int, dict[Stage, int]] = {
    1: {Stage.temu: 30, Stage.tanggap: 45, Stage.tindak: 240, Stage.tuntas: 1440},
    2: {Stage.temu: 60, Stage.tanggap: 90, Stage.tindak: 480, Stage.tuntas: 2880},
    3: {Stage.temu: 180, Stage.tanggap: 240, Stage.tindak: 1440, Stage.tuntas: 4320},
    4: {Stage.temu: 1440, Stage.tanggap: 1440, Stage.tindak: 4320, Stage.tuntas: 10080},
}


Targets = dict[int, dict[Stage, int]]


def merge(overrides: Mapping[str, Mapping[str, int]] | None) -> Targets:
    """The defaults with a team's overrides ({"1": {"temu": 20}, ...}) laid over them."""
    out = {p: dict(stages) for p, stages in TARGET_MINUTES.items()}
    for priority, stages in (overrides or {}).items():
        for name, minutes in stages.items():
            out[int(priority)][Stage[name]] = int(minutes)
    return out


def problems(targets: Targets) -> list[str]:
    """What makes a set of targets unusable: each stage must come no earlier than the one before."""
    found = []
    for priority, stages in sorted(targets.items()):
        minutes = [stages[s] for s in STAGES]
        if any(m <= 0 for m in minutes):
            found.append(f"P{priority}: targets must be positive")
        if minutes != sorted(minutes):
            found.append(f"P{priority}: temu <= tanggap <= tindak <= tuntas")
    return found


def deadlines(priority: int, started: datetime, targets: Targets = TARGET_MINUTES) -> dict[Stage, datetime]:
    return {stage: started + timedelta(minutes=m) for stage, m in targets[priority].items()}


def next_due(
    priority: int,
    started: datetime,
    met: dict[Stage, datetime | None],
    breached: Iterable[str],
    targets: Targets = TARGET_MINUTES,
) -> datetime | None:
    """The earliest deadline of a stage neither met nor already breached: when the scheduler looks next."""
    gone = set(breached)
    due = [
        at
        for stage, at in deadlines(priority, started, targets).items()
        if met.get(stage) is None and stage.name not in gone
    ]
    return min(due) if due else None


def breaches(
    priority: int,
    started: datetime,
    met: dict[Stage, datetime | None],
    breached: Iterable[str],
    now: datetime,
    targets: Targets = TARGET_MINUTES,
) -> list[Stage]:
    """Stages whose deadline has passed without being met, not yet recorded."""
    gone = set(breached)
    return [
        stage
        for stage, at in deadlines(priority, started, targets).items()
        if met.get(stage) is None and stage.name not in gone and at <= now
    ]
