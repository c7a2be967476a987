"""The operator's console (pages under /konsol): sign-in, the queue, the board, taking a call (the incident
page and its actions: incident_routes.py).

Like the API's routers these are thin: they check the session and the CSRF token, read the form and call
the same services as the API (intake.submit, dispatch.verify, ...): there is no second way to change data."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from app import security
from app.api.deps import SessionDep, client_ip
from app.console import calls, reasons, session
from app.console.pages import language, render
from app.console.session import ConsoleSession, SignInRequired
from app.dispatch.lifecycle import OPEN_STATUSES, Status
from app.errors import DomainError, Forbidden, TooManyRequests, Unauthorized
from app.live.hub import Hub
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.services import console, intake, live, logins
from app.services.access import TRIAGE
from app.services.incidents import IncidentFilters
from app.settings import Settings

router = APIRouter(prefix="/konsol", include_in_schema=False)
root = APIRouter(include_in_schema=False)
Session = Annotated[ConsoleSession, Depends(session.current)]
HOME = "/konsol/antrean"


@root.get("/")
async def index() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


@router.get("/")
async def console_index() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _check_csrf(request: Request, sess: ConsoleSession, form: dict[str, str] | None = None) -> None:
    given = request.headers.get("x-csrf-token") or (form or {}).get("csrf")
    if not session.csrf_ok(sess.csrf, given):
        raise Forbidden("token formulir (CSRF) tidak cocok; muat ulang halaman")


def _safe_next(raw: str | None) -> str:
    # Only a path of the console: never another site (an open redirect).
    if raw and raw.startswith("/konsol/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return HOME


# ---- sign-in ------------------------------------------------------------------------------------------


@router.get("/masuk")
async def sign_in_form(request: Request, lanjut: str | None = None) -> Response:
    if await session.optional(request) is not None:
        return RedirectResponse(_safe_next(lanjut), status_code=303)
    token = session.pre_token(request)
    response = render(request, "signin.html", csrf=token, next=_safe_next(lanjut), error=None)
    session.keep_pre_token(response, request, token)
    return response


@router.post("/masuk")
async def sign_in(request: Request) -> Response:
    form = await _form(request)
    settings: Settings = request.app.state.settings
    token = request.cookies.get(session.PRE_COOKIE, "")
    response: Response
    target = _safe_next(form.get("next"))
    error, status = None, 200
    if not token or not session.csrf_ok(token, form.get("csrf")):
        error, status = "Formulir kedaluwarsa; coba sekali lagi.", 403
    else:
        try:
            user = await logins.login(
                request.app.state.sessionmaker,
                settings,
                username=form.get("username", "").strip(),
                password=form.get("password", ""),
                client_ip=client_ip(request),
            )
        except Unauthorized:
            error, status = "Nama pengguna atau kata sandi salah, atau akun dinonaktifkan.", 401
        except TooManyRequests as exc:
            error, status = exc.detail[:1].upper() + exc.detail[1:] + ".", 429
        else:
            if user.role not in TRIAGE:
                error, status = "Konsol ini untuk operator, supervisor dan admin.", 403
            else:
                response = RedirectResponse(target, status_code=303)
                await session.start(response, request, settings, user)
                return response
    token = session.pre_token(request)
    response = render(
        request,
        "signin.html",
        csrf=token,
        next=target,
        error=error,
        username=form.get("username", ""),
        status_code=status,
    )
    session.keep_pre_token(response, request, token)
    return response


@router.post("/keluar")
async def sign_out(request: Request, sess: Session, db: SessionDep) -> RedirectResponse:
    _check_csrf(request, sess, await _form(request))
    response = RedirectResponse("/konsol/masuk", status_code=303)
    await session.end(response, db, sess)
    return response


@router.get("/bahasa/{lang}")
async def set_language(lang: str, kembali: str | None = None) -> RedirectResponse:
    """A preference, not a change of data: a plain link switches it."""
    from app.console import i18n

    response = RedirectResponse(_safe_next(kembali), status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, path="/konsol", samesite="strict")
    return response


@router.post("/tiket")
async def live_ticket(request: Request, sess: Session, db: SessionDep) -> JSONResponse:
    """A one-minute ticket for the live stream of the operator's region (the API's tickets, for a session)."""
    _check_csrf(request, sess)
    topic = f"region:{sess.principal.region_code}"
    settings: Settings = request.app.state.settings
    ticket = await live.issue_ticket(db, settings, sess.principal, [topic])
    return JSONResponse({"ticket": ticket, "topic": topic, "expires_in": security.TICKET_SECONDS})


@router.post("/alasan")
async def reason_in_words(request: Request, sess: Session) -> JSONResponse:
    """An event's dispatch reason in the reader's language, for the live alerts (the escalation pop-up):
    the same translation as the board and the timeline (app/console/reasons.py). The body is the event's
    {"why": code and values, "text": the stored text}; nothing is read or changed."""
    _check_csrf(request, sess)
    raw = await request.body()
    if len(raw) > 20_000:
        raise DomainError("alasan terlalu panjang")
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise DomainError("alasan tidak dapat dibaca (JSON)") from exc
    if not isinstance(body, dict):
        raise DomainError("alasan tidak dapat dibaca (JSON)")
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    why = body.get("why") if isinstance(body.get("why"), dict) else None
    return JSONResponse({"text": reasons.in_words(why or text, language(request), text=text)})


# ---- the queue ----------------------------------------------------------------------------------------


def _queue_filters(
    prioritas: int | None, kategori: str | None, status: str | None, wilayah: str | None
) -> IncidentFilters:
    return IncidentFilters(
        status=(Status(status),) if status in {s.value for s in OPEN_STATUSES} else (),
        category=kategori if kategori in CATEGORIES else None,
        priority=prioritas if prioritas in (1, 2, 3, 4) else None,
        region=wilayah if wilayah and regions.exists(wilayah) else None,
    )


QueueQuery = Annotated[int | None, Query(ge=1, le=4)]


@router.get("/antrean", response_class=HTMLResponse)
async def queue_page(
    request: Request,
    sess: Session,
    db: SessionDep,
    prioritas: QueueQuery = None,
    kategori: Annotated[str | None, Query(max_length=16)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    wilayah: Annotated[str | None, Query(max_length=13)] = None,
    urut: Annotated[str, Query(pattern="^(prioritas|terbaru)$")] = "prioritas",
    baris: bool = False,
) -> Response:
    hub: Hub = request.app.state.hub
    # Read before the queue: events after this seq are replayed by the live stream, never lost.
    seq = hub.head
    filters = _queue_filters(prioritas, kategori, status, wilayah)
    rows = await console.queue(
        db, sess.principal, filters, order="priority" if urut == "prioritas" else "newest"
    )
    kabkota = ".".join(sess.principal.region_code.split(".")[:2])
    template = "_queue_rows.html" if baris else "queue.html"
    return render(
        request,
        template,
        sess,
        rows=rows,
        seq=seq,
        filters={
            "prioritas": prioritas,
            "kategori": kategori or "",
            "status": status or "",
            "wilayah": wilayah or "",
            "urut": urut,
        },
        kecamatan=regions.children(kabkota) if kabkota.count(".") == 1 else [],
        categories=list(CATEGORIES.values()),
        open_statuses=[s for s in Status if s in OPEN_STATUSES],
        place_name=console.place_name,
    )


# ---- the dispatch board ------------------------------------------------------------------------------


@router.get("/papan", response_class=HTMLResponse)
async def board_page(request: Request, sess: Session, db: SessionDep, bagian: bool = False) -> Response:
    seq = request.app.state.hub.head
    board = await console.board(db, sess.principal)
    return render(
        request,
        "_board.html" if bagian else "board.html",
        sess,
        board=board,
        seq=seq,
        place_name=console.place_name,
    )


# ---- taking a call ------------------------------------------------------------------------------------


@router.get("/panggilan", response_class=HTMLResponse)
async def call_form(request: Request, sess: Session) -> Response:
    return render(request, "call.html", sess, **calls.form_context(sess, {}, {}))


@router.post("/panggilan/duplikat", response_class=HTMLResponse)
async def call_duplicates(request: Request, sess: Session, db: SessionDep) -> Response:
    form = await _form(request)
    _check_csrf(request, sess, form)
    place = calls.parse_place(sess, form)
    found = []
    if place.region_code:
        found = list(
            await console.duplicates_for_call(
                db,
                sess.principal,
                region_code=place.region_code,
                lat=place.lat,
                lon=place.lon,
                category=form.get("category") or "unknown",
            )
        )
    return render(request, "_duplicates.html", sess, found=found, place_name=console.place_name)


@router.post("/panggilan", response_class=HTMLResponse)
async def take_call(request: Request, sess: Session, db: SessionDep) -> Response:
    form = await _form(request)
    _check_csrf(request, sess, form)
    try:
        body = calls.report_from_form(sess, form)
    except ValidationError as exc:
        errors = calls.errors_of(exc)
        return render(request, "call.html", sess, status_code=422, **calls.form_context(sess, form, errors))
    except calls.FormError as exc:
        return render(
            request,
            "call.html",
            sess,
            status_code=422,
            **calls.form_context(sess, form, {exc.field: exc.message}),
        )
    report = await intake.submit(db, sess.principal, body, client_ip=client_ip(request))
    return RedirectResponse(f"/konsol/insiden/{report.incident_id}", status_code=303)


# ---- errors -------------------------------------------------------------------------------------------


def signed_out(request: Request) -> Response:
    target = "/konsol/masuk?lanjut=" + request.url.path if request.method == "GET" else "/konsol/masuk"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    if request.url.path == "/konsol/tiket":
        return JSONResponse({"detail": "sesi berakhir"}, status_code=401)
    return RedirectResponse(target, status_code=303)


def error_page(request: Request, exc: DomainError) -> Response:
    if request.headers.get("hx-request") and request.method == "POST":
        # An action of a page refused: the reason is shown above the page's forms, the page stays as it was.
        response = render(request, "_problem.html", None, status_code=exc.status, error=exc)
        response.headers.update(
            {"HX-Retarget": "#action-error", "HX-Reswap": "innerHTML", "HX-Reselect": ".problem"}
        )
        return response
    return render(request, "error.html", None, status_code=exc.status, error=exc)


__all__ = ["SignInRequired", "error_page", "root", "router", "signed_out"]
