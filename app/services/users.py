"""Accounts: creation, password login, API keys."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import security
from app.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from app.models import Agency, ApiKey, Role, User
from app.reference import regions
from app.services.access import Principal, in_region


def _check_region(role: Role, region_code: str) -> None:
    if region_code == "":
        if role != Role.admin:
            raise Unprocessable(
                "only admins may have a national scope; give a region code", field="region_code"
            )
        return
    if not regions.exists(region_code):
        raise Unprocessable(f"unknown region code {region_code}", field="region_code")


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    role: Role,
    region_code: str,
    password: str | None,
    full_name: str = "",
    agency_id: uuid.UUID | None = None,
    by: Principal | None = None,
) -> User:
    _check_region(role, region_code)
    if (agency_id is not None) != (role == Role.agency):
        raise Unprocessable("agency accounts, and only they, name the agency they act for", field="agency_id")
    if agency_id is not None:
        agency = await session.get(Agency, agency_id)
        if agency is None or not regions.within(agency.region_code, region_code):
            raise Unprocessable(f"agency {agency_id} not found in region {region_code}", field="agency_id")
    if by is not None:
        if by.role != Role.admin:
            raise Forbidden("only admins create users")
        if not by.sees_region(region_code):
            raise Forbidden(f"region {region_code or 'ID'} is outside your region {by.region_code or 'ID'}")
    if await session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"username {username!r} is taken")
    user = User(
        username=username,
        role=role,
        region_code=region_code,
        full_name=full_name,
        password_hash=security.hash_password(password) if password else None,
        agency_id=agency_id,
    )
    session.add(user)
    await session.flush()
    return user


async def authenticate(session: AsyncSession, username: str, password: str) -> User:
    user = await session.scalar(select(User).where(User.username == username))
    ok = security.verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        raise Unauthorized("wrong username or password, or the account is disabled")
    return user


async def principal_for_api_key(session: AsyncSession, key: str) -> Principal | None:
    row = (
        await session.execute(
            select(User)
            .join(ApiKey, ApiKey.user_id == User.id)
            .where(ApiKey.key_hash == security.hash_api_key(key), ApiKey.revoked_at.is_(None), User.is_active)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return Principal(row.id, row.username, Role(row.role), row.region_code, via_api_key=True)


async def create_api_key(
    session: AsyncSession, principal: Principal, *, user_id: uuid.UUID, name: str
) -> tuple[ApiKey, str]:
    if principal.role != Role.admin:
        raise Forbidden("only admins create API keys")
    user = await session.scalar(select(User).where(User.id == user_id))
    if user is None or not principal.sees_region(user.region_code or ""):
        raise NotFound(f"user {user_id} not found")
    key, prefix, digest = security.new_api_key()
    api_key = ApiKey(user_id=user.id, name=name, prefix=prefix, key_hash=digest)
    session.add(api_key)
    await session.flush()
    return api_key, key


async def list_users(session: AsyncSession, principal: Principal) -> list[User]:
    if principal.role != Role.admin:
        raise Forbidden("only admins list users")
    q = select(User).order_by(User.username)
    if principal.region_code:
        q = q.where(in_region(User.region_code, principal.region_code))
    return list((await session.scalars(q)).all())
