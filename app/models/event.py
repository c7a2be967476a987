from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class Event(Base):
    """The append-only log every change is written to, in the change's own transaction.

    `seq` comes from the single row of `event_counter`, taken just before commit: the counter row's lock
    orders committers, so readers that tail `seq > last` never see 101 before 100.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_incident_seq", "incident_id", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(48))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incidents.id"))
    region_code: Mapped[str | None] = mapped_column(String(13), index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EventCounter(Base):
    __tablename__ = "event_counter"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)
