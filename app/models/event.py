from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, utcnow


class Event(Base):
    """The append-only log every change is written to, in the change's own transaction.

    `seq` is the order readers see, and it must equal the order in which events become visible, or a reader
    tailing `seq > last` could see 101 before 100 and skip 100 for ever. So `seq` is taken from the single
    row of `event_counter` at COMMIT: on PostgreSQL by a deferred constraint trigger (migration 0001), which
    holds the counter's lock only for the commit itself; on SQLite, whose writers are serialised anyway, by
    `app.db.commit()`. `id` is only the row's identity.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_incident_seq", "incident_id", "seq"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    type: Mapped[str] = mapped_column(String(48))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incidents.id"))
    # The crew an event concerns (offers, crew status); the crews table comes with dispatch.
    crew_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    region_code: Mapped[str | None] = mapped_column(String(13), index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EventCounter(Base):
    __tablename__ = "event_counter"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)
