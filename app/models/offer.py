from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow

# The offers that bind their crew (and their incident): one at most of each, enforced by the database.
ACTIVE = text("status IN ('pending', 'accepted')")


class Offer(Base):
    """A crew's engagement with an incident: offered (pending) until accepted, declined, expired or withdrawn;
    once accepted it is the crew's assignment until it is released (the crew finished, or was relieved).
    Manual dispatch and handovers write accepted rows straight away (`source`).

    A crew holds at most one active offer (pending or accepted), and an incident too: two partial unique
    indexes, so that no code path can book a crew twice. Pending offers with `expires_at` in the past are
    the scheduler's work (app/services/dispatch/timed.py). `decision` keeps the engine's candidates and
    reasons, for the timeline. Statuses: app/dispatch/crewflow.py (OfferStatus).
    """

    __tablename__ = "offers"
    __table_args__ = (
        Index("ix_offers_pending_expiry", "status", "expires_at"),
        Index("ix_offers_incident", "incident_id"),
        Index("ix_offers_crew_status", "crew_id", "status"),
        Index("uq_offers_active_crew", "crew_id", unique=True, postgresql_where=ACTIVE, sqlite_where=ACTIVE),
        Index(
            "uq_offers_active_incident",
            "incident_id",
            unique=True,
            postgresql_where=ACTIVE,
            sqlite_where=ACTIVE,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    crew_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crews.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempt: Mapped[int]
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    # When the crew's phone says it answered (it may send later, from where there was no signal).
    answered_at_client: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(200))
    # "engine", "handover", or the username of whoever dispatched by hand.
    source: Mapped[str] = mapped_column(String(64), default="engine")
    decision: Mapped[dict[str, Any]] = mapped_column(default=dict)
    released_at: Mapped[datetime | None]
    # app/dispatch/crewflow.py: ReleaseReason
    release_reason: Mapped[str | None] = mapped_column(String(16))
