"""API keys for integrations (admins): created with an optional expiry, listed with their last use, revoked,
rotated. A key is checked against the database on every request, so a revocation counts at once on every
worker. Every change is audited."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import security
from app.db import lookup
from app.errors import Conflict, NotFound, Unprocessable
from app.models import ApiKey, Role, User
from app.models.base import utcnow
from app.services import audit, scoped
from app.services.access import Principal, in_region, require

# How stale last_used_at may be: it is written when older than this, not on every request.
LAST_USED_GRANULARITY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class KeyUse:
    principal: Principal
    key_id: uuid.UUID
    last_used_at: datetime | None


async def principal_for_key(engine: AsyncEngine, key: str, client_ip: str | None) -> KeyUse | None:
    """The caller of a key not revoked, not expired, of an active account: one lookup by unique index."""
    now = utcnow()
    row = await lookup(
        engine,
        select(User.id, User.username, User.role, User.region_code, ApiKey.id.label("key_id"))
        .add_columns(ApiKey.last_used_at)
        .join(ApiKey, ApiKey.user_id == User.id)
        .where(
            ApiKey.key_hash == security.hash_api_key(key),
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
            User.is_active,
        ),
    )
    if row is None:
        return None
    principal = Principal(
        row.id, row.username, Role(row.role), row.region_code, client_ip=client_ip, via_api_key=True
    )
    return KeyUse(principal, row.key_id, row.last_used_at)


async def note_use(maker: async_sessionmaker[AsyncSession], use: KeyUse) -> None:
    """Records when a key was last used, every few minutes at most, in a transaction of its own (so that
    concurrent requests with one key never wait for each other on its row)."""
    now = utcnow()
    if use.last_used_at is not None and use.last_used_at > now - LAST_USED_GRANULARITY:
        return
    async with maker() as session:
        await session.execute(update(ApiKey).where(ApiKey.id == use.key_id).values(last_used_at=now))
        await session.commit()


def _audit(session: AsyncSession, by: Principal, key: ApiKey, user: User, action: str, purpose: str) -> None:
    audit.record(
        session,
        by,
        action=action,
        entity_type="api_key",
        entity_id=key.id,
        fields=["api_key"],
        region_code=user.region_code,
        purpose=f"{purpose} ({key.prefix}…, akun {user.username}): {key.name}"[:120],
    )


def _check_expiry(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= utcnow():
        raise Unprocessable("tanggal kedaluwarsa sudah lewat", field="expires_at")


async def create(
    session: AsyncSession,
    by: Principal,
    *,
    user_id: uuid.UUID,
    name: str,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key for an account of the caller's region; the key is returned once, only its hash kept."""
    require(by, (Role.admin,), "create API keys")
    user = await session.get(User, user_id)
    if user is None or not by.sees_region(user.region_code):
        raise NotFound(f"akun {user_id} tidak ditemukan")
    _check_expiry(expires_at)
    key, prefix, digest = security.new_api_key()
    api_key = ApiKey(user_id=user.id, name=name, prefix=prefix, key_hash=digest, expires_at=expires_at)
    session.add(api_key)
    await session.flush()
    _audit(session, by, api_key, user, "key_create", "kunci API dibuat")
    return api_key, key


async def listed(session: AsyncSession, by: Principal, *, user_id: uuid.UUID | None) -> Sequence[ApiKey]:
    """Keys of the accounts in the caller's region (never the keys themselves), newest first."""
    require(by, (Role.admin,), "list API keys")
    q = select(ApiKey).join(User, User.id == ApiKey.user_id).order_by(ApiKey.created_at.desc())
    if by.region_code:
        q = q.where(in_region(User.region_code, by.region_code))
    if user_id is not None:
        q = q.where(ApiKey.user_id == user_id)
    return (await session.scalars(q)).all()


async def _in_reach(session: AsyncSession, by: Principal, key_id: uuid.UUID) -> tuple[ApiKey, User]:
    key = await scoped.find(session, by, ApiKey, key_id, lock=True)
    require(by, (Role.admin,), "manage API keys")
    return key, await session.get_one(User, key.user_id)


async def revoke(session: AsyncSession, by: Principal, key_id: uuid.UUID) -> ApiKey:
    """Ends a key now (again: nothing changes)."""
    key, user = await _in_reach(session, by, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        _audit(session, by, key, user, "key_revoke", "kunci API dicabut")
    return key


async def rotate(
    session: AsyncSession,
    by: Principal,
    key_id: uuid.UUID,
    *,
    old_valid_minutes: int,
    expires_at: datetime | None,
) -> tuple[ApiKey, str]:
    """A new key for the same account and name; the old one is revoked now, or expires after
    `old_valid_minutes` so that the integration can switch over."""
    old, user = await _in_reach(session, by, key_id)
    now = utcnow()
    if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= now):
        raise Conflict("kunci API ini sudah dicabut atau kedaluwarsa; buat kunci baru")
    _check_expiry(expires_at)
    if old_valid_minutes == 0:
        old.revoked_at = now
    else:
        until = now + timedelta(minutes=old_valid_minutes)
        old.expires_at = min(old.expires_at, until) if old.expires_at else until
    key, prefix, digest = security.new_api_key()
    new = ApiKey(user_id=user.id, name=old.name, prefix=prefix, key_hash=digest, expires_at=expires_at)
    session.add(new)
    await session.flush()
    _audit(session, by, old, user, "key_rotate", f"kunci API diganti dengan {new.prefix}…")
    _audit(session, by, new, user, "key_create", "kunci API pengganti dibuat")
    return new, key
