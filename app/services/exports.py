"""Exports of the incident list: every page of the list with the same filters, read page by page, each page
in a short session of its own (a slow download holds no connection and no transaction)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import NotFound
from app.reference import regions
from app.reporting import tables
from app.reporting.files import Cell
from app.services import incidents
from app.services.access import TRIAGE, Principal, require
from app.services.incidents import IncidentFilters

PAGE = 1000


def check(principal: Principal, filters: IncidentFilters) -> None:
    """Refused before the first byte: a region outside reach (404), a role that may not export (403)."""
    if filters.region and not (
        principal.sees_region(filters.region) or regions.within(principal.region_code, filters.region)
    ):
        raise NotFound(f"region {filters.region} is outside your region")
    require(principal, TRIAGE, "export incidents")


async def incident_rows(
    maker: async_sessionmaker[AsyncSession], principal: Principal, filters: IncidentFilters, order: str
) -> AsyncIterator[Sequence[Cell]]:
    cursor: str | None = None
    while True:
        async with maker() as session:
            page, cursor = await incidents.list_incidents(
                session, principal, filters, order=order, cursor=cursor, limit=PAGE
            )
            items = [incidents.list_item(i) for i in page]
        for item in items:
            yield tables.incident_cells(item)
        if cursor is None:
            return
