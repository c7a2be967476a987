"""Password logins: limits per client address and per username, shared by every worker (database rows), and a
lock-out that an unknown username gets exactly as a known one does, so that no answer tells whether an
account exists."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import logs, security
from app.errors import TooManyRequests, Unauthorized
from app.models import LoginFailures, User
from app.models.base import utcnow
from app.services import ratelimit
from app.settings import Settings

log = logging.getLogger("tanggap.logins")
WRONG = "nama pengguna atau kata sandi salah, atau akun dinonaktifkan"


def username_key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()


async def login(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    username: str,
    password: str,
    client_ip: str | None,
) -> User:
    """The account these credentials open. Refused alike for an unknown name, a wrong password and an
    inactive account (401), or for a locked name (429), whether or not the account exists. Each step is a
    short transaction of its own: a failure is recorded although the request answers with an error."""
    await ratelimit.hit(maker, f"login:{client_ip}", limit=settings.login_address_limit, window_s=60)
    key = username_key(username)
    async with maker() as session:
        state = await session.get(LoginFailures, key)
        user = await session.scalar(select(User).where(User.username == username))
    now = utcnow()
    if state is not None and state.locked_until is not None and state.locked_until > now:
        log.warning("login refused: the name is locked", extra={"reason": "locked"})
        _refuse_locked(int((state.locked_until - now).total_seconds()) + 1)
    # An unknown name is checked against a dummy hash: as slow as a known one.
    ok = security.verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        locked_for = await _failed(maker, key, settings)
        # Neither the name, nor whether it exists, nor the address: only that a login failed.
        log.warning("login refused", extra={"reason": "credentials", "locks_name": bool(locked_for)})
        if locked_for:
            _refuse_locked(locked_for)
        raise Unauthorized(WRONG)
    if state is not None:
        async with maker() as session:
            await clear(session, username)
            await session.commit()
    logs.set_user(user.id)
    return user


def _refuse_locked(seconds: int) -> None:
    # Whole minutes, rounded up: a 15-minute lock reads "15 menit" from its first second to its 60th-to-last
    # (it read 16 at first and 15 a second later: two names locked a second apart were told different things).
    raise TooManyRequests(
        f"terlalu banyak percobaan masuk yang gagal untuk nama ini; coba lagi dalam {-(-seconds // 60)} "
        "menit, atau minta admin atau supervisor membuka kuncinya atau mengatur ulang kata sandi",
        retry_after=seconds,
    )


async def _failed(maker: async_sessionmaker[AsyncSession], key: str, settings: Settings) -> int:
    """Counts a failure for the name; returns the seconds of a lock-out it starts, else 0."""
    now = utcnow()
    period = timedelta(minutes=settings.login_lockout_minutes)
    async with maker() as session:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LoginFailures)
        await session.execute(
            ins.values(username_key=key, failures=0, last_failure_at=now).on_conflict_do_nothing()
        )
        row = await session.get(LoginFailures, key, with_for_update=True, populate_existing=True)
        assert row is not None
        lock_over = row.locked_until is not None and row.locked_until <= now
        if lock_over or row.last_failure_at < now - period:
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = now
        locked_for = 0
        if row.failures >= settings.login_max_failures:
            row.locked_until = now + period
            locked_for = int(period.total_seconds())
        await session.commit()
    return locked_for


async def clear(session: AsyncSession, username: str) -> bool:
    """Forgets the name's failures, lifting its lock-out, in the caller's unit of work; whether it had any."""
    result = await session.execute(
        delete(LoginFailures).where(LoginFailures.username_key == username_key(username))
    )
    return bool(getattr(result, "rowcount", 0))


async def forget_old(session: AsyncSession, *, older_than: timedelta) -> int:
    """Housekeeping: names whose last failure is old and that are not locked."""
    now = utcnow()
    result = await session.execute(
        delete(LoginFailures).where(
            LoginFailures.last_failure_at < now - older_than,
            (LoginFailures.locked_until.is_(None)) | (LoginFailures.locked_until < now),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
