from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, new_id, utcnow

if TYPE_CHECKING:
    from app.models.incident import Incident


class Report(Base):
    """One account of a situation, as it reached the team through one channel. Never edited after intake."""

    __tablename__ = "reports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Personal data of the reporter (UU PDP): masked unless the reader needs it; every read is audited.
    reporter_name: Mapped[str | None] = mapped_column(String(120))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    reporter_anonymous: Mapped[bool] = mapped_column(default=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    region_code: Mapped[str] = mapped_column(String(13))
    address: Mapped[str | None] = mapped_column(String(500))
    landmark: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    subject_count: Mapped[int] = mapped_column(default=1)
    subject_age: Mapped[int | None]
    subject_sex: Mapped[str] = mapped_column(String(8), default="unknown")
    subject_flags: Mapped[list[str]] = mapped_column(default=list)
    # Specific personal data of the subject, when the reporter knows it.
    subject_name: Mapped[str | None] = mapped_column(String(120))
    subject_nik: Mapped[str | None] = mapped_column(String(16))
    external_ref: Mapped[str | None] = mapped_column(String(500))
    tracking_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    # The triage's reading of the description (app/triage/): shown to the operator, never applied over
    # what the reporter or operator chose; only its priority hint may make the incident more urgent.
    suggestion: Mapped[dict[str, Any] | None]

    incident: Mapped[Incident] = relationship(back_populates="reports", lazy="raise")
