"""Accounts: who is calling (checked against the database on every request), creation by admins and by
supervisors for their region, deactivation, passwords, listing and search. Every change is audited."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import security
from app.db import lookup
from app.errors import Conflict, Forbidden, Unauthorized, Unprocessable
from app.models import Agency, ConsoleSession, Personnel, Role, User
from app.models.base import utcnow
from app.reference import regions
from app.schemas.crews import PersonnelPatch
from app.services import audit, logins, scoped
from app.services.access import Principal, in_region

# Supervisors make and end the accounts of their region's people; admins any account in their region.
SUPERVISOR_MANAGES = (Role.operator, Role.crew, Role.reporter, Role.agency)
# Whose password a supervisor may reset: his own staff, not outsiders' (agencies, community reporters).
SUPERVISOR_RESETS = (Role.operator, Role.crew)


def _check_region(role: Role, region_code: str) -> None:
    if region_code == "":
        if role != Role.admin:
            raise Unprocessable(
                "hanya admin yang boleh berlingkup nasional; isi kode wilayah", field="region_code"
            )
        return
    if not regions.exists(region_code):
        raise Unprocessable(f"kode wilayah {region_code} tidak dikenal", field="region_code")


def _may_manage(by: Principal, role: Role, roles: tuple[Role, ...], action: str) -> None:
    if by.role == Role.admin or (by.role == Role.supervisor and role in roles):
        return
    raise Forbidden(f"peran {by.role} tidak boleh {action} akun {role}")


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
    """An account; `by` None is the CLI or the seed (no caller to check, nothing to audit)."""
    _check_region(role, region_code)
    if (agency_id is not None) != (role == Role.agency):
        raise Unprocessable(
            "akun instansi, dan hanya akun instansi, menyebut instansi yang diwakilinya", field="agency_id"
        )
    if by is not None:
        _may_manage(by, role, SUPERVISOR_MANAGES, "membuat")
        if not by.sees_region(region_code):
            raise Forbidden(f"wilayah {region_code or 'ID'} di luar wilayah Anda {by.region_code or 'ID'}")
    if agency_id is not None:
        agency = await session.get(Agency, agency_id)
        if agency is None or not regions.within(agency.region_code, region_code):
            raise Unprocessable(
                f"instansi {agency_id} tidak ditemukan di wilayah {region_code}", field="agency_id"
            )
    if await session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"nama pengguna {username!r} sudah dipakai")
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
    if by is not None:
        _audit(session, by, user, "create", ["username", "full_name", "role", "region_code"], "akun dibuat")
    return user


async def principal_for_token(
    engine: AsyncEngine,
    claims: security.TokenClaims,
    client_ip: str | None,
    *,
    console_session: uuid.UUID | None = None,
) -> Principal | None:
    """The caller of a verified token, if the account is still active at the token's version: one lookup by
    primary key per request, on every worker, so a deactivation or a new password counts at once. Role and
    region come from the account, not from the token. A console cookie also names its server-side session,
    which must not have ended (signed out) or expired: checked in the same lookup."""
    statement = select(User.username, User.role, User.region_code, User.is_active, User.token_version).where(
        User.id == claims.user_id
    )
    if console_session is not None:
        statement = statement.join(ConsoleSession, ConsoleSession.user_id == User.id).where(
            ConsoleSession.id == console_session,
            ConsoleSession.ended_at.is_(None),
            ConsoleSession.expires_at > utcnow(),
        )
    row = await lookup(engine, statement)
    if row is None or not row.is_active or row.token_version != claims.version:
        return None
    return Principal(claims.user_id, row.username, Role(row.role), row.region_code, client_ip=client_ip)


def require_managers(principal: Principal) -> None:
    if principal.role not in (Role.admin, Role.supervisor):
        raise Forbidden(f"peran {principal.role} tidak boleh mengelola akun")


async def user_in_reach(session: AsyncSession, by: Principal, user_id: uuid.UUID) -> User:
    """The account, if it is in the caller's region (or the caller's own); 404 otherwise (whether or not
    it exists), before any role refusal."""
    return await scoped.find(session, by, User, user_id, lock=True)


def _audit(
    session: AsyncSession, by: Principal, user: User, action: str, fields: list[str], purpose: str
) -> None:
    audit.record(
        session,
        by,
        action=action,
        entity_type="user",
        entity_id=user.id,
        fields=fields,
        region_code=user.region_code,
        purpose=purpose,
    )


async def set_active(session: AsyncSession, by: Principal, user_id: uuid.UUID, *, active: bool) -> User:
    """Deactivates (its tokens and API keys stop working at the next request, on every worker; a crew
    member leaves his crews, as PATCH /personnel does) or reactivates an account (old tokens stay dead:
    the owner logs in again)."""
    user = await user_in_reach(session, by, user_id)
    _may_manage(by, Role(user.role), SUPERVISOR_MANAGES, "menonaktifkan" if not active else "mengaktifkan")
    if user.id == by.user_id:
        raise Conflict("akun sendiri tidak dapat dinonaktifkan atau diaktifkan kembali")
    if user.is_active == active:
        return user
    user.is_active = active
    if not active:
        user.token_version += 1
        await end_console_sessions(session, user.id)
        await _leave_crews(session, by, user)
    _audit(
        session,
        by,
        user,
        "reactivate" if active else "deactivate",
        ["is_active"],
        "akun diaktifkan kembali" if active else "akun dinonaktifkan",
    )
    return user


async def start_console_session(session: AsyncSession, user_id: uuid.UUID, expires_at: datetime) -> uuid.UUID:
    """A console sign-in kept on the server (its id goes into the cookie)."""
    row = ConsoleSession(user_id=user_id, expires_at=expires_at)
    session.add(row)
    await session.flush()
    return row.id


async def end_console_sessions(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID | None = None
) -> None:
    """Ends one console session of the account (signing out), or all of them (deactivation): a copy of the
    cookie is refused from the next request on, on every worker."""
    statement = update(ConsoleSession).where(
        ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None)
    )
    if session_id is not None:
        statement = statement.where(ConsoleSession.id == session_id)
    await session.execute(statement.values(ended_at=utcnow()))


async def _leave_crews(session: AsyncSession, by: Principal, user: User) -> None:
    from app.services import crews, dispatch

    person_id = await session.scalar(
        select(Personnel.id).where(Personnel.user_id == user.id, Personnel.active)
    )
    if person_id is not None:
        _, team = await crews.patch_personnel(session, by, person_id, PersonnelPatch(active=False))
        await dispatch.capacity_changed(session, team.region_code)


async def reset_password(session: AsyncSession, by: Principal, user_id: uuid.UUID, password: str) -> User:
    """A new password set by an admin, or a supervisor for his region's crews and operators: the account's
    tokens end and a lock-out of its name is lifted."""
    user = await user_in_reach(session, by, user_id)
    _may_manage(by, Role(user.role), SUPERVISOR_RESETS, "mengatur ulang kata sandi")
    await _set_password(session, user, password)
    _audit(session, by, user, "password_reset", ["password_hash"], "kata sandi diatur ulang")
    return user


async def change_own_password(
    session: AsyncSession, by: Principal, current_password: str, new_password: str
) -> User:
    """The owner's new password: his other sessions' tokens end, a lock-out of his name is lifted."""
    if by.via_api_key:
        raise Forbidden("kata sandi diganti dengan token masuk, bukan dengan kunci API")
    user = await session.get(User, by.user_id, with_for_update=True)
    if user is None:
        raise Unauthorized("akun tidak ditemukan")
    if not security.verify_password(current_password, user.password_hash):
        raise Unprocessable("kata sandi saat ini salah", field="current_password")
    if current_password == new_password:
        raise Unprocessable("kata sandi baru sama dengan yang lama", field="new_password")
    await _set_password(session, user, new_password)
    _audit(session, by, user, "password_change", ["password_hash"], "kata sandi diganti pemiliknya")
    return user


async def _set_password(session: AsyncSession, user: User, password: str) -> None:
    user.password_hash = security.hash_password(password)
    user.token_version += 1
    await logins.clear(session, user.username)


async def unlock(session: AsyncSession, by: Principal, user_id: uuid.UUID) -> User:
    """Lifts a login lock-out of the account's name (admins; supervisors for their region's staff)."""
    user = await user_in_reach(session, by, user_id)
    _may_manage(by, Role(user.role), SUPERVISOR_RESETS, "membuka kunci")
    if await logins.clear(session, user.username):
        _audit(session, by, user, "unlock", ["login_lock"], "kunci masuk dibuka")
    return user


async def list_users(
    session: AsyncSession,
    principal: Principal,
    *,
    q: str | None = None,
    role: Role | None = None,
    active: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[User]:
    """Accounts of the caller's region (admins, supervisors), by username; `q` searches username and name."""
    require_managers(principal)
    query = select(User).order_by(User.username).limit(limit).offset(offset)
    if principal.region_code:
        query = query.where(in_region(User.region_code, principal.region_code))
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                User.username.ilike(pattern, escape="\\"),
                User.full_name.ilike(pattern, escape="\\"),
            )
        )
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    return (await session.scalars(query)).all()
