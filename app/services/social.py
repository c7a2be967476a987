"""Social-media intake: a post found by a monitoring tool becomes a report that waits for an operator.

The same post (platform and id) is taken once. A repost of a story already reported (it says which post it
shares, or its words are mostly the same as a post of the last three days in the same kab/kota) is linked to
the first post, and its report joins that post's incident while it is open. The triage (app/triage/)
suggests the category, the flags (so the priority rules apply: "ODGJ ngamuk" is P1) and the place; the
incident is never dispatched before an operator verifies it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import append
from app.dispatch.lifecycle import OPEN_STATUSES
from app.errors import Forbidden, Unprocessable
from app.models import Incident, SocialPost
from app.models.base import new_id, utcnow
from app.schemas.reports import ReportCreate
from app.schemas.social import SocialPostIn
from app.services import events, intake
from app.services.access import TRIAGE, Principal, require
from app.triage import engine
from app.triage.text import words

STORY_WINDOW = timedelta(hours=72)
STORY_SIMILARITY = 0.6
# Below this confidence the category is left for the operator ("unknown").
MIN_CONFIDENCE = 0.2


def fingerprint(text: str) -> list[str]:
    return sorted({w for w in words(text) if len(w) > 2})


def similarity(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def _regency(principal: Principal, body: SocialPostIn) -> str:
    code = body.region_code or principal.region_code
    if code.count(".") < 1:
        raise Unprocessable("region_code is required (the team's kab/kota)", field="body.region_code")
    regency = ".".join(code.split(".")[:2])
    if not principal.sees_region(regency):
        raise Forbidden(f"region {regency} is outside your region {principal.region_code or 'ID'}")
    return regency


@dataclass(frozen=True, slots=True)
class Ingested:
    post: SocialPost
    duplicate: bool  # the same post was taken before: nothing recorded
    priority: int | None
    status: str | None


async def ingest(session: AsyncSession, principal: Principal, body: SocialPostIn) -> Ingested:
    require(principal, TRIAGE, "submit social-media posts")
    regency = _regency(principal, body)
    existing = await session.scalar(
        select(SocialPost).where(SocialPost.platform == body.platform, SocialPost.post_id == body.post_id)
    )
    if existing is not None:
        incident = await session.get(Incident, existing.incident_id) if existing.incident_id else None
        if incident is None:
            return Ingested(existing, True, None, None)
        return Ingested(existing, True, incident.priority, incident.status)
    suggestion = engine.suggest(body.text, region_scope=regency, place_name=body.place_name)
    prints = fingerprint(body.text)
    story = await _story(session, body, regency, prints)
    incident_id = None
    if story is not None and story.incident_id is not None:
        open_ = await session.scalar(
            select(Incident.id).where(
                Incident.id == story.incident_id, Incident.status.in_(list(OPEN_STATUSES))
            )
        )
        incident_id = open_
    category = suggestion.category if suggestion.confidence >= MIN_CONFIDENCE else "unknown"
    report, incident = await intake.submit_to_incident(
        session,
        principal,
        ReportCreate.model_validate(
            {
                "channel": "social_media",
                "received_at": body.posted_at,
                "reporter": {"name": body.author_handle[:120]},
                "location": {
                    "region_code": suggestion.region_code or regency,
                    **({"lat": body.geo.lat, "lon": body.geo.lon} if body.geo else {}),
                    "landmark": (body.place_name or suggestion.place),
                },
                "category": category,
                "description": body.text,
                "subject": {"flags": list(suggestion.flags)},
                "external_ref": str(body.url) if body.url else f"{body.platform}:{body.post_id}",
                "incident_id": incident_id,
            }
        ),
    )
    post = SocialPost(
        id=new_id(),
        received_at=utcnow(),
        platform=body.platform,
        post_id=body.post_id,
        author_handle=body.author_handle,
        text=body.text,
        url=str(body.url) if body.url else None,
        posted_at=body.posted_at,
        lat=body.geo.lat if body.geo else None,
        lon=body.geo.lon if body.geo else None,
        place_name=body.place_name,
        region_code=regency,
        fingerprint=prints,
        suggestion=suggestion.as_dict(),
        story_of_id=(story.story_of_id or story.id) if story else None,
        report_id=report.id,
        incident_id=report.incident_id,
    )
    # Written at commit after the report and its incident (app/db.py `append`).
    append(session, post)
    events.record(
        session,
        "social.triaged",
        actor=principal,
        incident_id=report.incident_id,
        region_code=report.region_code,
        data={
            "post": f"{body.platform}:{body.post_id}",
            "suggested": suggestion.category,
            "confidence": suggestion.confidence,
            "flags": list(suggestion.flags),
            "urgent": suggestion.urgent,
            "place": suggestion.place,
            "story_of": str(post.story_of_id) if post.story_of_id else None,
        },
    )
    return Ingested(post, False, incident.priority, incident.status)


async def _story(
    session: AsyncSession, body: SocialPostIn, regency: str, prints: list[str]
) -> SocialPost | None:
    if body.repost_of:
        shared = await session.scalar(
            select(SocialPost).where(
                SocialPost.platform == body.platform, SocialPost.post_id == body.repost_of
            )
        )
        if shared is not None:
            return shared
    recent = await session.scalars(
        select(SocialPost)
        .where(SocialPost.region_code == regency, SocialPost.posted_at >= body.posted_at - STORY_WINDOW)
        .order_by(SocialPost.posted_at)
        .limit(500)
    )
    best, score = None, STORY_SIMILARITY
    for post in recent:
        s = similarity(prints, post.fingerprint)
        if s >= score:
            best, score = post, s
    return best


async def posts_of(session: AsyncSession, principal: Principal, incident_id: object) -> Sequence[SocialPost]:
    require(principal, TRIAGE, "read social-media posts")
    q = select(SocialPost).where(SocialPost.incident_id == incident_id).order_by(SocialPost.posted_at)
    rows = (await session.scalars(q)).all()
    return [p for p in rows if principal.sees_region(p.region_code)]
