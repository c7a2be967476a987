"""Partner agencies, the rules that refer incidents to them, and the referrals themselves."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow


class Agency(Base):
    """A partner that acts with the team: a police station, BPBD, a psychiatric hospital, a village office."""

    __tablename__ = "agencies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(160))
    # police, bpbd, rsj, hospital, puskesmas, satpol_pp, dukcapil, village, ngo, dinas_sosial, other
    kind: Mapped[str] = mapped_column(String(16), index=True)
    # The area it serves: a Polsek its kecamatan, a Polres its kab/kota.
    region_code: Mapped[str] = mapped_column(String(13), index=True)
    # [{"name", "role", "phone", "email"}]: who to call, and who is told when a webhook endpoint fails.
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoutingRule(Base):
    """When an incident in `region_code` of `category` (or a sub-type of it) with all of `flags` is verified,
    refer it to `agency_id`, or to the most local active agency of `agency_kind` whose area holds it."""

    __tablename__ = "routing_rules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(160))
    region_code: Mapped[str] = mapped_column(String(13), index=True)
    category: Mapped[str] = mapped_column(String(16))
    flags: Mapped[list[str]] = mapped_column(default=list)
    agency_kind: Mapped[str | None] = mapped_column(String(16))
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    # The agency's "completed" answer (with an outcome) resolves the incident (the RSJ admits the patient).
    completes_incident: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Referral(Base):
    """An incident handed to an agency: pending, then acknowledged, accepted or declined, then completed
    (or cancelled by the team). One per incident and agency; referring again reopens it."""

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("incident_id", "agency_id", name="uq_referrals_incident_agency"),
        Index("ix_referrals_agency_status", "agency_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # Why it was referred: the rule's name, or the note of whoever referred it by hand.
    reason: Mapped[str] = mapped_column(String(300))
    rule_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("routing_rules.id"))
    completes_incident: Mapped[bool] = mapped_column(default=False)
    referred_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # The agency's last answer: its note, the reason it declined, the outcome it reports.
    answer_note: Mapped[str | None] = mapped_column(Text)
    decline_reason: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str | None] = mapped_column(String(32))
