"""Social-media intake: a post found by a monitoring tool becomes a report that waits for an operator.

The same post (platform and id) is taken once. A repost of a story already reported (it says which post it
shares, or its words are mostly the same as a post of the last three days in the same kab/kota) is linked to
the first post, and its report joins that post's incident while it is open. The triage (app/triage/)
suggests the category, the flags (so the priority rules apply: "ODGJ ngamuk" is P1) and the place; the
incident is never dispatched before an operator verifies it. A post the triage reads as not a case
(figurative "gila", news, an advert, a question, a follow-up saying it was handled, a denial) is set aside
with its reason: kept and searchable, no incident, until an operator reports it after all."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.db import after_rows, append
from app.dispatch.lifecycle import OPEN_STATUSES
from app.errors import Conflict, Forbidden, Unprocessable
from app.models import Incident, Report, SocialPost
from app.models.base import new_id, utcnow
from app.schemas.reports import ReportCreate
from app.schemas.social import PostToReport, SocialPostIn
from app.services import events, intake, scoped
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

    @property
    def set_aside(self) -> bool:
        return self.post.report_id is None


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
    )
    if suggestion.not_case and incident_id is None:
        # Not a case: kept for a glance and for search, no incident (an operator can still report it).
        append(session, post)
        events.record(
            session,
            "social.set_aside",
            actor=principal,
            region_code=regency,
            data={
                "post": f"{body.platform}:{body.post_id}",
                "reason": suggestion.not_case,
                "reason_text": suggestion.not_case_text,
            },
        )
        return Ingested(post, False, None, None)
    category = suggestion.category if suggestion.confidence >= MIN_CONFIDENCE else "unknown"
    report, incident = await _report(session, principal, post, suggestion, category, incident_id)
    post.report_id, post.incident_id = report.id, report.incident_id
    # Written at commit after the report and its incident (app/db.py `append`).
    append(session, post)
    return Ingested(post, False, incident.priority, incident.status)


async def _report(
    session: AsyncSession,
    principal: Principal,
    post: SocialPost,
    suggestion: engine.Suggestion,
    category: str,
    incident_id: uuid.UUID | None,
) -> tuple[Report, Incident]:
    """The post's report (and the incident it opens or joins), with the social.triaged event."""
    report, incident = await intake.submit_to_incident(
        session,
        principal,
        ReportCreate.model_validate(
            {
                "channel": "social_media",
                "received_at": post.posted_at,
                "reporter": {"name": post.author_handle[:120]},
                "location": {
                    "region_code": suggestion.region_code or post.region_code,
                    **({"lat": post.lat, "lon": post.lon} if post.lat is not None else {}),
                    "landmark": (post.place_name or suggestion.place),
                },
                "category": category,
                "description": post.text,
                "subject": {"flags": list(suggestion.flags)},
                "external_ref": post.url or f"{post.platform}:{post.post_id}",
                "incident_id": incident_id,
            }
        ),
        suggestion=suggestion,
    )
    events.record(
        session,
        "social.triaged",
        actor=principal,
        incident_id=report.incident_id,
        region_code=report.region_code,
        data={
            "post": f"{post.platform}:{post.post_id}",
            "suggested": suggestion.category,
            "confidence": suggestion.confidence,
            "flags": list(suggestion.flags),
            "urgent": suggestion.urgent,
            "place": suggestion.place,
            "not_case": suggestion.not_case,
            "story_of": str(post.story_of_id) if post.story_of_id else None,
        },
    )
    return report, incident


async def set_aside(
    session: AsyncSession, principal: Principal, *, reason: str | None = None, limit: int = 50
) -> Sequence[SocialPost]:
    """Posts of the caller's region read as not a case (and not reported since), newest first."""
    require(principal, TRIAGE, "read social-media posts")
    q = select(SocialPost).where(SocialPost.report_id.is_(None))
    if principal.region_code:
        q = q.where(SocialPost.region_code.startswith(principal.region_code.split(".")[0]))
    rows = (await session.scalars(q.order_by(SocialPost.posted_at.desc()).limit(limit * 4))).all()
    out = [p for p in rows if principal.sees_region(p.region_code)]
    if reason:
        out = [p for p in out if (p.suggestion or {}).get("not_case") == reason]
    return out[:limit]


async def report_post(
    session: AsyncSession, principal: Principal, post_id: uuid.UUID, body: PostToReport
) -> Ingested:
    """An operator overrules the triage: a set-aside post becomes a report and an incident."""
    post = await scoped.find(session, principal, SocialPost, post_id, lock=True)
    require(principal, TRIAGE, "submit social-media posts")
    if post.report_id is not None:
        raise Conflict(f"social post {post_id} is already a report", current_status="reported")
    suggestion = engine.suggest(post.text, region_scope=post.region_code, place_name=post.place_name)
    category = body.category or (
        suggestion.category if suggestion.confidence >= MIN_CONFIDENCE else "unknown"
    )
    report, incident = await _report(session, principal, post, suggestion, category, None)
    # The report is written at commit, after the ORM's flush: the post is linked to it after that.
    after_rows(
        session,
        update(SocialPost)
        .where(SocialPost.id == post.id)
        .values(report_id=report.id, incident_id=report.incident_id, suggestion=suggestion.as_dict()),
    )
    set_committed_value(post, "report_id", report.id)
    set_committed_value(post, "incident_id", report.incident_id)
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


async def posts_of(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID
) -> Sequence[SocialPost]:
    await scoped.find(session, principal, Incident, incident_id)
    require(principal, TRIAGE, "read social-media posts")
    q = select(SocialPost).where(SocialPost.incident_id == incident_id).order_by(SocialPost.posted_at)
    rows = (await session.scalars(q)).all()
    return [p for p in rows if principal.sees_region(p.region_code)]
