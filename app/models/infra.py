"""Rows that keep requests safe to retry and public endpoints fair: idempotency keys, rate-limit windows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Who may replay it: a user id, or "public:<client address>".
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RateLimitWindow(Base):
    __tablename__ = "rate_limit_windows"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int]
