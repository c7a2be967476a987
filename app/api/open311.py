"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2): services, requests, in JSON or XML.

Errors here follow the Open311 format (a list of {code, description}, or <errors> in XML) as citizen apps
expect, not problem+json: the one documented exception in the API."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.api.deps import SessionDep, client_ip
from app.api.public import rate_limited
from app.models import Role
from app.reference import regions
from app.schemas.reports import ReportCreate
from app.services import api_keys, intake, open311
from app.services.open311 import Open311Error, Query

router = APIRouter(prefix="/open311/v2", tags=["open311"])
Format = Literal["json", "xml"]
# Accounts whose API key may create requests: the citizen app's integration account.
SUBMITTERS = (Role.admin, Role.supervisor, Role.operator, Role.reporter)


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        for key, value in row.items():
            child = ET.SubElement(el, key)
            if value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    return bytes(ET.tostring(top, encoding="utf-8", xml_declaration=True))


def _render(fmt: str, root: str, item: str, rows: list[dict[str, Any]], status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, rows), status_code=status, media_type="text/xml; charset=utf-8")

    return Response(json.dumps(rows), status_code=status, media_type="application/json")


# Open311 answers in the format its path names (.json or .xml); its errors are Open311's own list of
# {code, description}, not problem details (a wrong `fmt` or a rate limit still answers problem+json).
_BODY = {
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    "text/xml": {"schema": {"type": "string"}},
}


def _answers(ok: int, *errors: int) -> dict[int | str, dict[str, Any]]:
    answers: dict[int | str, dict[str, Any]] = {ok: {"description": "Open311 GeoReport v2", "content": _BODY}}
    return answers | {
        e: {"description": "Open311 errors: [{code, description}]", "content": _BODY} for e in errors
    }


def _error(fmt: str, status: int, description: str) -> Response:
    return _render(fmt, "errors", "error", [{"code": status, "description": description}], status)


@router.get("/services.{fmt}", responses=_answers(200))
async def list_services(fmt: Format) -> Response:
    """The PPKS categories citizens may report."""
    return _render(fmt, "services", "service", [open311.service_dict(c) for c in open311.services()])


@router.get("/services/{code}.{fmt}", responses=_answers(200, 404))
async def service_definition(code: str, fmt: Format) -> Response:
    if code not in {c.code for c in open311.services()}:
        return _error(fmt, 404, f"service_code {code} not found")
    # No extra attributes: every service is metadata=false.
    return _render(fmt, "service_definition", "service", [{"service_code": code, "attributes": None}])


def _parse_time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C date-time, e.g. 2026-11-22T10:00:00+07:00") from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone offset")
    return parsed


@router.get("/requests.{fmt}", dependencies=[Depends(rate_limited)], responses=_answers(200, 400, 404))
async def list_requests(fmt: Format, request: Request, session: SessionDep) -> Response:
    """Requests from citizen apps (last 90 days by default, at most 1000), open or closed."""
    p = request.query_params
    try:
        status = p.get("status")
        if status not in (None, "open", "closed"):
            raise Open311Error(400, "status must be open or closed")
        jurisdiction = p.get("jurisdiction_id")
        if jurisdiction and not regions.exists(jurisdiction):
            raise Open311Error(404, f"jurisdiction_id {jurisdiction} not found")
        ids = tuple(i.strip() for i in (p.get("service_request_id") or "").split(",") if i.strip())
        query = Query(
            ids=ids[:100],
            service_code=p.get("service_code"),
            start=_parse_time(p.get("start_date"), "start_date"),
            end=_parse_time(p.get("end_date"), "end_date"),
            status=status,
            jurisdiction=jurisdiction,
        )
    except Open311Error as exc:
        return _error(fmt, exc.status, exc.description)
    rows = await open311.find(session, query)
    return _render(fmt, "service_requests", "request", [open311.request_dict(r, i) for r, i in rows])


@router.get(
    "/requests/{request_id}.{fmt}", dependencies=[Depends(rate_limited)], responses=_answers(200, 404)
)
async def get_request(request_id: str, fmt: Format, session: SessionDep) -> Response:
    rows = await open311.find(session, Query(ids=(request_id,)))
    if not rows:
        return _error(fmt, 404, f"service_request_id {request_id} not found")
    return _render(fmt, "service_requests", "request", [open311.request_dict(r, i) for r, i in rows])


@router.post("/requests.{fmt}", status_code=201, responses=_answers(201, 400, 403))
async def create_request(fmt: Format, request: Request, session: SessionDep) -> Response:
    """Create a request (form-encoded, as the specification says; JSON is accepted too) with `api_key`."""
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            raw = await request.json()
            form: dict[str, Any] = raw if isinstance(raw, dict) else {}
        else:
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    except ValueError:
        return _error(fmt, 400, "the body must be form-encoded (or JSON)")
    key = form.get("api_key") or request.headers.get("x-api-key")
    if not key:
        return _error(fmt, 403, "api_key is required")
    use = await api_keys.principal_for_key(request.app.state.engine, str(key), client_ip(request))
    principal = use.principal if use is not None else None
    if use is not None:
        await api_keys.note_use(request.app.state.sessionmaker, use)
    if principal is None or principal.role not in SUBMITTERS:
        return _error(fmt, 403, "api_key is invalid, revoked or not allowed to create requests")
    code = str(form.get("service_code") or "")
    if code not in {c.code for c in open311.services()}:
        return _error(fmt, 400, f"service_code {code or '(missing)'} is not a service; see services.{fmt}")
    jurisdiction = str(form.get("jurisdiction_id") or principal.region_code)
    if (
        jurisdiction.count(".") < 1
        or not regions.exists(jurisdiction)
        or not principal.sees_region(jurisdiction)
    ):
        return _error(fmt, 400, "jurisdiction_id must be a kab/kota (or smaller) region code of your area")
    description = str(form.get("description") or "").strip()
    if not description:
        return _error(fmt, 400, "description is required")
    name = " ".join(str(form.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    location: dict[str, Any] = {"region_code": jurisdiction, "address": form.get("address_string") or None}
    if form.get("lat") is not None or form.get("long") is not None:
        location |= {"lat": form.get("lat"), "lon": form.get("long")}
    elif not form.get("address_string"):
        return _error(fmt, 400, "a location is required: lat and long, or address_string")
    try:
        body = ReportCreate.model_validate(
            {
                "channel": "public_app",
                "category": code,
                "description": description,
                "location": location,
                "reporter": {k: v for k, v in (("name", name), ("phone", form.get("phone"))) if v},
                "external_ref": str(form.get("media_url") or f"open311:{principal.username}"),
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        return _error(fmt, 400, f"{where}: {first['msg']}")
    report = await intake.submit(
        session, None, body, tracking_code=intake.new_tracking_code(), client_ip=client_ip(request)
    )
    notice = "Terima kasih. Simpan nomor laporan untuk melihat statusnya."
    row = {"service_request_id": report.tracking_code, "service_notice": notice, "account_id": None}
    return _render(fmt, "service_requests", "request", [row], 201)
