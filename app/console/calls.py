"""Taking a call: the form's fields turned into the API's ReportCreate (so the same validation applies), and
what the form shows again after an error."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import ValidationError

from app.console import labels
from app.console.session import ConsoleSession
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.schemas.reports import ReportCreate

_CODE_AT_END = re.compile(r"\((\d{2}\.\d{2}\.\d{2}(?:\.\d{4})?)\)\s*$")
_COORDS = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
# Form field → the report's field (what an error message names).
FIELDS = {
    "location.region_code": "place",
    "location.lat": "coords",
    "location.lon": "coords",
    "location": "coords",
    "location.landmark": "landmark",
    "category": "category",
    "description": "description",
    "reporter.name": "reporter_name",
    "reporter.phone": "reporter_phone",
    "reporter": "reporter_name",
    "subject.name": "subject_name",
    "subject.approx_age": "approx_age",
    "subject.count": "count",
    "incident_id": "description",
}


class FormError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True, slots=True)
class Place:
    region_code: str | None
    lat: float | None
    lon: float | None


@cache
def places(kabkota: str) -> tuple[tuple[str, str], ...]:
    """(label, code) of every kecamatan and kelurahan/desa of a kab/kota, for the type-ahead."""
    out: list[tuple[str, str]] = []
    for kec in regions.children(kabkota):
        out.append((f"Kec. {kec.name} ({kec.code})", kec.code))
        out.extend(
            (f"{kel.name}, Kec. {kec.name} ({kel.code})", kel.code) for kel in regions.children(kec.code)
        )
    return tuple(out)


def parse_place(sess: ConsoleSession, form: dict[str, str]) -> Place:
    raw = form.get("place", "").strip()
    code: str | None = None
    if raw:
        m = _CODE_AT_END.search(raw)
        candidate = m.group(1) if m else raw
        if regions.exists(candidate):
            code = candidate
        else:
            # A name typed without choosing from the list: the first kecamatan or kelurahan that matches.
            kabkota = ".".join(sess.principal.region_code.split(".")[:2])
            wanted = raw.lower()
            code = next((c for label, c in places(kabkota) if label.lower().startswith(wanted)), None)
            if code is None:
                raise FormError("place", "Kelurahan/kecamatan tidak dikenal; pilih dari daftar.")
    lat = lon = None
    coords = form.get("coords", "").strip()
    if coords:
        m = _COORDS.match(coords)
        if not m:
            raise FormError("coords", "Koordinat ditulis lintang, bujur (mis. 1.143, 104.011).")
        lat, lon = float(m.group(1)), float(m.group(2))
    return Place(code, lat, lon)


def report_from_form(sess: ConsoleSession, form: dict[str, str]) -> ReportCreate:
    place = parse_place(sess, form)
    if place.region_code is None and place.lat is None and not form.get("landmark", "").strip():
        raise FormError("place", "Isi tempat: kelurahan/kecamatan, patokan, atau koordinat.")
    flags = [f for f in labels.FLAGS if form.get(f"flag_{f}")]
    anonymous = bool(form.get("anonymous"))
    body: dict[str, Any] = {
        "channel": "call_center",
        "location": {
            "region_code": place.region_code,
            "lat": place.lat,
            "lon": place.lon,
            "landmark": form.get("landmark", "").strip() or None,
        },
        "category": form.get("category") or "unknown",
        "description": form.get("description", "").strip(),
        "reporter": {
            "name": None if anonymous else (form.get("reporter_name", "").strip() or None),
            "phone": None if anonymous else (form.get("reporter_phone", "").strip() or None),
            "anonymous": anonymous,
        },
        "subject": {
            "flags": flags,
            "sex": form.get("sex") or "unknown",
            "approx_age": int(form["approx_age"]) if form.get("approx_age", "").isdigit() else None,
            "count": int(form["count"]) if form.get("count", "").isdigit() else 1,
            "name": form.get("subject_name", "").strip() or None,
        },
    }
    target = form.get("incident_id", "").strip()
    if target:
        try:
            body["incident_id"] = str(uuid.UUID(target))
        except ValueError:
            raise FormError("description", "Insiden yang dipilih tidak dikenal.") from None
    return ReportCreate.model_validate(body)


def errors_of(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"])
        field = FIELDS.get(loc, FIELDS.get(loc.split(".")[0], "description"))
        if field == "description" and loc == "description":
            out[field] = "Tulis apa yang dilaporkan penelepon."
        else:
            out.setdefault(field, e["msg"])
    return out


def form_context(sess: ConsoleSession, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    kabkota = ".".join(sess.principal.region_code.split(".")[:2])
    return {
        "form": form,
        "errors": errors,
        "places": places(kabkota) if kabkota.count(".") == 1 else (),
        "categories": sorted(CATEGORIES.values(), key=lambda c: (c.code == "unknown", c.name_id)),
    }
