"""The incident page and its actions: verify, reject, change category or priority, merge, notes, referrals
and their answers (recorded on an agency's behalf), dispatch by hand, answers to match proposals.

Thin like the API's routers: each action checks the session's CSRF token, validates the form with the API's
own schema and calls the API's own service, then answers with a redirect to the page (htmx follows it and
swaps the page's article in place). There is no second way to change data."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import SessionDep
from app.console import forms, reasons, session
from app.console.pages import language, render
from app.console.session import ConsoleSession
from app.dispatch.lifecycle import Status
from app.errors import Unprocessable
from app.reference.categories import CATEGORIES
from app.schemas.agencies import AnswerOnBehalfIn, CancelIn, ReferIn
from app.schemas.incidents import IncidentPatch, MergeIn, NoteIn, Outcome, RejectIn
from app.schemas.offers import ManualDispatchIn
from app.schemas.persons import ProposalRejectIn
from app.services import console, dispatch, incidents, referrals
from app.services.console.incident import named
from app.services.dispatch.manual import BY_HAND
from app.services.persons import proposals

router = APIRouter(prefix="/konsol", include_in_schema=False)
Session = Annotated[ConsoleSession, Depends(session.current)]


_form = forms.read
_parse = forms.parse


def _back(incident_id: uuid.UUID) -> RedirectResponse:
    return RedirectResponse(f"/konsol/insiden/{incident_id}", status_code=303)


@router.get("/insiden/{incident_id}", response_class=HTMLResponse)
async def incident_page(request: Request, incident_id: uuid.UUID, sess: Session, db: SessionDep) -> Response:
    page = await console.incident_page(db, sess.principal, incident_id)
    detail = page.detail
    return render(
        request,
        "incident.html",
        sess,
        incident=detail,
        page=page,
        seq=request.app.state.hub.head,
        place_name=console.place_name,
        named=lambda text: named(str(text), page.crew_names),
        why=lambda value, text=None: reasons.in_words(
            value or text, language(request), lambda t: named(t, page.crew_names), text=text
        ),
        whys=lambda texts, coded=None: reasons.each(
            texts, coded, language(request), lambda t: named(t, page.crew_names)
        ),
        can_triage=detail.status in (Status.received, Status.verified),
        can_dispatch=detail.status in BY_HAND,
        categories=sorted(CATEGORIES.values(), key=lambda c: c.code),
        outcomes=[o.value for o in Outcome],
    )


@router.post("/insiden/{incident_id}/verifikasi")
async def verify(request: Request, incident_id: uuid.UUID, sess: Session, db: SessionDep) -> Response:
    form = await _form(request, sess)
    await dispatch.verify(db, sess.principal, incident_id, form.get("note") or None)
    return _back(incident_id)


@router.post("/insiden/{incident_id}/tolak")
async def reject(request: Request, incident_id: uuid.UUID, sess: Session, db: SessionDep) -> Response:
    form = await _form(request, sess)
    body = _parse(
        RejectIn,
        "note",
        "pilih alasan dan tulis catatan (minimal 3 huruf)",
        lambda: {"reason": form.get("reason", ""), "note": form.get("note", "")},
    )
    await dispatch.reject(db, sess.principal, incident_id, body)
    return _back(incident_id)


@router.post("/insiden/{incident_id}/ubah")
async def change(request: Request, incident_id: uuid.UUID, sess: Session, db: SessionDep) -> Response:
    """Category and/or priority, with a reason (a priority set by hand is never overridden by the rules)."""
    form = await _form(request, sess)
    current = await incidents.get_visible(db, sess.principal, incident_id)
    category = form.get("category") or None
    raw_priority = form.get("priority") or ""
    priority = int(raw_priority) if raw_priority.isdigit() else None
    body: dict[str, object] = {"reason": form.get("reason", "")}
    # Only what changed: the form shows the current values.
    if category and category != current.category:
        body["category"] = category
    if priority is not None and priority != current.priority:
        body["priority"] = priority
    if len(body) == 1:
        raise Unprocessable("ubah kategori atau prioritas dulu", field="category")
    patch = _parse(IncidentPatch, "reason", "tulis alasan perubahan (minimal 3 huruf)", lambda: body)
    await dispatch.patch(db, sess.principal, incident_id, patch)
    return _back(incident_id)


@router.post("/insiden/{incident_id}/gabung")
async def merge(request: Request, incident_id: uuid.UUID, sess: Session, db: SessionDep) -> Response:
    """Merges this incident into the one chosen (a likely duplicate); opens the one merged into."""
    form = await _form(request, sess)
    body = _parse(
        MergeIn,
        "into",
        "pilih insiden tujuan penggabungan",
        lambda: {"into_incident_id": form.get("into", ""), "note": form.get("note") or None},
    )
    target = await dispatch.merge(db, sess.principal, incident_id, body)
    return _back(target.id)


@router.post("/insiden/{incident_id}/catatan")
async def add_note(request: Request, incident_id: uuid.UUID, sess: Session, db: SessionDep) -> Response:
    form = await _form(request, sess)
    body = _parse(NoteIn, "text", "catatan tidak boleh kosong", lambda: {"text": form.get("text", "")})
    await incidents.add_note(db, sess.principal, incident_id, body.text)
    return _back(incident_id)


@router.post("/insiden/{incident_id}/tugaskan")
async def dispatch_by_hand(
    request: Request, incident_id: uuid.UUID, sess: Session, db: SessionDep
) -> Response:
    form = await _form(request, sess)
    body = _parse(
        ManualDispatchIn,
        "reason",
        "pilih regu dan tulis alasan (minimal 3 huruf)",
        lambda: {"crew_id": form.get("crew", ""), "reason": form.get("reason", "")},
    )
    await dispatch.dispatch_manually(db, sess.principal, incident_id, body.crew_id, body.reason)
    return _back(incident_id)


@router.post("/insiden/{incident_id}/rujuk")
async def refer(request: Request, incident_id: uuid.UUID, sess: Session, db: SessionDep) -> Response:
    form = await _form(request, sess)
    body = _parse(
        ReferIn,
        "reason",
        "pilih instansi dan tulis alasan rujukan",
        lambda: {"agency_id": form.get("agency", ""), "reason": form.get("reason", "")},
    )
    await referrals.refer(db, sess.principal, incident_id, body.agency_id, body.reason)
    return _back(incident_id)


@router.post("/rujukan/{referral_id}/jawaban")
async def answer_on_behalf(
    request: Request, referral_id: uuid.UUID, sess: Session, db: SessionDep
) -> Response:
    """An agency's answer received by phone (or in person, a letter, a message), recorded on its behalf."""
    form = await _form(request, sess)
    body = _parse(
        AnswerOnBehalfIn,
        "contact",
        "pilih jawaban, cara diterima, dan siapa yang menjawab (minimal 2 huruf); alasan wajib bila menolak",
        lambda: {
            "status": form.get("status", ""),
            "received_via": form.get("via", ""),
            "contact": form.get("contact", ""),
            "note": form.get("note") or None,
            # One field on the form: a decline's reason is its note.
            "reason": (form.get("note") or None) if form.get("status") == "declined" else None,
            "outcome": form.get("outcome") or None,
        },
    )
    referral = await dispatch.answer_referral_on_behalf(db, sess.principal, referral_id, body)
    return _back(referral.incident_id)


