"""The board's open cases per kecamatan of the caller's kab/kota, with the nearest free crew
(app/dispatch/districts.py does the counting)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch import districts as pure
from app.dispatch.districts import District
from app.dispatch.engine import Point
from app.dispatch.lifecycle import OPEN_STATUSES
from app.models import Incident
from app.reference import regions
from app.schemas.crews import CrewOut
from app.services.access import TRIAGE, Principal, in_region, require

__all__ = ["District", "districts"]


async def districts(
    session: AsyncSession, principal: Principal, crews: Sequence[CrewOut], busy: set[object]
) -> list[District]:
    """`crews`: the crews on duty (the board has them already); `busy`: ids of those holding an offer or
    a case. Empty for a caller without a kab/kota (a national admin: no single map of kecamatan)."""
    require(principal, TRIAGE, "read the dispatch board")
    kabkota = ".".join(principal.region_code.split(".")[:2])
    if kabkota.count(".") != 1:
        return []
    rows = (
        await session.execute(
            select(
                Incident.region_code,
                Incident.priority,
                Incident.first_received_at,
                Incident.lat,
                Incident.lon,
            ).where(
                Incident.status.in_(list(OPEN_STATUSES)),
                in_region(Incident.region_code, principal.region_code),
            )
        )
    ).all()
    cases = [
        pure.OpenCase(code, priority, first, Point(lat, lon) if lat is not None and lon is not None else None)
        for code, priority, first, lat, lon in rows
    ]
    free = [
        pure.FreeCrew(
            c.name,
            Point(c.last_lat, c.last_lon) if c.last_lat is not None and c.last_lon is not None else None,
        )
        for c in crews
        if c.status == "available" and c.id not in busy
    ]
    kecamatan = [(r.code, r.name) for r in regions.children(kabkota)]
    if principal.region_code.count(".") >= 2:
        # An operator of one kecamatan sees his own.
        kecamatan = [(c, n) for c, n in kecamatan if principal.sees_region(c)]
    return pure.summarise(kecamatan, cases, free)
