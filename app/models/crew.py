"""Teams, their people and vehicles, and crews: one crew (regu) is formed for one shift."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow


class Team(Base):
    """A Dinas Sosial's rapid-response team (TRC) for one kab/kota; its time zone follows the region."""

    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    region_code: Mapped[str] = mapped_column(String(13), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # 4CT targets laid over the defaults: {"1": {"temu": 20, ...}, ...} in minutes (app/dispatch/fourct.py).
    four_ct_targets: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # The shift template its rosters use by default (app/dispatch/shifts.py: TEMPLATES).
    shift_template: Mapped[str] = mapped_column(String(8), default="3x8", server_default="3x8")


class Personnel(Base):
    """A TRC staff member, or BKO personnel seconded from another unit for a period."""

    __tablename__ = "personnel"
    __table_args__ = (CheckConstraint("kind IN ('trc', 'bko')", name="kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(8))
    home_unit: Mapped[str | None] = mapped_column(String(120))
    seconded_from: Mapped[date | None]
    seconded_until: Mapped[date | None]
    skills: Mapped[list[str]] = mapped_column(default=list)
    phone: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class Vehicle(Base):
    __tablename__ = "vehicles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    plate: Mapped[str | None] = mapped_column(String(16))
    seats: Mapped[int]
    # e.g. secure_transport (fit to carry an agitated person safely), stretcher
    capabilities: Mapped[list[str]] = mapped_column(default=list)
    in_service: Mapped[bool] = mapped_column(default=True)
    out_of_service_reason: Mapped[str | None] = mapped_column(String(200))


class Crew(Base):
    """A regu on one shift: its people, its vehicle, where it works, and where it is now."""

    __tablename__ = "crews"
    __table_args__ = (
        CheckConstraint("shift_ends_at > shift_starts_at", name="shift_order"),
        Index("ix_crews_shift", "shift_starts_at", "shift_ends_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    shift_starts_at: Mapped[datetime]
    shift_ends_at: Mapped[datetime]
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vehicles.id"))
    # Region code prefixes the crew answers for.
    coverage: Mapped[list[str]] = mapped_column(default=list)
    # app/dispatch/crewflow.py: CrewStatus
    status: Mapped[str] = mapped_column(String(16), default="available")
    status_reason: Mapped[str | None] = mapped_column(String(200))
    status_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the scheduler saw its shift start (and ran a round for its region).
    on_duty_at: Mapped[datetime | None]


class CrewMember(Base):
    __tablename__ = "crew_members"

    crew_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crews.id"), primary_key=True)
    personnel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("personnel.id"), primary_key=True, index=True)


class CrewPosition(Base):
    """Location history (kept for the duration of the crew's incidents; the last one is also on the crew)."""

    __tablename__ = "crew_positions"
    __table_args__ = (Index("ix_crew_positions_crew_at", "crew_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    crew_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crews.id"))
    at: Mapped[datetime]
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
