"""Web Push: the subscriptions of crews' and supervisors' phones, and the messages queued for them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow


class PushSubscription(Base):
    """What a browser's `PushManager.subscribe()` returns for one device of one user (the endpoint of its
    push service and the keys to encrypt for it). A 404 or 410 from the push service removes it."""

    __tablename__ = "push_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sent_at: Mapped[datetime | None]


class PushMessage(Base):
    """A push to one subscription, written in the same transaction as what it announces (an offer, a
    handover, an escalation), sent by the push sender of any worker, retried until it expires."""

    __tablename__ = "push_messages"
    __table_args__ = (Index("ix_push_messages_status_due", "status", "due_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Web Push's Urgency ("high" for what a crew must answer now) and Topic (a newer message replaces it).
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    topic: Mapped[str | None] = mapped_column(String(32))
    # Not worth delivering after this (an offer's expiry).
    expires_at: Mapped[datetime]
    # pending, sent, expired, failed, gone (the subscription was removed)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
