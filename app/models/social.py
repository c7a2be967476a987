from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, new_id, utcnow


class SocialPost(Base):
    """A post found by a monitoring tool, the triage's suggestion, and the report it became.

    The same post (platform and post id) is taken once; a repost of a story already reported is linked to
    the first post (`story_of_id`) and its report joins the same incident."""

    __tablename__ = "social_posts"
    __table_args__ = (
        UniqueConstraint("platform", "post_id", name="uq_social_posts_platform_post"),
        Index("ix_social_posts_region_posted", "region_code", "posted_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    platform: Mapped[str] = mapped_column(String(24))
    post_id: Mapped[str] = mapped_column(String(128))
    author_handle: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    posted_at: Mapped[datetime]
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    place_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(13))
    # Normalised words of the text, to find reposts of the same story.
    fingerprint: Mapped[list[str]] = mapped_column(default=list)
    suggestion: Mapped[dict[str, Any]] = mapped_column(default=dict)
    story_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("social_posts.id"))
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"))
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
