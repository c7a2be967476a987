"""Idempotency-Key: a retried request returns the first response and creates nothing new.

The key's row is written in the same transaction as what the request created, so either both exist or
neither. A retry, or two concurrent requests with one key: the later commit hits the unique constraint, it
rolls back and answers with what the first stored. Only ids are stored, never the body, so no personal data
is copied here; the response is rendered again from the rows.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import append, commit, new_row, rollback
from app.errors import DomainError, Unprocessable
from app.models import IdempotencyKey
from app.models.base import new_id, utcnow

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    resource_id: uuid.UUID
    status_code: int
    replayed: bool
    # What `create` returned, when it ran (not on a replay).
    created: T | None = None


def request_hash(body: BaseModel) -> str:
    payload = body.model_dump(mode="json")
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


async def _find(session: AsyncSession, scope: str, key: str) -> IdempotencyKey | None:
    return await session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    )


def _replay(row: IdempotencyKey, digest: str) -> Outcome[Any]:
    if row.request_hash != digest:
        raise Unprocessable(
            "this Idempotency-Key was already used with a different request body",
            field="header.Idempotency-Key",
        )
    return Outcome(uuid.UUID(str(row.response_body["id"])), row.status_code, replayed=True)


async def run_once(
    session: AsyncSession,
    *,
    scope: str,
    key: str | None,
    body: BaseModel,
    create: Callable[[], Awaitable[T]],
    resource_id: Callable[[T], uuid.UUID],
    status_code: int = 201,
) -> Outcome[T]:
    """Runs `create` and commits, unless `key` was seen in `scope` (with the same `body`, else 422): then
    returns the first outcome.

    Optimistic: the key's row is written with what `create` made, and only when that fails (the key's
    unique constraint, or an error that a retry of a request that once succeeded could meet) is the key
    looked up. So a first attempt, the common case, reads nothing. This function owns the commit of its
    unit of work, because only the commit tells who won a race.
    """
    try:
        created = await create()
        made = resource_id(created)
        if key is not None:
            append(
                session,
                new_row(
                    IdempotencyKey,
                    id=new_id(),
                    scope=scope,
                    key=key,
                    request_hash=request_hash(body),
                    status_code=status_code,
                    response_body={"id": str(made)},
                    created_at=utcnow(),
                ),
            )
        await commit(session)
    except (IntegrityError, DomainError):
        await rollback(session)
        if key is None:
            raise
        found = await _find(session, scope, key)
        if found is None:
            raise
        return _replay(found, request_hash(body))
    return Outcome(made, status_code, replayed=False, created=created)


async def purge_expired(session: AsyncSession, *, ttl_hours: int) -> int:
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - timedelta(hours=ttl_hours))
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def act_once(
    session: AsyncSession,
    *,
    actor: uuid.UUID,
    action: str,
    key: str | None,
    body: BaseModel,
    act: Callable[[], Awaitable[T]],
    resource_id: Callable[[T], uuid.UUID],
) -> Outcome[T]:
    """An action (accept an offer, a crew's step, a transition) under an Idempotency-Key: a retry with the
    same key answers like the first time, even if the state moved on since; the same key with another body
    is a 422. Without a key the action still runs once per call (each action is written so that repeating
    it changes nothing)."""
    # The scope column is short: the action (its route and ids) is kept as a digest.
    return await run_once(
        session,
        scope=f"{actor}:{hashlib.sha256(action.encode()).hexdigest()[:24]}",
        key=key,
        body=body,
        create=act,
        resource_id=resource_id,
        status_code=200,
    )
