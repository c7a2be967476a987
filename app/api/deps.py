"""Dependencies shared by the routers: settings, the unit-of-work session, the calling principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import logs, security
from app.db import commit, rollback
from app.errors import Unauthorized
from app.services import api_keys, users
from app.services.access import Principal
from app.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


# Dependencies are `async def` on purpose: FastAPI runs plain `def` dependencies in a thread pool.
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the endpoint returns, before the response is sent."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        try:
            yield session
            await commit(session)
        except BaseException:
            await rollback(session)
            raise


# scope="function": commit before the response leaves, so a 2xx always means "saved".
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key for integrations")


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def get_principal(
    request: Request,
    token: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The caller, checked against the database (one lookup by key, before the request's unit of work): a
    deactivated account, a token from before a new password, a revoked or expired key fail at once, on
    every worker."""
    settings: Settings = request.app.state.settings
    engine: AsyncEngine = request.app.state.engine
    if token:
        claims = security.decode_access_token(settings, token)
        principal = await users.principal_for_token(engine, claims, client_ip(request)) if claims else None
        if principal is None:
            raise Unauthorized("token tidak sah, sudah kedaluwarsa, atau akunnya dinonaktifkan")
        logs.set_user(principal.user_id)
        return principal
    if api_key:
        use = await api_keys.principal_for_key(engine, api_key, client_ip(request))
        if use is None:
            raise Unauthorized("kunci API tidak sah, sudah dicabut atau kedaluwarsa")
        await api_keys.note_use(request.app.state.sessionmaker, use)
        logs.set_user(use.principal.user_id)
        return use.principal
    raise Unauthorized("masuk dengan token (POST /api/v1/auth/token) atau header X-API-Key")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retry-safe submission: the same key and body return the first response",
    ),
]
