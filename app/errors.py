"""Domain errors and their rendering as RFC 9457 problem details (application/problem+json).

Services raise these; one set of handlers turns every error (domain, HTTP, validation, unexpected) into a
problem document that names what was wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
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


def problem(status: int, *, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": _TYPE_BASE + code, "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if "retry_after" in extra:
        headers = {"Retry-After": str(extra["retry_after"])}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        where, rest = parts[0], parts[1:]
        return ".".join(rest) if where == "body" and rest else ".".join([where, *rest])
    return ".".join(parts)


def _is_json(request: Request) -> bool:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype == "application/json" or ctype.endswith("+json")


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem(exc.status, code=exc.code, title=exc.title, detail=exc.detail, **exc.extra)


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
            code="unsupported-media-type",
            title="Unsupported media type",
            detail="the request body must be JSON, sent with Content-Type: application/json",
        )
    if any(e["type"] == "json_invalid" for e in errors):
        e = next(e for e in errors if e["type"] == "json_invalid")
        return problem(
            400,
            code="malformed-json",
            title="Malformed JSON",
            detail=f"the body is not valid JSON: {e.get('ctx', {}).get('error', 'decode error')}",
        )
    items = [{"field": _field(e["loc"]), "message": e["msg"], "type": e["type"]} for e in errors]
    detail = "; ".join(f"{i['field']}: {i['message']}" for i in items[:5])
    return problem(422, code="validation-error", title="Invalid request", detail=detail, errors=items)


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) else title
    return problem(exc.status_code, code=title.lower().replace(" ", "-"), title=title, detail=detail)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    response = problem(
        500,
        code="internal-error",
        title="Internal server error",
        detail="an unexpected error occurred; nothing was saved",
    )
    # Starlette answers an unexpected error outside every middleware: the security headers go on here.
    for name, value in (*headers.for_path(request.url.path), headers.NO_STORE):
        response.headers[name.decode()] = value.decode()
    return response


async def _integrity(_: Request, exc: Exception) -> JSONResponse:
    # A unique key taken by a concurrent request between our check and our commit (the same post or
    # referral sent twice at once). The transaction was rolled back: retrying gets the ordinary answer.
    log.info("integrity conflict: %s", exc)
    return problem(
        409,
        code="conflict",
        title="Conflict",
        detail="a concurrent request wrote the same thing; nothing was saved, retry to see the result",
    )


async def _busy(_: Request, exc: Exception) -> JSONResponse:
    # Every pooled database connection stayed busy for db_pool_timeout seconds.
    log.warning("database pool exhausted: %s", exc)
    response = problem(
        503,
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
