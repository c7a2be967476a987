"""Social-media posts from a monitoring tool, and inbound sources."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, Field, StringConstraints

from app.schemas.common import (
    DESCRIPTION_MAX,
    CategoryCode,
    Latitude,
    Longitude,
    Out,
    PastTime,
    RegionCode,
    Strict,
)
from app.schemas.triage import SuggestionOut


class Geo(Strict):
    lat: Latitude
    lon: Longitude


class SocialPostIn(Strict):
    """A post as a monitoring tool found it (one normalised shape for every platform)."""

    platform: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,24}$")] = Field(
        description="x, facebook, instagram, tiktok, ..."
    )
    post_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    author_handle: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=DESCRIPTION_MAX)]
    url: AnyHttpUrl | None = None
    posted_at: PastTime
    geo: Geo | None = None
    place_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    repost_of: Annotated[str, StringConstraints(max_length=128)] | None = Field(
        default=None, description="the post id this one shares, on the same platform"
    )
    region_code: RegionCode | None = Field(
        default=None, description="the team's kab/kota; the caller's if empty"
    )


class SocialPostOut(Out):
    id: uuid.UUID
    platform: str
    post_id: str
    author_handle: str
    text: str
    url: str | None
    posted_at: datetime
    region_code: str
    suggestion: SuggestionOut
    story_of_id: uuid.UUID | None
    report_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    received_at: datetime


class SocialIntakeOut(SocialPostOut):
    duplicate: bool = Field(description="the same post was taken before; nothing new was recorded")
    set_aside: bool = Field(
        default=False,
        description="read as not a case (suggestion.not_case): kept and searchable, no incident opened",
    )
    incident_priority: int | None = None
    incident_status: str | None = None


class PostToReport(Strict):
    """An operator turns a set-aside post into a report after all."""

    category: CategoryCode | None = Field(default=None, description="the triage's guess if empty")


class InboundSourceIn(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]
    kind: Literal["social_media", "reports"]
    user_id: uuid.UUID = Field(
        description="the account its messages are recorded as (its role and region apply)"
    )


class InboundSourceOut(Out):
    id: uuid.UUID
    name: str
    kind: str
    region_code: str
    user_id: uuid.UUID
    active: bool
    created_at: datetime


class InboundSourceCreated(InboundSourceOut):
    secret: str = Field(description="the signing secret (whsec_...); shown once")


InboundResult = dict[str, Any]
