"""What hangs off a subject follows who he is. When a link, an unlink, a merge or a split changes the person
of a subject, his placements and assessments name the new person (they are the person's history too). A
person is in one place at a time: a change that would give one person two active placements is a 409
(discharge or transfer one of them first), never a second bed."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.facilities.kinds import PlacementStatus
from app.models import Assessment, IncidentSubject, Placement


async def follow(session: AsyncSession, subject_ids: Collection[uuid.UUID]) -> None:
    if not subject_ids:
        return
    ids = list(subject_ids)
    await session.flush()
    rows = await session.execute(
        select(IncidentSubject.id, IncidentSubject.person_id).where(IncidentSubject.id.in_(ids))
    )
    person_of: dict[uuid.UUID, uuid.UUID | None] = {row.id: row.person_id for row in rows}
    active = (
        await session.execute(
            select(Placement.id, Placement.subject_id).where(
                Placement.subject_id.in_(ids), Placement.status == PlacementStatus.active
            )
        )
    ).all()
    holding: dict[uuid.UUID, list[uuid.UUID]] = {}
    for placement_id, subject_id in active:
        if (person := person_of.get(subject_id)) is not None:
            holding.setdefault(person, []).append(placement_id)
    for person, placements in holding.items():
        elsewhere = await session.scalar(
            select(Placement.id).where(
                Placement.person_id == person,
                Placement.status == PlacementStatus.active,
                Placement.subject_id.not_in(ids),
            )
        )
        if len(placements) > 1 or elsewhere is not None:
            raise Conflict(
                f"klien {person} akan punya dua penempatan aktif; pindahkan atau keluarkan salah satunya "
                "dahulu (a person is placed in one place at a time)"
            )
    # One statement per table: each row takes its subject's person.
    for table in (Placement, Assessment):
        whose = (
            select(IncidentSubject.person_id).where(IncidentSubject.id == table.subject_id).scalar_subquery()
        )
        await session.execute(
            update(table).where(table.subject_id.in_(ids)).values(person_id=whose),
            execution_options={"synchronize_session": "fetch"},
        )
