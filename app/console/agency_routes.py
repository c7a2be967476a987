"""The supervisor's page of partner agencies and routing rules: list, add, edit, deactivate.

Supervisors and admins only (session.supervisor: others get a 403 page); the services check the region
again. Thin like the API's routers: each form goes through the API's schema (AgencyIn, RuleIn, ...) and the
API's service (app/services/agencies.py), then redirects back to the page."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import SessionDep
from app.console import forms, labels, session
from app.console.pages import render
from app.console.session import ConsoleSession
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.schemas.agencies import AgencyIn, AgencyPatch, Contact, RuleIn, RulePatch
from app.services import agencies

router = APIRouter(prefix="/konsol", include_in_schema=False)
Supervisor = Annotated[ConsoleSession, Depends(session.supervisor)]
PAGE = "/konsol/instansi"
FLAGS = ("injured", "agitated", "child", "elderly", "shackled", "deceased", "alone", "pregnant", "sick")


def _back() -> RedirectResponse:
    return RedirectResponse(PAGE, status_code=303)


def _areas(region_code: str) -> list[tuple[str, str]]:
    """Where an agency may serve or a rule apply, for a select: the caller's kab/kota and its kecamatan."""
    kabkota = ".".join(region_code.split(".")[:2])
    if kabkota.count(".") != 1:
        return []
    top = regions.get_region(kabkota)
    return [(kabkota, top.name if top else kabkota)] + [(r.code, r.name) for r in regions.children(kabkota)]


@router.get("/instansi", response_class=HTMLResponse)
async def agencies_page(request: Request, sess: Supervisor, db: SessionDep) -> Response:
    found = await agencies.list_agencies(db, sess.principal, kind=None, include_inactive=True)
    return render(
        request,
        "agencies.html",
        sess,
        agencies=found,
        agency_names={a.id: a.name for a in found},
        rules=await agencies.list_rules(db, sess.principal),
        areas=_areas(sess.principal.region_code),
        kinds=labels.AGENCY_KIND,
        flags=FLAGS,
        categories=sorted(CATEGORIES.values(), key=lambda c: c.code),
    )


@router.post("/instansi/tambah")
async def add_agency(request: Request, sess: Supervisor, db: SessionDep) -> Response:
    fields = await forms.read(request, sess)
    contact = fields.get("contact_name", "").strip()
    body = forms.parse(
        AgencyIn,
        "agency-name",
        "tulis nama (minimal 2 huruf), jenis dan wilayah; nomor telepon kontak harus valid",
        lambda: {
            "name": fields.get("name", ""),
            "kind": fields.get("kind", ""),
            "region_code": fields.get("region_code", ""),
            "contacts": [{"name": contact, "phone": fields.get("contact_phone") or None}] if contact else [],
        },
    )
    await agencies.create(db, sess.principal, body)
    return _back()


@router.post("/instansi/{agency_id}/ubah")
async def edit_agency(request: Request, agency_id: uuid.UUID, sess: Supervisor, db: SessionDep) -> Response:
    """A new name, and a contact added to those it has."""
    fields = await forms.read(request, sess)
    agency = await agencies.get(db, sess.principal, agency_id)
    contact = fields.get("contact_name", "").strip()

    def build() -> dict[str, object]:
        body: dict[str, object] = {"name": fields.get("name", "")}
        if contact:
            added = Contact(name=contact, phone=fields.get("contact_phone") or None)
            body["contacts"] = [*agency.contacts, added.model_dump(exclude_none=True)]
        return body

    patch = forms.parse(
        AgencyPatch, "agency-name", "tulis nama (minimal 2 huruf); nomor telepon kontak harus valid", build
    )
    await agencies.patch(db, sess.principal, agency_id, patch)
    return _back()


@router.post("/instansi/{agency_id}/aktif")
async def set_agency_active(
    request: Request, agency_id: uuid.UUID, sess: Supervisor, db: SessionDep
) -> Response:
    fields = await forms.read(request, sess)
    await agencies.patch(db, sess.principal, agency_id, AgencyPatch(active=fields.get("active") == "1"))
    return _back()


@router.post("/aturan/tambah")
async def add_rule(request: Request, sess: Supervisor, db: SessionDep) -> Response:
    """A rule refers to the most local agency of a kind or always to one (`target`: kind:… or agency:…)."""
    fields, lists = await forms.read_lists(request, sess)
    kind, _, value = fields.get("target", "").partition(":")
    body = forms.parse(
        RuleIn,
        "rule-name",
        "tulis nama aturan (minimal 2 huruf), wilayah, kategori dan instansi tujuan",
        lambda: {
            "name": fields.get("name", ""),
            "region_code": fields.get("region_code", ""),
            "category": fields.get("category", ""),
            "flags": lists.get("flag", []),
            "agency_kind": value if kind == "kind" else None,
            "agency_id": value if kind == "agency" else None,
            "completes_incident": fields.get("completes") == "1",
        },
    )
    await agencies.create_rule(db, sess.principal, body)
    return _back()


@router.post("/aturan/{rule_id}/ubah")
async def edit_rule(request: Request, rule_id: uuid.UUID, sess: Supervisor, db: SessionDep) -> Response:
    """Name, subject flags, whether the agency's answer completes the incident, active."""
    fields, lists = await forms.read_lists(request, sess)
    patch = forms.parse(
        RulePatch,
        "rule-name",
        "tulis nama aturan (minimal 2 huruf)",
        lambda: {
            "name": fields.get("name", ""),
            "flags": lists.get("flag", []),
            "completes_incident": fields.get("completes") == "1",
            "active": fields.get("active") == "1",
        },
    )
    await agencies.patch_rule(db, sess.principal, rule_id, patch)
    return _back()
