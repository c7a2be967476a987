from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, utcnow


class Event(Base):
    """The append-only log every change is written to, in the change's own transaction.

    `seq` is the order readers see, and it must equal the order in which events become visible, or a reader
    tailing `seq > last` could see 101 before 100 and skip 100 for ever. On PostgreSQL an event is written
    with no `seq`; right after the commit, the writing process numbers every committed event that has none
    (`app.services.events.number`, one short transaction whose counter-row lock orders the numbering passes
    of all processes). Writers never wait for one another; only the numbering passes are serialised, and
    each numbers a whole batch. On SQLite, whose writers are serialised anyway, `app.db.commit()` numbers
    the events in the writing transaction. `id` is the row's identity and the order within a transaction.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_incident_seq", "incident_id", "seq"),
        # What the numbering pass looks for: small, since events are numbered right after their commit.
        Index(
            "ix_events_unnumbered",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    type: Mapped[str] = mapped_column(String(48))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incidents.id"))
    # The crew an event concerns (offers, crew status); the crews table comes with dispatch.
    # Not indexed: no query selects events by crew or region (the streams filter what they tail), and every
    # index is written twice per event (insert, numbering).
    crew_id: Mapped[uuid.UUID | None] = mapped_column()
    region_code: Mapped[str | None] = mapped_column(String(13))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The id of the HTTP request that recorded it (X-Request-ID; app/logs.py), to find its log lines; None for
    # what the scheduler or a dispatch round did on its own. Not indexed: looked up rarely, by hand.
    request_id: Mapped[str | None] = mapped_column(String(64))


class EventCounter(Base):
    __tablename__ = "event_counter"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)


class EventArchive(Base):
    """Events moved out of `events` by `tanggap archive events` (app/services/archive.py): those of incidents
    closed, rejected or cancelled before a cut-off, once every reader of the log has passed them. Same
    columns and the same `id` and `seq` as they had in `events`; the timeline reads both tables.

    No foreign keys: an archived row pins nothing and is never locked by a writer of the hot table."""

    __tablename__ = "events_archive"
    __table_args__ = (Index("ix_events_archive_incident_seq", "incident_id", "seq"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    type: Mapped[str] = mapped_column(String(48))
    occurred_at: Mapped[datetime]
    incident_id: Mapped[uuid.UUID | None]
    crew_id: Mapped[uuid.UUID | None]
    region_code: Mapped[str | None] = mapped_column(String(13))
    actor_id: Mapped[uuid.UUID | None]
    actor: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    request_id: Mapped[str | None] = mapped_column(String(64))
