from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, new_id, utcnow

if TYPE_CHECKING:
    from app.models.report import Report

NOT_ANONYMISED = text("anonymised_at IS NULL")
ENDED = text("status IN ('resolved', 'closed', 'rejected', 'cancelled')")


class Incident(Base):
    """One situation in the field (one person or group at one place), fed by one or more reports."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 4", name="priority_range"),
        Index("ix_incidents_status_priority_created", "status", "priority", "created_at"),
        Index("ix_incidents_created_at_id", "created_at", "id"),
        Index("ix_incidents_lat_lon", "lat", "lon"),
        # Retention's claim: cases not yet anonymised, oldest change first.
        Index(
            "ix_incidents_retention",
            "updated_at",
            postgresql_where=NOT_ANONYMISED,
            sqlite_where=NOT_ANONYMISED,
        ),
        # A kab/kota's incidents of a span (statistics, exports, open data): the region prefix (LIKE '21.71.%'
        # needs the pattern operator class under any collation but C) and then the first report's time.
        Index(
            "ix_incidents_region_received",
            "region_code",
            "first_received_at",
            postgresql_ops={"region_code": "varchar_pattern_ops"},
        ),
        # National figures of a span (open data, a month of the country).
        Index("ix_incidents_first_received_at", "first_received_at"),
        # The archive's walk: ended incidents by their last change (app/services/archive.py).
        Index("ix_incidents_ended_updated", "updated_at", "id", postgresql_where=ENDED, sqlite_where=ENDED),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[int]
    # "rules" until someone sets it by hand; rules never override a person's choice.
    priority_source: Mapped[str] = mapped_column(String(8), default="rules")
    priority_reasons: Mapped[list[str]] = mapped_column(default=list)
    region_code: Mapped[str] = mapped_column(String(13), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(500))
    landmark: Mapped[str | None] = mapped_column(String(200))
    subject_count: Mapped[int] = mapped_column(default=1)
    subject_flags: Mapped[list[str]] = mapped_column(default=list)
    # male / female / unknown: the engine prefers a female officer for a woman.
    subject_sex: Mapped[str] = mapped_column(String(8), default="unknown", server_default="unknown")
    # Youngest age any report gave: the age rules (child under 5, ...) use it.
    subject_age: Mapped[int | None]
    report_count: Mapped[int] = mapped_column(default=0)
    first_received_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    # 4CT: temu, tanggap, tindak, tuntas.
    found_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    acted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    # 1, then one more at each reopening; the 4CT stamps above are the first episode's, never rewritten.
    episode: Mapped[int] = mapped_column(default=1, server_default="1")
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incidents.id"))
    # Dispatch: the crew handling it, how many offers were made, and when it was escalated.
    assigned_crew_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("crews.id"), index=True)
    dispatch_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    escalated_at: Mapped[datetime | None]
    # 4CT: stages whose target passed unmet, and when the scheduler must look next (app/dispatch/fourct.py).
    four_ct_breaches: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    four_ct_next_due: Mapped[datetime | None] = mapped_column(index=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Retention of the case's personal data (app/services/persons/case_retention.py): when to look again,
    # and when its reports and notes were anonymised.
    retention_review_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]

    reports: Mapped[list[Report]] = relationship(
        back_populates="incident", lazy="raise", order_by="Report.received_at"
    )


class IncidentNote(Base):
    __tablename__ = "incident_notes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
