"""Accounts and API keys: creation (admins; supervisors for their region's operators, crews, community
reporters and agency accounts), search, deactivation, passwords, login lock-outs; keys with expiry, last use,
revocation and rotation (admins). Every change is audited."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from app.api.auth import Token, issue_token
from app.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from app.models import Role
from app.schemas.common import Out, Strict, problem_responses
from app.services import api_keys, users

router = APIRouter(tags=["users"])

Password = Annotated[str, StringConstraints(min_length=10, max_length=200)]


class UserCreate(Strict):
    username: Annotated[str, StringConstraints(pattern=r"^[a-z0-9._-]{3,64}$")]
    full_name: Annotated[str, StringConstraints(max_length=120)] = ""
    role: Role
    region_code: Annotated[str, StringConstraints(max_length=13)]
    password: Password | None = None
    agency_id: uuid.UUID | None = Field(
        default=None, description="required for role agency: the agency it acts for"
    )


class UserOut(Out):
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    region_code: str
    agency_id: uuid.UUID | None
    is_active: bool
    created_at: datetime


class Me(Out):
    id: uuid.UUID
    username: str
    role: Role
    region_code: str


class _Secret(BaseModel):
    # Passwords are taken as typed: no whitespace stripped (the login form strips none either).
    model_config = ConfigDict(extra="forbid")


class PasswordReset(_Secret):
    password: Password


class PasswordChange(_Secret):
    current_password: Annotated[str, StringConstraints(max_length=200)]
    new_password: Password


class ApiKeyCreate(Strict):
    user_id: uuid.UUID
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    expires_at: AwareDatetime | None = Field(default=None, description="none: until revoked")


class ApiKeyRotate(Strict):
    old_valid_minutes: int = Field(
        default=0, ge=0, le=7 * 24 * 60, description="how long the old key still works (0: revoked now)"
    )
    expires_at: AwareDatetime | None = Field(default=None, description="the new key's expiry")


class ApiKeyOut(Out):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="to within a few minutes")


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="shown once; only its hash is stored")


_user_errors = problem_responses(401, 403, 404, 409, 422)


@router.get("/users/me", response_model=Me, responses=problem_responses(401))
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        id=principal.user_id,
        username=principal.username,
        role=principal.role,
        region_code=principal.region_code,
    )


@router.post("/users/me/password", response_model=Token, responses=problem_responses(401, 403, 422))
async def change_password(
    body: PasswordChange, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> Token:
    """The owner's new password. Every token issued before ends (other devices log in again); this answer
    carries a new one. A login lock-out of the name is lifted."""
    user = await users.change_own_password(session, principal, body.current_password, body.new_password)
    return issue_token(settings, user)


@router.post(
    "/users", status_code=201, response_model=UserOut, responses=problem_responses(401, 403, 409, 422)
)
async def create_user(body: UserCreate, principal: CurrentPrincipal, session: SessionDep) -> UserOut:
    """Admins, in their region; supervisors, in theirs, for operators, crews, community reporters and
    agency accounts of their region's agencies."""
    user = await users.create_user(
        session,
        username=body.username,
        role=body.role,
        region_code=body.region_code,
        password=body.password,
        full_name=body.full_name,
        agency_id=body.agency_id,
        by=principal,
    )
    return UserOut.model_validate(user)


@router.get("/users", response_model=list[UserOut], responses=problem_responses(401, 403, 422))
async def list_users(
    principal: CurrentPrincipal,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=64, description="part of the username or name")] = None,
    role: Role | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[UserOut]:
    """Accounts of the caller's region by username (admins, supervisors)."""
    rows = await users.list_users(
        session, principal, q=q, role=role, active=active, limit=limit, offset=offset
    )
    return [UserOut.model_validate(u) for u in rows]


@router.get("/users/{user_id}", response_model=UserOut, responses=problem_responses(401, 403, 404))
async def get_user(user_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> UserOut:
    user = await users.user_in_reach(session, principal, user_id)
    users.require_managers(principal)
    return UserOut.model_validate(user)


@router.post("/users/{user_id}/deactivate", response_model=UserOut, responses=_user_errors)
async def deactivate(user_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> UserOut:
    """Its tokens and API keys stop working at the next request; a crew member leaves his crews (as with
    PATCH /personnel/{id} active=false)."""
    return UserOut.model_validate(await users.set_active(session, principal, user_id, active=False))


@router.post("/users/{user_id}/reactivate", response_model=UserOut, responses=_user_errors)
async def reactivate(user_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> UserOut:
    """The account may log in again (its old tokens stay dead; a crew member rejoins through PATCH
    /personnel/{id})."""
    return UserOut.model_validate(await users.set_active(session, principal, user_id, active=True))


@router.post("/users/{user_id}/password", response_model=UserOut, responses=_user_errors)
async def reset_password(
    user_id: uuid.UUID, body: PasswordReset, principal: CurrentPrincipal, session: SessionDep
) -> UserOut:
    """A new password (admins; supervisors for their region's operators and crews): the account's tokens
    end and a login lock-out of its name is lifted."""
    return UserOut.model_validate(await users.reset_password(session, principal, user_id, body.password))


@router.post("/users/{user_id}/unlock", response_model=UserOut, responses=_user_errors)
async def unlock(user_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> UserOut:
    """Lifts a login lock-out of the account's name (admins; supervisors for their operators and crews)."""
    return UserOut.model_validate(await users.unlock(session, principal, user_id))


@router.post(
    "/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_api_key(
    body: ApiKeyCreate, principal: CurrentPrincipal, session: SessionDep
) -> ApiKeyCreated:
    api_key, key = await api_keys.create(
        session, principal, user_id=body.user_id, name=body.name, expires_at=body.expires_at
    )
    return ApiKeyCreated.model_validate({**ApiKeyOut.model_validate(api_key).model_dump(), "key": key})


@router.get("/api-keys", response_model=list[ApiKeyOut], responses=problem_responses(401, 403))
async def list_api_keys(
    principal: CurrentPrincipal, session: SessionDep, user_id: uuid.UUID | None = None
) -> list[ApiKeyOut]:
    """Keys of the accounts in the caller's region, newest first, with their last use (admins)."""
    return [ApiKeyOut.model_validate(k) for k in await api_keys.listed(session, principal, user_id=user_id)]


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyOut, responses=_user_errors)
async def revoke_api_key(key_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> ApiKeyOut:
    """The key stops working at once, on every worker."""
    return ApiKeyOut.model_validate(await api_keys.revoke(session, principal, key_id))


@router.post(
    "/api-keys/{key_id}/rotate", status_code=201, response_model=ApiKeyCreated, responses=_user_errors
)
async def rotate_api_key(
    key_id: uuid.UUID, body: ApiKeyRotate, principal: CurrentPrincipal, session: SessionDep
) -> ApiKeyCreated:
    """A new key for the same account and name; the old one is revoked now or after `old_valid_minutes`."""
    api_key, key = await api_keys.rotate(
        session, principal, key_id, old_valid_minutes=body.old_valid_minutes, expires_at=body.expires_at
    )
    return ApiKeyCreated.model_validate({**ApiKeyOut.model_validate(api_key).model_dump(), "key": key})
