"""What crews and operators send and get about offers and dispatch by hand (app/api/offers.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, StringConstraints

from app.dispatch.crewflow import OfferStatus
from app.schemas.common import Out, Strict

ClientTime = Field(
    default=None,
    description="when the crew answered, from the phone's clock: an answer sent in time from a place "
    "without signal still counts (at most 2 min ahead of the server, 24 h old)",
)


class OfferOut(Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    crew_id: uuid.UUID
    status: OfferStatus
    attempt: int
    offered_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    answered_at_client: datetime | None
    decline_reason: str | None
    source: str
    decision: dict[str, Any]
    released_at: datetime | None
    release_reason: str | None


class AcceptIn(Strict):
    at: AwareDatetime | None = ClientTime


class DeclineIn(Strict):
    reason: Annotated[str, StringConstraints(min_length=3, max_length=200)]
    at: AwareDatetime | None = ClientTime


class ManualDispatchIn(Strict):
    crew_id: uuid.UUID
    reason: Annotated[str, StringConstraints(min_length=3, max_length=200)]
