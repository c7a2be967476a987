"""What a webhook carries: the event, the incident as an agency needs it (what, where, how urgent), the
referral, and only the personal data the endpoint is allowed. Free text written by staff (notes, the reason
of a status change) never leaves: it may name people."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from app.models import Agency, Incident, Referral, Report, WebhookEndpoint
from app.reference import regions

# Keys of an event's data that may leave, by event family.
_REFERRAL_KEYS = ("status", "before", "reason", "note", "outcome")
_INCIDENT_KEYS = ("before", "after", "outcome", "into", "reports")
# A placement or an outcome names the subject by his number in the incident, never by name or person id;
# the free text of a transfer's reason or a discharge's destination stays home.
_PERSON_KEYS = (
    "subject_id",
    "ordinal",
    "placement_id",
    "facility_id",
    "facility",
    "unit_id",
    "unit",
    "from_placement_id",
    "from_facility",
    "from_unit",
    "reason_label",
    "destination_region_code",
    "outcome",
    "label",
    "before",
)


def _keys(type_: str) -> tuple[str, ...]:
    if type_.startswith("referral."):
        return _REFERRAL_KEYS
    if type_.startswith(("placement.", "subject.")):
        return _PERSON_KEYS
    return _INCIDENT_KEYS


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def incident_part(incident: Incident) -> dict[str, Any]:
    region = regions.get_region(incident.region_code)
    return {
        "id": str(incident.id),
        "status": incident.status,
        "category": incident.category,
        "priority": incident.priority,
        "region_code": incident.region_code,
        "region_name": region.name if region else None,
        "lat": incident.lat,
        "lon": incident.lon,
        "address": incident.address,
        "landmark": incident.landmark,
        "subject_count": incident.subject_count,
        "subject_flags": incident.subject_flags,
        "subject_age": incident.subject_age,
        "first_received_at": _iso(incident.first_received_at),
        "verified_at": _iso(incident.verified_at),
    }


def personal_part(allowed: list[str], reports: list[Report]) -> tuple[dict[str, str], list[Report]]:
    """The allowed personal fields (the earliest report that gives each), and the reports they came from."""
    found: dict[str, str] = {}
    sources: list[Report] = []
    for field in allowed:
        for report in reports:
            value = getattr(report, field)
            if value:
                found[field] = value
                if report not in sources:
                    sources.append(report)
                break
    return found, sources


def build(
    event: dict[str, Any],
    endpoint: WebhookEndpoint,
    agency: Agency,
    incident: Incident | None,
    referral: Referral | None,
    personal: dict[str, str],
) -> str:
    data: dict[str, Any] = {"event_seq": event["seq"], "agency_id": str(agency.id)}
    change = {k: event["data"][k] for k in _keys(event["type"]) if k in event["data"]}
    if change:
        data["change"] = change
    if incident is not None:
        data["incident"] = incident_part(incident)
    if referral is not None:
        data["referral"] = {
            "id": str(referral.id),
            "status": referral.status,
            "reason": referral.reason,
            "created_at": _iso(referral.created_at),
        }
    if personal:
        data["personal_data"] = personal
    return json.dumps(
        {"type": event["type"], "timestamp": _iso(event["occurred_at"]), "data": data},
        separators=(",", ":"),
        default=str,
    )
