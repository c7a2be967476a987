"""Administration: users, API keys and the personal-data audit trail (admins only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field, StringConstraints

from app.api.deps import CurrentPrincipal, SessionDep
from app.models import Role
from app.schemas.common import INT64_MAX, AnyInstant, Out, Strict, problem_responses
from app.services import audit, users
from app.services.access import require

router = APIRouter(tags=["admin"])


class UserCreate(Strict):
    username: Annotated[str, StringConstraints(pattern=r"^[a-z0-9._-]{3,64}$")]
    full_name: Annotated[str, StringConstraints(max_length=120)] = ""
    role: Role
    region_code: Annotated[str, StringConstraints(max_length=13)]
    password: Annotated[str, StringConstraints(min_length=10, max_length=200)] | None = None
    agency_id: uuid.UUID | None = Field(
        default=None, description="required for role agency: the agency it acts for"
    )


class UserOut(Out):
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    region_code: str
    is_active: bool
    created_at: datetime


class ApiKeyCreate(Strict):
    user_id: uuid.UUID
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]


class ApiKeyCreated(Out):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str
    key: str = Field(description="shown once; only its hash is stored")


class AuditOut(Out):
    id: int
    at: datetime
    actor_id: uuid.UUID | None
    actor: str
    actor_role: str
    action: str
    entity_type: str
    entity_id: uuid.UUID
    fields: list[str]
    region_code: str
    purpose: str
    client_ip: str | None


class Me(Out):
    id: uuid.UUID
    username: str
    role: Role
    region_code: str


@router.get("/users/me", response_model=Me, responses=problem_responses(401))
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        id=principal.user_id,
        username=principal.username,
        role=principal.role,
        region_code=principal.region_code,
    )


@router.post(
    "/users", status_code=201, response_model=UserOut, responses=problem_responses(401, 403, 409, 422)
)
async def create_user(body: UserCreate, principal: CurrentPrincipal, session: SessionDep) -> UserOut:
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


@router.get("/users", response_model=list[UserOut], responses=problem_responses(401, 403))
async def list_users(principal: CurrentPrincipal, session: SessionDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await users.list_users(session, principal)]


@router.post(
    "/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_api_key(
    body: ApiKeyCreate, principal: CurrentPrincipal, session: SessionDep
) -> ApiKeyCreated:
    api_key, key = await users.create_api_key(session, principal, user_id=body.user_id, name=body.name)
    return ApiKeyCreated(
        id=api_key.id, user_id=api_key.user_id, name=api_key.name, prefix=api_key.prefix, key=key
    )


@router.get("/audit", response_model=list[AuditOut], responses=problem_responses(401, 403, 422))
async def search_audit(
    principal: CurrentPrincipal,
    session: SessionDep,
    actor_id: uuid.UUID | None = None,
    entity_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=16)] = None,
    since: AnyInstant | None = None,
    until: AnyInstant | None = None,
    before_id: Annotated[
        int | None, Query(ge=1, le=INT64_MAX, description="page: ids below this one")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditOut]:
    """Who read or changed personal data in the caller's region, newest first."""
    require(principal, (Role.admin,), "read the audit trail")
    rows = await audit.search(
        session,
        principal,
        actor_id=actor_id,
        entity_id=entity_id,
        action=action,
        since=since,
        until=until,
        before_id=before_id,
        limit=limit,
    )
    return [AuditOut.model_validate(r) for r in rows]
