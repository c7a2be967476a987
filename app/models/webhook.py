"""Webhooks: agencies' endpoints, the deliveries that point at events (the outbox), every attempt, and the
signed inbound sources with the message ids already taken (replay protection)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, SealedJSON, new_id, utcnow


class WebhookEndpoint(Base):
    """Where an agency's system wants events, which ones, and how much personal data they may carry.

    `secrets` holds the signing secrets, newest first: [{"secret": "whsec_...", "expires_at": iso | null}],
    stored sealed (app/sealing.py); after a rotation the old one signs too until it expires (the overlap
    window). `lease_*` is the claim of the worker delivering to it now: one worker per endpoint, so
    deliveries arrive in order."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Event types (or "prefix.*"); empty = every type agencies receive.
    event_types: Mapped[list[str]] = mapped_column(default=list)
    # Only incidents in this area (defaults to the agency's).
    region_code: Mapped[str] = mapped_column(String(13))
    # Personal-data fields the payloads may carry (app/services/webhooks/payloads.py); none by default.
    personal_data: Mapped[list[str]] = mapped_column(default=list)
    secrets: Mapped[list[dict[str, Any]]] = mapped_column(SealedJSON(), default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    disabled_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One message to one endpoint: the event it carries, the body as signed, and where it stands.

    Per endpoint, deliveries go out in `id` order, one at a time: a later one waits while an earlier one is
    retried. `due_at` is when the next attempt may run."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_status_id", "endpoint_id", "status", "id"),
        Index("ix_webhook_deliveries_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id"))
    # The event's id, in `events` or, once archived, in `events_archive` (so no foreign key: a delivery made
    # long ago must not pin its event in the hot table).
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_seq: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(48))
    incident_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # The `webhook-id`: the same for every attempt and redelivery of one message, so receivers can dedupe.
    message_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    # pending, delivered, failed (retries exhausted or endpoint gone), cancelled
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    # "event", "redelivery" or "replay".
    origin: Mapped[str] = mapped_column(String(12), default="event")


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("webhook_deliveries.id"), index=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    latency_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(String(300))
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
    worker: Mapped[str] = mapped_column(String(64))


class OutboxCursor(Base):
    """How far a reader of the event log has got: id 1 the webhook fan-out, id 2 the match proposals for
    new reports (app/services/persons/proposals.py)."""

    __tablename__ = "outbox_cursor"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)


class InboundSource(Base):
    """A partner system that posts to `POST /api/v1/inbound/{name}`, signed like our own webhooks."""

    __tablename__ = "inbound_sources"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # "social_media" (posts from a monitoring tool) or "reports" (reports in the API's own shape).
    kind: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(13))
    # The account its messages are recorded as (role and region apply as for any caller).
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    secrets: Mapped[list[dict[str, Any]]] = mapped_column(SealedJSON(), default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMessage(Base):
    """A `webhook-id` taken from a source: a replay of it is answered with the first result, once."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("source_id", "message_id", name="uq_inbound_messages_source_message"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbound_sources.id"))
    message_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status_code: Mapped[int]
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
