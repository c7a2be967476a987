"""Passwords (argon2 via pwdlib), access tokens (JWT, HS256) and API keys."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash

from app.settings import Settings

_passwords = PasswordHash.recommended()
_ALGORITHM = "HS256"
API_KEY_PREFIX = "tgk_"
# Verifying against this keeps a login for an unknown user as slow as one for a known user.
_DUMMY_HASH = _passwords.hash("tanggap-dummy-password")


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _passwords.verify(password, _DUMMY_HASH)
        return False
    return _passwords.verify(password, password_hash)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: uuid.UUID
    username: str
    role: str
    region_code: str
    # The user's token_version when the token was issued; tokens from before it was raised are refused.
    version: int = 0


def create_access_token(settings: Settings, claims: TokenClaims) -> tuple[str, int]:
    expires_in = settings.access_token_minutes * 60
    now = datetime.now(UTC)
    payload = {
        "sub": str(claims.user_id),
        "name": claims.username,
        "role": claims.role,
        "region": claims.region_code,
        "ver": claims.version,
        "iat": now,
        "exp": now + timedelta(seconds=expires_in),
    }
    return jwt.encode(payload, settings.secret_key, algorithm=_ALGORITHM), expires_in


_verified: OrderedDict[tuple[str, str], tuple[TokenClaims, float]] = OrderedDict()
_VERIFIED_MAX = 4096


def decode_access_token(settings: Settings, token: str) -> TokenClaims | None:
    """Verifies a token's signature and expiry. A client sends the same token with every request, so a
    verified one is remembered (with its expiry, which is still checked) instead of being decoded again.
    Whether the account is still active at this version is the caller's check (users.principal_for_token)."""
    key = (settings.secret_key, token)
    hit = _verified.get(key)
    if hit is not None:
        claims, expires = hit
        if time.time() < expires:
            return claims
        del _verified[key]
        return None
    claims_and_exp = _decode(settings, token)
    if claims_and_exp is None:
        return None
    _verified[key] = claims_and_exp
    if len(_verified) > _VERIFIED_MAX:
        _verified.popitem(last=False)
    return claims_and_exp[0]


def _decode(settings: Settings, token: str) -> tuple[TokenClaims, float] | None:
    try:
        payload = jwt.decode(
            token, settings.secret_key, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]}
        )
        claims = TokenClaims(
            user_id=uuid.UUID(payload["sub"]),
            username=str(payload["name"]),
            role=str(payload["role"]),
            region_code=str(payload["region"]),
            version=int(payload.get("ver", 0)),
        )
        return claims, float(payload["exp"])
    except (jwt.PyJWTError, KeyError, ValueError):
        return None


def new_api_key() -> tuple[str, str, str]:
    """Returns (key shown once, its public prefix, its hash)."""
    secret = secrets.token_urlsafe(32)
    key = API_KEY_PREFIX + secret
    return key, key[: len(API_KEY_PREFIX) + 6], hash_api_key(key)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


TICKET_AUDIENCE = "live"
TICKET_SECONDS = 60


@dataclass(frozen=True, slots=True)
class TicketClaims:
    ticket_id: uuid.UUID
    user_id: uuid.UUID
    version: int
    # The topics the ticket was asked for: it opens a stream of these (or fewer), nothing else.
    topics: tuple[str, ...]
    expires_at: datetime


def create_ticket(settings: Settings, user_id: uuid.UUID, version: int, topics: list[str]) -> str:
    """A short-lived token for opening one live stream where a client cannot send headers (a browser's
    WebSocket or EventSource): it goes in the URL, so it lives a minute, opens one stream of the topics it
    was asked for, once (the use is recorded in the database: services/live.consume_ticket)."""
    now = datetime.now(UTC)
    payload = {
        "sub": str(user_id),
        "ver": version,
        "jti": str(uuid.uuid4()),
        "topics": topics,
        "aud": TICKET_AUDIENCE,
        "iat": now,
        "exp": now + timedelta(seconds=TICKET_SECONDS),
    }
    return jwt.encode(payload, settings.secret_key, algorithm=_ALGORITHM)


def decode_ticket(settings: Settings, ticket: str) -> TicketClaims | None:
    try:
        payload = jwt.decode(
            ticket,
            settings.secret_key,
            algorithms=[_ALGORITHM],
            audience=TICKET_AUDIENCE,
            options={"require": ["exp", "sub", "aud", "jti"]},
        )
        topics = payload["topics"]
        if not isinstance(topics, list):
            return None
        return TicketClaims(
            uuid.UUID(payload["jti"]),
            uuid.UUID(payload["sub"]),
            int(payload.get("ver", 0)),
            tuple(str(t) for t in topics),
            datetime.fromtimestamp(float(payload["exp"]), UTC),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
