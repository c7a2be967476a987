"""Length-of-stay alerts: a placement past its facility's limit (a rumah singgah after 7 days) raises one
`placement.stay_exceeded` event on the incident's timeline, exactly once per stay.

Run by the scheduler on every worker: each due placement is claimed with FOR UPDATE SKIP LOCKED and
stamped (`stay_alerted_at`) in the same transaction as its event, so two workers never raise it twice and a
crash between them raises it again later rather than never."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.facilities.kinds import FACILITY_LABELS, FacilityKind, PlacementStatus
from app.models import Facility, FacilityUnit, Incident, IncidentSubject, Placement
from app.services import events

BATCH = 200


async def alert_overdue(maker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    async with unit_of_work(maker) as session:
        due = (
            await session.scalars(
                select(Placement)
                .where(
                    Placement.status == PlacementStatus.active,
                    Placement.stay_alerted_at.is_(None),
                    Placement.stay_due_at <= now,
                )
                .order_by(Placement.stay_due_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for placement in due:
            placement.stay_alerted_at = now
            incident = await session.get_one(Incident, placement.incident_id)
            facility = await session.get_one(Facility, placement.facility_id)
            unit = await session.get_one(FacilityUnit, placement.unit_id)
            ordinal = await session.scalar(
                select(IncidentSubject.ordinal).where(IncidentSubject.id == placement.subject_id)
            )
            days = (now - placement.admitted_at).days
            limit = (placement.stay_due_at - placement.admitted_at).days if placement.stay_due_at else 0
            kind = FACILITY_LABELS[FacilityKind(facility.kind)]
            events.record(
                session,
                "placement.stay_exceeded",
                actor=events.SYSTEM,
                incident_id=incident.id,
                region_code=incident.region_code,
                data={
                    "placement_id": str(placement.id),
                    "subject_id": str(placement.subject_id),
                    "ordinal": ordinal,
                    "person_id": str(placement.person_id) if placement.person_id else None,
                    "facility_id": str(facility.id),
                    "facility": facility.name,
                    "unit": unit.name,
                    "admitted_at": placement.admitted_at.isoformat(),
                    "days": days,
                    "limit_days": limit,
                    "message": (
                        f"subjek {ordinal} sudah {days} hari di {facility.name} ({kind}), "
                        f"melewati batas {limit} hari"
                    ),
                },
            )
        return len(due)
