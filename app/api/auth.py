from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from app import security
from app.api.deps import SessionmakerDep, SettingsDep, client_ip
from app.models import User
from app.schemas.common import problem_responses
from app.services import logins
from app.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post("/token", response_model=Token, responses=problem_responses(401, 422, 429))
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    settings: SettingsDep,
    maker: SessionmakerDep,
) -> Token:
    """OAuth2 password flow: exchange a username and password for a bearer token.

    Limited per client address and per username: after repeated failures the name is locked for a while
    (429), whether or not such an account exists; an admin or supervisor can lift it."""
    user = await logins.login(
        maker,
        settings,
        username=form.username,
        password=form.password,
        client_ip=client_ip(request),
    )
    return issue_token(settings, user)


def issue_token(settings: Settings, user: User) -> Token:
    access, expires_in = security.create_access_token(
        settings,
        security.TokenClaims(user.id, user.username, user.role, user.region_code, user.token_version),
    )
    return Token(access_token=access, expires_in=expires_in)
