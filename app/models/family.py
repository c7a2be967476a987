"""Family tracing and return: the contacts tried for a person, the handovers to a family (each with its
receipt), and repatriations to the Dinas Sosial of another kab/kota or province."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow

REPATRIATION_OPEN = text("status IN ('requested', 'accepted')")


class TracingContact(Base):
    """One attempt to reach a person's family: who was tried, how, when, what came of it, by whom. Hangs
    off the person, or off an incident's subject (and his person once linked)."""

    __tablename__ = "tracing_contacts"
    __table_args__ = (Index("ix_tracing_contacts_person", "person_id", "contacted_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incident_subjects.id"))
    # The kab/kota whose staff reach it (the person's, or the incident's).
    region_code: Mapped[str] = mapped_column(String(13), index=True)
    contact_name: Mapped[str] = mapped_column(String(120))
    relation: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    address: Mapped[str | None] = mapped_column(String(500))
    contact_region_code: Mapped[str | None] = mapped_column(String(13))
    method: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    contacted_at: Mapped[datetime]
    by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Handover(Base):
    """A subject handed over (serah terima) to his family, or to the receiving Dinas Sosial at the end of a
    repatriation: the receiver, the officer, and the receipt number printed on the Berita Acara."""

    __tablename__ = "handovers"
    __table_args__ = (Index("uq_handovers_receipt", "receipt_number", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident_subjects.id"), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    repatriation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repatriations.id"))
    receipt_number: Mapped[str] = mapped_column(String(40))
    receiver_name: Mapped[str] = mapped_column(String(120))
    receiver_relation: Mapped[str] = mapped_column(String(16))
    receiver_nik: Mapped[str | None] = mapped_column(String(16))
    receiver_phone: Mapped[str | None] = mapped_column(String(20))
    receiver_address: Mapped[str] = mapped_column(String(500))
    receiver_region_code: Mapped[str | None] = mapped_column(String(13))
    handed_over_at: Mapped[datetime]
    officer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    officer_name: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Repatriation(Base):
    """A subject returned to his home region: its Dinas Sosial is asked through a referral (its answer,
    its own or recorded on its behalf, moves this row), and his arrival there is a handover. At most one
    under way per subject (a partial unique index)."""

    __tablename__ = "repatriations"
    __table_args__ = (
        Index(
            "uq_repatriations_subject_open",
            "subject_id",
            unique=True,
            postgresql_where=REPATRIATION_OPEN,
            sqlite_where=REPATRIATION_OPEN,
        ),
        Index("ix_repatriations_referral", "referral_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident_subjects.id"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    destination_region_code: Mapped[str] = mapped_column(String(13))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"))
    # app/family/vocab.py: RepatriationStatus
    status: Mapped[str] = mapped_column(String(16), default="requested")
    reason: Mapped[str | None] = mapped_column(String(500))
    answer_note: Mapped[str | None] = mapped_column(String(500))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
