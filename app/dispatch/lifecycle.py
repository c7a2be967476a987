"""Incident lifecycle: the legal state changes and the 4CT stage each one marks.

    received -> verified -> dispatched -> en_route -> on_scene -> handling -> resolved -> closed
    rejected (hoax, duplicate, out of scope) and cancelled end a case early.

4CT: temu (found) when the crew is on scene with the subject, tanggap (responded) when handling starts,
tindak (acted) when the case is resolved with an outcome, tuntas (completed) when it is closed.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    received = "received"
    verified = "verified"
    dispatched = "dispatched"
    en_route = "en_route"
    on_scene = "on_scene"
    handling = "handling"
    resolved = "resolved"
    closed = "closed"
    rejected = "rejected"
    cancelled = "cancelled"


S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.received: frozenset({S.verified, S.rejected, S.cancelled}),
    S.verified: frozenset({S.dispatched, S.rejected, S.cancelled}),
    # Back to verified: the crew was withdrawn and the incident waits for another.
    S.dispatched: frozenset({S.en_route, S.on_scene, S.verified, S.cancelled}),
    # Back to dispatched: reassigned to another crew by hand.
    S.en_route: frozenset({S.on_scene, S.dispatched, S.verified, S.cancelled}),
    S.on_scene: frozenset({S.handling, S.resolved, S.cancelled}),
    S.handling: frozenset({S.resolved, S.cancelled}),
    # Reopened when the outcome did not hold (e.g. the person left the shelter the same day).
    S.resolved: frozenset({S.closed, S.handling}),
    S.closed: frozenset(),
    # A supervisor may reopen a wrongly rejected report.
    S.rejected: frozenset({S.received}),
    S.cancelled: frozenset(),
}

OPEN_STATUSES = frozenset({S.received, S.verified, S.dispatched, S.en_route, S.on_scene, S.handling})
# States that a triage action (verify, reject, merge, re-categorise) may start from.
TRIAGE_STATUSES = frozenset({S.received, S.verified})


class Stage(StrEnum):
    temu = "found_at"
    tanggap = "responded_at"
    tindak = "acted_at"
    tuntas = "completed_at"


STAGE_OF: dict[Status, Stage] = {
    S.on_scene: Stage.temu,
    S.handling: Stage.tanggap,
    S.resolved: Stage.tindak,
    S.closed: Stage.tuntas,
}


def can_transition(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def stages_reached(target: Status) -> list[Stage]:
    """The 4CT stages that reaching `target` completes, earlier ones included (a crew may skip handling)."""
    order = [S.on_scene, S.handling, S.resolved, S.closed]
    if target not in order:
        return []
    return [STAGE_OF[s] for s in order[: order.index(target) + 1]]


# In Indonesian, for what a person reads (the subject-access export).
STATUS_LABELS: dict[Status, str] = {
    S.received: "diterima",
    S.verified: "terverifikasi",
    S.dispatched: "regu ditugaskan",
    S.en_route: "dalam perjalanan",
    S.on_scene: "di lokasi",
    S.handling: "ditangani",
    S.resolved: "tertangani",
    S.closed: "selesai (ditutup)",
    S.rejected: "ditolak",
    S.cancelled: "dibatalkan",
}
