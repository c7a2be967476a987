"""Facilities (rumah singgah, Liposos, UPT/balai, panti, RSJ, hospital), their units (wards, rooms) and the
placements of incident subjects in them.

No bed is double-booked: a unit's `occupied` counts its active placements, a check constraint keeps it
between 0 and `capacity`, and every admission, transfer and discharge changes it under the unit's row lock
(app/services/facilities/placements.py). One active placement per subject and per person: partial unique
indexes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow

ACTIVE = text("status = 'active'")
ACTIVE_PERSON = text("status = 'active' AND person_id IS NOT NULL")
STAY_WATCH = text("status = 'active' AND stay_alerted_at IS NULL")


class Facility(Base):
    __tablename__ = "facilities"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(160))
    # app/facilities/kinds.py: FacilityKind
    kind: Mapped[str] = mapped_column(String(16))
    # Where it is (a kab/kota or below); its Dinas Sosial's staff manage it.
    region_code: Mapped[str] = mapped_column(String(13), index=True)
    # Run by a partner agency (an RSJ, a provincial UPT): an admission refers the incident to it.
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # The separation rules that apply (app/facilities/rules.py: Rule).
    rules: Mapped[list[str]] = mapped_column(default=list)
    # Days before the length-of-stay alert; None: the kind's (app/facilities/kinds.py), 0: no alert.
    stay_limit_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class FacilityUnit(Base):
    __tablename__ = "facility_units"
    __table_args__ = (
        UniqueConstraint("facility_id", "name", name="uq_facility_units_name"),
        CheckConstraint("occupied >= 0 AND occupied <= capacity", name="occupancy"),
        CheckConstraint("capacity >= 0", name="capacity"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # app/facilities/kinds.py: UnitSex, UnitGroup
    sex: Mapped[str] = mapped_column(String(8))
    group: Mapped[str] = mapped_column(String(16))
    capacity: Mapped[int]
    occupied: Mapped[int] = mapped_column(default=0)
    # The unit's house rules, as the facility writes them (visiting hours, what may be brought in).
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Placement(Base):
    """A subject's stay in a unit: admitted, then transferred (a new placement follows) or discharged."""

    __tablename__ = "placements"
    __table_args__ = (
        Index(
            "uq_placements_active_subject",
            "subject_id",
            unique=True,
            postgresql_where=ACTIVE,
            sqlite_where=ACTIVE,
        ),
        Index(
            "uq_placements_active_person",
            "person_id",
            unique=True,
            postgresql_where=ACTIVE_PERSON,
            sqlite_where=ACTIVE_PERSON,
        ),
        Index("ix_placements_unit_status", "unit_id", "status"),
        Index("ix_placements_stay_due", "stay_due_at", postgresql_where=STAY_WATCH, sqlite_where=STAY_WATCH),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident_subjects.id"), index=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    # The subject's person when he was admitted (a link made later is followed through the subject).
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facility_units.id"))
    # app/facilities/kinds.py: PlacementStatus
    status: Mapped[str] = mapped_column(String(16), default="active")
    admitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    admitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    transferred_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("placements.id"))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"))
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # app/facilities/kinds.py: DischargeReason (a transfer: None)
    discharge_reason: Mapped[str | None] = mapped_column(String(16))
    destination: Mapped[str | None] = mapped_column(String(300))
    destination_region_code: Mapped[str | None] = mapped_column(String(13))
    end_note: Mapped[str | None] = mapped_column(Text)
    # When the length-of-stay alert is due (None: the facility has no limit), and when it was raised.
    stay_due_at: Mapped[datetime | None]
    stay_alerted_at: Mapped[datetime | None]


class Assessment(Base):
    """One version of a subject's assessment (asesmen): versions 1..n per subject, each a whole form; the
    newest is the current one, the others stay (who assessed what, when, where)."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("subject_id", "version", name="uq_assessments_version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident_subjects.id"))
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    version: Mapped[int]
    # app/facilities/assessment.py: Place, AssessorRole
    place: Mapped[str] = mapped_column(String(16))
    assessor_name: Mapped[str] = mapped_column(String(120))
    assessor_role: Mapped[str] = mapped_column(String(16))
    assessed_at: Mapped[datetime]
    # The form (app/schemas/facilities.py: AssessmentForm), health data: specific personal data (UU PDP).
    form: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
