from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from app import security
from app.api.deps import SessionDep, SessionmakerDep, SettingsDep, client_ip
from app.schemas.common import problem_responses
from app.services import ratelimit, users

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post("/token", response_model=Token, responses=problem_responses(401, 422, 429))
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    maker: SessionmakerDep,
) -> Token:
    """OAuth2 password flow: exchange a username and password for a bearer token."""
    await ratelimit.hit(maker, f"login:{client_ip(request)}", limit=20, window_s=60)
    user = await users.authenticate(session, form.username, form.password)
    access, expires_in = security.create_access_token(
        settings, security.TokenClaims(user.id, user.username, user.role, user.region_code)
    )
    return Token(access_token=access, expires_in=expires_in)
