"""The states of an incident's subject. Only `open` for now: assessments, placements and outcomes (issue 14,
later increments) add theirs."""

from __future__ import annotations

from enum import StrEnum


class SubjectStatus(StrEnum):
    open = "open"  # ditangani: his path is not finished


class LinkHow(StrEnum):
    confirmed = "confirmed"  # an operator confirmed a proposal (or linked by hand)
    created = "created"  # a new person record was made for him


LABELS = {
    SubjectStatus.open: "sedang ditangani",
    LinkHow.confirmed: "dikonfirmasi operator",
    LinkHow.created: "klien baru",
}
