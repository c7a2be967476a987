"""The console's sign-in session: a signed cookie (HttpOnly, SameSite=Strict, Secure over https) carrying the
account, its token_version and the session's CSRF token. Every request checks the account against the
database (users.principal_for_token), so a deactivation or a new password ends the session at once."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Request, Response

from app import security
from app.api.deps import client_ip
from app.models import User
from app.services import users
from app.services.access import Principal
from app.settings import Settings

COOKIE = "tanggap_konsol"
# The sign-in form's own CSRF token (double submit): there is no session yet to hold one.
PRE_COOKIE = "tanggap_konsol_masuk"
PATH = "/konsol"
AUDIENCE = "console"
# One shift and a little more: an operator signs in once per shift.
LIFETIME = timedelta(hours=13)
_ALGORITHM = "HS256"


class SignInRequired(Exception):
    """No valid session: pages redirect to the sign-in form, htmx requests get HX-Redirect."""


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    principal: Principal
    csrf: str
    # The account's display name, for the header.
    full_name: str = ""


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def start(response: Response, request: Request, settings: Settings, user: User) -> None:
    """Sets the session cookie for a user whose password was just checked."""
    now = datetime.now(UTC)
    payload = {
        "sub": str(user.id),
        "ver": user.token_version,
        "aud": AUDIENCE,
        "csrf": secrets.token_urlsafe(24),
        "name": user.full_name or user.username,
        "iat": now,
        "exp": now + LIFETIME,
    }
    value = jwt.encode(payload, settings.secret_key, algorithm=_ALGORITHM)
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(LIFETIME.total_seconds()),
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(PRE_COOKIE, path=PATH)


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH)


async def current(request: Request) -> ConsoleSession:
    """The signed-in operator of this request, checked against the database; SignInRequired otherwise."""
    found = await optional(request)
    if found is None:
        raise SignInRequired
    return found


async def optional(request: Request) -> ConsoleSession | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    settings: Settings = request.app.state.settings
    try:
        payload = jwt.decode(
            raw,
            settings.secret_key,
            algorithms=[_ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "sub", "aud", "csrf"]},
        )
        claims = security.TokenClaims(uuid.UUID(payload["sub"]), "", "", "", int(payload.get("ver", 0)))
        csrf, name = str(payload["csrf"]), str(payload.get("name", ""))
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
    principal = await users.principal_for_token(request.app.state.engine, claims, client_ip(request))
    if principal is None:
        return None
    return ConsoleSession(principal, csrf, name)


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def pre_token(request: Request) -> str:
    """The sign-in form's CSRF token: the one in its cookie, or a new one (set by `keep_pre_token`)."""
    return request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)


def keep_pre_token(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        PRE_COOKIE, token, max_age=3600, path=PATH, httponly=True, samesite="strict", secure=_secure(request)
    )
