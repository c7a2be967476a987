"""A referral's lifecycle: what an agency may answer next, from where its referral stands.

pending -> acknowledged -> accepted -> completed
pending / acknowledged -> declined;  cancelled by an operator while open
"""

from __future__ import annotations

from enum import StrEnum


class ReferralStatus(StrEnum):
    pending = "pending"
    acknowledged = "acknowledged"
    accepted = "accepted"
    declined = "declined"
    completed = "completed"
    cancelled = "cancelled"


R = ReferralStatus
ANSWERS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    R.pending: frozenset({R.acknowledged, R.accepted, R.declined}),
    R.acknowledged: frozenset({R.accepted, R.declined}),
    R.accepted: frozenset({R.completed}),
    R.declined: frozenset(),
    R.completed: frozenset(),
    R.cancelled: frozenset(),
}
CLOSED = frozenset({R.declined, R.completed, R.cancelled})
