"""One state machine for a crew and its incident.

A crew holds at most one job: a pending offer, or an assignment (an accepted offer) until the crew says it
is free again. The database enforces it (app/models/offer.py: one active offer per crew). The crew's steps
move its incident forward and stamp 4CT; the incident never moves back because of a crew.

    crew:      available -> offered -> dispatched -> en_route -> on_scene -> handling -> transporting
                                                                                      -> at_facility
               ... -> available (only once its incident is resolved, closed or cancelled)
               out_of_service (any time; an offer is withdrawn, an open case handed over), off_shift (the
               scheduler, at the end of the shift)
    incident:  dispatched -> en_route -> on_scene (temu) -> handling (tanggap) -> resolved (tindak)

Pure: the services apply what `plan_step` decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.dispatch.lifecycle import Status


class CrewStatus(StrEnum):
    available = "available"
    offered = "offered"
    dispatched = "dispatched"
    en_route = "en_route"
    on_scene = "on_scene"
    handling = "handling"
    transporting = "transporting"
    at_facility = "at_facility"
    out_of_service = "out_of_service"
    off_shift = "off_shift"


class OfferStatus(StrEnum):
    pending = "pending"
    # An assignment in force: the crew works the incident until it is released.
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    withdrawn = "withdrawn"
    # The assignment is over: the crew finished, or was relieved (reassigned, handed over, out of service).
    released = "released"


ACTIVE_OFFERS = (OfferStatus.pending, OfferStatus.accepted)


class ReleaseReason(StrEnum):
    completed = "completed"
    reassigned = "reassigned"
    handed_over = "handed_over"
    out_of_service = "out_of_service"
    withdrawn = "withdrawn"
    cancelled = "cancelled"
    # Sent on to a P1 while on its way to a lesser case (app/dispatch/engine.py: diversions).
    diverted = "diverted"


# Steps a crew reports from the field while it holds an assignment.
FIELD_STEPS = (
    CrewStatus.en_route,
    CrewStatus.on_scene,
    CrewStatus.handling,
    CrewStatus.transporting,
    CrewStatus.at_facility,
)
ENGAGED = (CrewStatus.dispatched, *FIELD_STEPS)
# What a crew may set itself (the rest is set by dispatch and the scheduler).
SETTABLE = (CrewStatus.available, CrewStatus.out_of_service, *FIELD_STEPS)
# Where each step takes the incident (forward only): taking the person away means he was found and handled.
INCIDENT_FOR_STEP: dict[CrewStatus, Status] = {
    CrewStatus.en_route: Status.en_route,
    CrewStatus.on_scene: Status.on_scene,
    CrewStatus.handling: Status.handling,
    CrewStatus.transporting: Status.handling,
    CrewStatus.at_facility: Status.handling,
}
# An incident transition made by (or for) the assigned crew sets the crew's status.
CREW_FOR_INCIDENT: dict[Status, CrewStatus] = {
    Status.en_route: CrewStatus.en_route,
    Status.on_scene: CrewStatus.on_scene,
    Status.handling: CrewStatus.handling,
}
_ORDER = [
    Status.verified,
    Status.dispatched,
    Status.en_route,
    Status.on_scene,
    Status.handling,
    Status.resolved,
]
FINISHED = frozenset({Status.resolved, Status.closed, Status.cancelled, Status.rejected})


def is_forward(current: Status, target: Status) -> bool:
    """Whether `target` lies ahead of `current` on the way from dispatch to resolution."""
    if current not in _ORDER or target not in _ORDER:
        return False
    return _ORDER.index(target) > _ORDER.index(current)


_STEPS = [CrewStatus.dispatched, *FIELD_STEPS]


def is_behind(current: CrewStatus, target: CrewStatus) -> bool:
    """Whether a field step comes before where the crew already is (a late or repeated step: ignored, so a
    step sent late from a place without signal never moves the crew back)."""
    return current in _STEPS and target in FIELD_STEPS and _STEPS.index(target) < _STEPS.index(current)


class StepRefused(Exception):
    """A step the crew cannot take now; `code` is for programs, the message for people (Indonesian)."""

    def __init__(self, code: str, message: str, *, current: CrewStatus, invalid: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.current = current
        # True: the request itself is wrong (422), not the moment (409).
        self.invalid = invalid


@dataclass(frozen=True, slots=True)
class StepPlan:
    crew_status: CrewStatus
    # Move the assigned incident here (None: it stays).
    incident_to: Status | None = None
    # End the assignment, with this reason.
    release: ReleaseReason | None = None
    withdraw_offer: bool = False
    # Capacity changed: the region's waiting incidents need a round.
    round_due: bool = False
    # Nothing to do: the crew is already there (a retried step answers like the first).
    unchanged: bool = False


def plan_step(
    current: CrewStatus, target: CrewStatus, *, holds_offer: bool, incident: Status | None
) -> StepPlan:
    """What a crew's status request does. `incident` is the status of the incident the crew is assigned to
    (None: no assignment)."""
    if target == current:
        return StepPlan(current, unchanged=True)
    if target not in SETTABLE:
        raise StepRefused(
            "not_settable",
            f"status {target} diatur oleh Tanggap, bukan oleh regu",
            current=current,
            invalid=True,
        )
    if current == CrewStatus.off_shift:
        raise StepRefused("off_shift", "sif regu ini sudah berakhir", current=current)
    if target == CrewStatus.out_of_service:
        if holds_offer:
            return StepPlan(target, withdraw_offer=True, round_due=True)
        if incident is not None:
            why = ReleaseReason.completed if incident in FINISHED else ReleaseReason.out_of_service
            return StepPlan(target, release=why, round_due=True)
        return StepPlan(target)
    if target == CrewStatus.available:
        if holds_offer:
            raise StepRefused(
                "holds_offer", "regu masih memegang tawaran: terima atau tolak dulu", current=current
            )
        if incident is not None and incident not in FINISHED:
            raise StepRefused(
                "case_open",
                f"kasus regu ini masih {incident}: selesaikan (resolved) dulu, atau minta supervisor "
                "mengalihkannya",
                current=current,
            )
        if incident is not None:
            return StepPlan(target, release=ReleaseReason.completed, round_due=True)
        return StepPlan(target, round_due=True)
    # A field step.
    if incident is None:
        raise StepRefused("no_assignment", "regu ini tidak sedang menangani kasus", current=current)
    goes_to = INCIDENT_FOR_STEP[target]
    return StepPlan(target, incident_to=goes_to if is_forward(incident, goes_to) else None)
