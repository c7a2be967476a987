"""The console's sign-in session: a signed cookie (HttpOnly, SameSite=Strict, Secure over https) carrying the
account, its token_version, the id of its row in console_sessions and the session's CSRF token. Every request
checks the account and that row against the database (users.principal_for_token), so signing out, a
deactivation or a new password ends the session at once, and a copy of the cookie with it."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app import security
from app.api.deps import client_ip
from app.db import unit_of_work
from app.errors import Forbidden
from app.models import Role, User
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
    # Its row in console_sessions (ended by signing out).
    session_id: uuid.UUID | None = None


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


async def start(response: Response, request: Request, settings: Settings, user: User) -> None:
    """Opens a session on the server and sets its cookie, for a user whose password was just checked."""
    now = datetime.now(UTC)
    async with unit_of_work(request.app.state.sessionmaker) as db:
        session_id = await users.start_console_session(db, user.id, now + LIFETIME)
    payload = {
        "sub": str(user.id),
        "sid": str(session_id),
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


async def end(response: Response, db: AsyncSession, sess: ConsoleSession) -> None:
    """Signing out: the session's row ends (a copy of its cookie is refused from now on), the cookie goes."""
    await users.end_console_sessions(db, sess.principal.user_id, sess.session_id)
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
            options={"require": ["exp", "sub", "aud", "csrf", "sid"]},
        )
        claims = security.TokenClaims(uuid.UUID(payload["sub"]), "", "", "", int(payload.get("ver", 0)))
        session_id = uuid.UUID(payload["sid"])
        csrf, name = str(payload["csrf"]), str(payload.get("name", ""))
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
    principal = await users.principal_for_token(
        request.app.state.engine, claims, client_ip(request), console_session=session_id
    )
    if principal is None:
        return None
    return ConsoleSession(principal, csrf, name, session_id)


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def pre_token(request: Request) -> str:
    """The sign-in form's CSRF token: the one in its cookie, or a new one (set by `keep_pre_token`)."""
    return request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)


def keep_pre_token(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        PRE_COOKIE, token, max_age=3600, path=PATH, httponly=True, samesite="strict", secure=_secure(request)
    )


async def supervisor(request: Request) -> ConsoleSession:
    """The signed-in supervisor or admin of this request: the supervisor pages' gate (403 page otherwise)."""
    found = await current(request)
    if found.principal.role not in (Role.admin, Role.supervisor):
        raise Forbidden("halaman ini untuk supervisor dan admin")
    return found
