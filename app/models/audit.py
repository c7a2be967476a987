from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, utcnow


class AuditEntry(Base):
    """Who read or changed personal data, when and why. Append-only: nothing updates or deletes it."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID] = mapped_column(index=True)
    fields: Mapped[list[str]] = mapped_column(default=list)
    region_code: Mapped[str] = mapped_column(String(13))
    purpose: Mapped[str] = mapped_column(String(120))
    client_ip: Mapped[str | None] = mapped_column(String(45))
