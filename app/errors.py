"""Domain errors and their rendering as RFC 9457 problem details (application/problem+json).

Services raise these; one set of handlers turns every error (domain, HTTP, validation, unexpected) into a
problem document that names what was wrong.

A problem's `title` and `detail` follow the request's Accept-Language: Bahasa Indonesia unless English is
preferred. Titles and the fixed details are translated through the console's gettext catalogue
(app/console/labels.py: PROBLEMS); details carrying values through the catalogue's templates
("role {role} may not {action}"), in either direction; a detail neither knows is left as written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import cache
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import headers

log = logging.getLogger("tanggap")
PROBLEM = "application/problem+json"
_TYPE_BASE = "https://tanggap.id/problems/"


class DomainError(Exception):
    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status, code, title = 404, "not-found", "Not found"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Forbidden"


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class InvalidTransition(Conflict):
    code, title = "invalid-transition", "State change not allowed"


class Unprocessable(DomainError):
    status, code, title = 422, "validation-error", "Invalid request"

    def __init__(self, detail: str, *, field: str, **extra: Any) -> None:
        super().__init__(detail, errors=[{"field": field, "message": detail}], **extra)


class TooManyRequests(DomainError):
    status, code, title = 429, "rate-limited", "Too many requests"


LANGUAGES = ("id", "en")


def language(request: Request | None) -> str:
    """The language of the request's Accept-Language with the highest q among ours; Indonesian by
    default (no header, only other languages, or `*`)."""
    return language_of(request.headers.get("accept-language", "") if request is not None else "")


def language_of(raw: str) -> str:
    """`language` for an Accept-Language value (a middleware has no Request)."""
    best, best_q = "id", -1.0
    for part in raw.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q and q > 0:
            best, best_q = primary, q
    return best


@cache
def _tables() -> tuple[dict[str, str], dict[str, str], list[tuple[re.Pattern[str], str, str]]]:
    """English → Indonesian, Indonesian → English, and the templates (pattern, its other side, the
    direction), from the console's catalogue (read once)."""
    # The console imports this module: read its catalogue when first needed.
    from app.console import i18n, labels

    to_id = i18n.catalogue("id")
    to_en = {v: k for k, v in to_id.items()}
    templates: list[tuple[re.Pattern[str], str, str]] = []
    # Only the problems' templates: the console's others (app/console/reasons.py) are not details.
    for en in labels.PROBLEMS:
        id_ = to_id.get(en)
        if id_ and "{" in en:
            templates.append((_pattern(en), id_, "id"))
            templates.append((_pattern(id_), en, "en"))
    return to_id, to_en, templates


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$", re.S)


def localise(text: str, lang: str) -> str:
    """`text` in `lang` when the catalogue knows it (exactly or by a template), else as it is."""
    to_id, to_en, templates = _tables()
    exact = (to_id if lang == "id" else to_en).get(text)
    if exact is not None:
        return exact
    for pattern, other, direction in templates:
        if direction == lang:
            m = pattern.match(text)
            if m:
                return other.format(**m.groupdict())
    return text


def problem(
    status: int, *, code: str, title: str, detail: str, lang: str | None = None, **extra: Any
) -> JSONResponse:
    if lang is not None:
        title, detail = localise(title, lang), localise(detail, lang)
    body = {"type": _TYPE_BASE + code, "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if "retry_after" in extra:
        headers = {"Retry-After": str(extra["retry_after"])}
    if lang is not None:
        headers |= {"Content-Language": lang, "Vary": "Accept-Language"}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers or None)


def _field(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        where, rest = parts[0], parts[1:]
        return ".".join(rest) if where == "body" and rest else ".".join([where, *rest])
    return ".".join(parts)


def _is_json(request: Request) -> bool:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype == "application/json" or ctype.endswith("+json")


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    lang = language(request)
    extra = dict(exc.extra)
    if isinstance(extra.get("errors"), list):
        extra["errors"] = [_localised_item(e, lang) for e in extra["errors"]]
    return problem(exc.status, code=exc.code, title=exc.title, detail=exc.detail, lang=lang, **extra)


def _localised_item(item: Any, lang: str) -> Any:
    if isinstance(item, dict) and isinstance(item.get("message"), str):
        return {**item, "message": localise(item["message"], lang)}
    return item


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    body_expected = any(e["loc"] and e["loc"][0] == "body" for e in errors)
    # A bad path or query parameter is named first, whatever the body (a POST to /subjects/{ordinal}/...).
    params_bad = any(e["loc"] and e["loc"][0] in {"path", "query"} for e in errors)
    if (
        body_expected
        and not params_bad
        and request.method in {"POST", "PUT", "PATCH"}
        and not _is_json(request)
    ):
        return problem(
            415,
            lang=language(request),
            code="unsupported-media-type",
            title="Unsupported media type",
            detail="the request body must be JSON, sent with Content-Type: application/json",
        )
    if any(e["type"] == "json_invalid" for e in errors):
        e = next(e for e in errors if e["type"] == "json_invalid")
        return problem(
            400,
            lang=language(request),
            code="malformed-json",
            title="Malformed JSON",
            detail=f"the body is not valid JSON: {e.get('ctx', {}).get('error', 'decode error')}",
        )
    lang = language(request)
    items = [
        {"field": _field(e["loc"]), "message": localise(e["msg"], lang), "type": e["type"]} for e in errors
    ]
    detail = "; ".join(f"{i['field']}: {i['message']}" for i in items[:5])
    return problem(
        422, code="validation-error", title="Invalid request", detail=detail, lang=lang, errors=items
    )


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) else title
    code = title.lower().replace(" ", "-")
    return problem(exc.status_code, code=code, title=title, detail=detail, lang=language(request))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    response = problem(
        500,
        lang=language(request),
        code="internal-error",
        title="Internal server error",
        detail="an unexpected error occurred; nothing was saved",
    )
    # Starlette answers an unexpected error outside every middleware: the security headers go on here.
    for name, value in (*headers.for_path(request.url.path), headers.NO_STORE):
        response.headers[name.decode()] = value.decode()
    return response


async def _integrity(request: Request, exc: Exception) -> JSONResponse:
    # A unique key taken by a concurrent request between our check and our commit (the same post or
    # referral sent twice at once). The transaction was rolled back: retrying gets the ordinary answer.
    log.info("integrity conflict: %s", exc)
    return problem(
        409,
        lang=language(request),
        code="conflict",
        title="Conflict",
        detail="a concurrent request wrote the same thing; nothing was saved, retry to see the result",
    )


async def _busy(request: Request, exc: Exception) -> JSONResponse:
    # Every pooled database connection stayed busy for db_pool_timeout seconds.
    log.warning("database pool exhausted: %s", exc)
    response = problem(
        503,
        lang=language(request),
        code="busy",
        title="Service busy",
        detail="all database connections are busy; nothing was saved, retry shortly",
    )
    response.headers["Retry-After"] = "2"
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(PoolTimeout, _busy)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
