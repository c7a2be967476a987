from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class DispatchRegion(Base):
    """One row per kab/kota that dispatches: the lock that every change to its crews, offers and waiting
    incidents takes first (one lock order, so two such changes never deadlock), and when its next dispatch
    round is due (app/services/dispatch/rounds.py)."""

    __tablename__ = "dispatch_regions"

    region_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    last_round_at: Mapped[datetime | None]
