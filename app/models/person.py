"""Persons (klien): one record per human across reports and incidents; the subjects of an incident and
their links to persons (confirmed matches), rejected proposals, and merges of two records of one person.

A subject is one human of an incident (a raid with six children has six): what the reports said of him,
and later his own path (assessment, placement, outcome hang off the subject). A link says "this subject is
that person"; it is never deleted: unlinking stamps it, so the history stays and can be read back."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, PrimaryKeyConstraint, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow

NOT_MERGED = text("merged_into_id IS NULL AND nik IS NOT NULL")
LINK_ACTIVE = text("unlinked_at IS NULL")


class Person(Base):
    __tablename__ = "persons"
    __table_args__ = (
        Index("ix_persons_nik", "nik"),
        Index("ix_persons_kk", "kk"),
        # One live record per NIK in each kab/kota (another region may hold its own until repatriation).
        Index(
            "uq_persons_region_nik",
            "region_code",
            "nik",
            unique=True,
            postgresql_where=NOT_MERGED,
            sqlite_where=NOT_MERGED,
        ),
        Index("ix_persons_last_seen", "last_seen_region_code", "last_seen_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # The kab/kota whose Dinas Sosial holds the record (its reach).
    region_code: Mapped[str] = mapped_column(String(13), index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    aliases: Mapped[list[str]] = mapped_column(default=list)
    # Known birth date (precision "day", "month" or "year"), or only a range of birth years (approximate).
    birth_date: Mapped[date | None]
    birth_precision: Mapped[str | None] = mapped_column(String(8))
    birth_year_min: Mapped[int | None]
    birth_year_max: Mapped[int | None]
    sex: Mapped[str] = mapped_column(String(8), default="unknown")
    nik: Mapped[str | None] = mapped_column(String(16))
    kk: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    home_region_code: Mapped[str | None] = mapped_column(String(13))
    # [{"name", "relation", "phone", "note"}]
    family_contacts: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    vulnerabilities: Mapped[list[str]] = mapped_column(default=list)
    # Where and when he was last a subject (matching weighs the place).
    last_seen_region_code: Mapped[str | None] = mapped_column(String(13))
    last_seen_lat: Mapped[float | None] = mapped_column(Float)
    last_seen_lon: Mapped[float | None] = mapped_column(Float)
    last_seen_at: Mapped[datetime | None]
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Retention (app/persons/retention.py): when the scheduler looks at the record next, and when its
    # identity was removed (the row stays, anonymous, for the statistics).
    retention_review_at: Mapped[datetime | None] = mapped_column(index=True)
    anonymised_at: Mapped[datetime | None]


class PersonCorrection(Base):
    """A correction of a person record: the fields' values before and after, who, when and why. Kept apart
    from the audit trail and the event log (both append-only, the event log streamed): the values are
    personal data, shown in the subject-access export and removed with the identity at anonymisation."""

    __tablename__ = "person_corrections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    # {"field": {"before": ..., "after": ...}}
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(String(500))
    corrected_at: Mapped[datetime] = mapped_column(default=utcnow)
    corrected_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class PersonKey(Base):
    """Blocking keys of a person's names (app/persons/names.py: keys), for the indexed candidate search,
    with the person's sex and birth years copied beside each key: the search ranks the persons sharing a
    key by how well these fit the report, reading the index alone (never a person row it then drops)."""

    __tablename__ = "person_keys"
    __table_args__ = (
        PrimaryKeyConstraint("key", "region_code", "person_id", name="pk_person_keys"),
        Index("ix_person_keys_person_id", "person_id"),
        Index(
            "ix_person_keys_match",
            "key",
            "region_code",
            postgresql_include=["person_id", "sex", "birth_year_min", "birth_year_max"],
        ),
    )

    key: Mapped[str] = mapped_column(String(40))
    # The person's kab/kota: the search stays within the caller's reach without reading persons.
    region_code: Mapped[str] = mapped_column(String(13))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    # Copies of the person's (records.set_keys writes them again whenever they change).
    sex: Mapped[str | None] = mapped_column(String(8))
    birth_year_min: Mapped[int | None]
    birth_year_max: Mapped[int | None]


class IncidentSubject(Base):
    """One human of an incident, numbered 1..n; assessments, placements and outcomes will hang off it."""

    __tablename__ = "incident_subjects"
    __table_args__ = (UniqueConstraint("incident_id", "ordinal", name="uq_incident_subjects_ordinal"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    ordinal: Mapped[int]
    # app/persons/status.py: SubjectStatus
    status: Mapped[str] = mapped_column(String(16), default="open")
    # The person he is (the active link's), None until confirmed or created.
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    # What the reports said of him.
    name: Mapped[str | None] = mapped_column(String(120))
    aliases: Mapped[list[str]] = mapped_column(default=list)
    sex: Mapped[str] = mapped_column(String(8), default="unknown")
    approx_age: Mapped[int | None]
    nik: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # How his path ended (app/persons/status.py: SubjectOutcome); the incident is tuntas when all have one.
    outcome: Mapped[str | None] = mapped_column(String(24))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime | None]
    outcome_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class PersonLink(Base):
    """ "Subject s of incident i is person p", from a confirmed proposal or a person created for him. An
    unlinked row stays (unlinked_at); at most one active link per subject, and a person is at most one
    subject of an incident: both enforced by the database."""

    __tablename__ = "person_links"
    __table_args__ = (
        Index(
            "uq_person_links_subject",
            "subject_id",
            unique=True,
            postgresql_where=LINK_ACTIVE,
            sqlite_where=LINK_ACTIVE,
        ),
        Index(
            "uq_person_links_incident_person",
            "incident_id",
            "person_id",
            unique=True,
            postgresql_where=LINK_ACTIVE,
            sqlite_where=LINK_ACTIVE,
        ),
        Index("ix_person_links_person_id", "person_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident_subjects.id"))
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    # confirmed (a proposal) or created (a new person for the subject)
    how: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    linked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    unlinked_at: Mapped[datetime | None]
    unlinked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    unlink_reason: Mapped[str | None] = mapped_column(String(500))


class MatchRejection(Base):
    """An operator said this subject is not that person: the proposal is not made again."""

    __tablename__ = "match_rejections"
    __table_args__ = (UniqueConstraint("subject_id", "person_id", name="uq_match_rejections_pair"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident_subjects.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(500))
    rejected_at: Mapped[datetime] = mapped_column(default=utcnow)
    rejected_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class MatchProposal(Base):
    """A likely existing person for what a report said of its subject, proposed when the report arrived
    (app/services/persons/proposals.py): the score and its reasons at that moment. The operator's answer is
    the subject's link or rejection; this row only remembers what was proposed."""

    __tablename__ = "match_proposals"
    __table_args__ = (UniqueConstraint("report_id", "person_id", name="uq_match_proposals_pair"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id"), index=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    strength: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(default=list)
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonMerge(Base):
    """Two records of one person made one: `absorbed` points to `kept`, its links moved (their ids kept
    here) and the fields `kept` took from it (`copied`), so that a split restores both."""

    __tablename__ = "person_merges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kept_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    absorbed_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    moved_link_ids: Mapped[list[str]] = mapped_column(default=list)
    copied: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str | None] = mapped_column(String(500))
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    merged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    split_at: Mapped[datetime | None]
    split_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
