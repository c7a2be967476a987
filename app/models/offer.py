from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow


class Offer(Base):
    """An incident offered to a crew: pending until accepted, declined, expired or withdrawn.

    Pending offers with `expires_at` in the past are the scheduler's work (app/services/scheduler.py).
    `decision` keeps the engine's candidates and reasons, for the timeline.
    """

    __tablename__ = "offers"
    __table_args__ = (
        Index("ix_offers_pending_expiry", "status", "expires_at"),
        Index("ix_offers_incident", "incident_id"),
        Index("ix_offers_crew_status", "crew_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    crew_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crews.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempt: Mapped[int]
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(200))
    # "engine", or the username of whoever dispatched by hand.
    source: Mapped[str] = mapped_column(String(64), default="engine")
    decision: Mapped[dict[str, Any]] = mapped_column(default=dict)
