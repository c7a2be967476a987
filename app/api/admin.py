"""Administration: the personal-data audit trail (admins only). Accounts and API keys: app/api/users.py."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import CurrentPrincipal, SessionDep
from app.models import Role
from app.schemas.common import INT64_MAX, AnyInstant, Out, problem_responses
from app.services import audit
from app.services.access import require

router = APIRouter(tags=["admin"])


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
