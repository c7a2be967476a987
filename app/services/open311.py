"""Open311 GeoReport v2 for citizen apps: the PPKS categories the team takes from the public as services,
requests created with an app's API key, and requests read back with an open/closed status.

What is public stays coarse (UU PDP): a request shows its category, status, times and kelurahan, never the
description, the coordinates, the reporter or the subject. A request id is the report's tracking code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.lifecycle import Status
from app.models import Incident, Report
from app.models.base import utcnow
from app.reference import regions
from app.reference.categories import CATEGORIES, Category
from app.services.public_status import _PUBLIC

CLOSED = frozenset({Status.resolved, Status.closed, Status.cancelled, Status.rejected})
NOTES = {
    "received": "Laporan diterima, menunggu verifikasi petugas",
    "in_progress": "Sedang ditangani Tim Reaksi Cepat",
    "resolved": "Sudah ditangani",
    "closed": "Selesai",
    "rejected": "Tidak dapat ditindaklanjuti",
}
DEFAULT_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def services() -> list[Category]:
    return [c for c in CATEGORIES.values() if c.public]


def service_dict(c: Category) -> dict[str, object]:
    return {
        "service_code": c.code,
        "service_name": c.name_id,
        "description": f"{c.name_id} ({c.name_en})",
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(filter(None, [c.code.lower(), c.parent and c.parent.lower()])),
        "group": CATEGORIES[c.parent].name_id if c.parent else "PPKS",
    }


@dataclass(frozen=True, slots=True)
class Query:
    ids: tuple[str, ...] = ()
    service_code: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None
    jurisdiction: str | None = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def request_dict(report: Report, incident: Incident) -> dict[str, object]:
    status = Status(incident.status)
    public = _PUBLIC[status]
    village = regions.get_region(report.region_code)
    regency = regions.get_region(".".join(report.region_code.split(".")[:2]))
    category = CATEGORIES.get(incident.category)
    return {
        "service_request_id": report.tracking_code,
        "status": "closed" if status in CLOSED else "open",
        "status_notes": NOTES[public],
        "service_name": category.name_id if category else incident.category,
        "service_code": incident.category,
        "description": None,
        "agency_responsible": f"Dinas Sosial {regency.name}" if regency else "Dinas Sosial",
        "service_notice": None,
        "requested_datetime": _iso(report.received_at),
        "updated_datetime": _iso(incident.updated_at),
        "expected_datetime": None,
        "address": village.path if village and regions.is_village(report.region_code) else None,
        "address_id": None,
        "zipcode": village.postal_code if village else None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


async def find(session: AsyncSession, query: Query) -> Sequence[tuple[Report, Incident]]:
    q = (
        select(Report, Incident)
        .join(Incident, Incident.id == Report.incident_id)
        .where(Report.tracking_code.is_not(None), Report.channel == "public_app")
        .order_by(Report.received_at.desc())
        .limit(MAX_REQUESTS)
    )
    if query.ids:
        q = q.where(Report.tracking_code.in_(query.ids))
    else:
        end = query.end or utcnow()
        start = query.start or end - DEFAULT_WINDOW
        q = q.where(Report.received_at >= start, Report.received_at < end)
    if query.service_code:
        q = q.where(Incident.category == query.service_code)
    if query.status == "closed":
        q = q.where(Incident.status.in_([s.value for s in CLOSED]))
    elif query.status == "open":
        q = q.where(Incident.status.not_in([s.value for s in CLOSED]))
    if query.jurisdiction:
        q = q.where(
            (Report.region_code == query.jurisdiction)
            | Report.region_code.startswith(query.jurisdiction + ".")
        )
    return [(r, i) for r, i in (await session.execute(q)).all()]