@router.post("/rujukan/{referral_id}/batal")
async def cancel_referral(
    request: Request, referral_id: uuid.UUID, sess: Session, db: SessionDep
) -> Response:
    form = await _form(request, sess)
    body = _parse(CancelIn, "reason", "tulis alasan pembatalan", lambda: {"reason": form.get("reason", "")})
    referral = await referrals.cancel(db, sess.principal, referral_id, body.reason)
    return _back(referral.incident_id)


@router.post("/insiden/{incident_id}/usulan/{proposal_id}/konfirmasi")
async def confirm_proposal(
    request: Request, incident_id: uuid.UUID, proposal_id: uuid.UUID, sess: Session, db: SessionDep
) -> Response:
    """The report's subject is the person proposed (as POST /incidents/{id}/proposals/{pid}/confirm)."""
    await _form(request, sess)
    await proposals.answer(db, sess.principal, incident_id, proposal_id, confirm=True)
    return _back(incident_id)


@router.post("/insiden/{incident_id}/usulan/{proposal_id}/tolak")
async def reject_proposal(
    request: Request, incident_id: uuid.UUID, proposal_id: uuid.UUID, sess: Session, db: SessionDep
) -> Response:
    form = await _form(request, sess)
    body = _parse(
        ProposalRejectIn,
        "reason",
        "alasan paling banyak 500 huruf",
        lambda: {"reason": form.get("reason") or None},
    )
    await proposals.answer(db, sess.principal, incident_id, proposal_id, confirm=False, reason=body.reason)
    return _back(incident_id)
