from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    operator = "operator"
    crew = "crew"
    agency = "agency"
    reporter = "reporter"


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16))
    # Kemendagri code prefix the user works in; "" = all of Indonesia (national admins only).
    region_code: Mapped[str] = mapped_column(String(13), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Agency accounts: the agency they answer for (referrals, webhooks).
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Tokens carry the version they were issued under: raising it (deactivation, new password) ends them all.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """Keys for integrations. Only a SHA-256 is stored: keys are random, so a slow hash adds nothing."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # Written at most every few minutes (security.KEY_USE_GRANULARITY), not on every request.
    last_used_at: Mapped[datetime | None]


class LoginFailures(Base):
    """Failed logins per username, whether or not the account exists (so a lock-out says nothing about it)."""

    __tablename__ = "login_failures"

    # SHA-256 of the lower-cased username: unknown names tried by an attacker are not stored in clear.
    username_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class UsedTicket(Base):
    """Live tickets already used: a ticket opens one stream, on whichever worker, then never again."""

    __tablename__ = "used_tickets"

    ticket_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ConsoleSession(Base):
    """A console sign-in. The cookie names its row; signing out ends the row, so a copied cookie is dead
    after sign-out (the cookie alone cannot be recalled)."""

    __tablename__ = "console_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Set by signing out, or for every session of an account that is deactivated.
    ended_at: Mapped[datetime | None]
