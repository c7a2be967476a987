"""Social-media intake through the API, and signed inbound webhooks (bad and stale signatures, replay)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from tests.conftest import Actor, count

NOW = datetime.now(UTC)


def post(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "platform": "x",
        "post_id": "1850000000000000001",
        "author_handle": "@wargabatam",
        "text": "ODGJ ngamuk di simpang Jodoh, lempar batu ke mobil. Tolong segera!",
        "url": "https://x.com/wargabatam/status/1850000000000000001",
        "posted_at": (NOW - timedelta(minutes=3)).isoformat(),
    }
    body.update(overrides)
    return body


async def test_odgj_ngamuk_becomes_a_p1_suggested_report_waiting_for_verification(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    r = await client.post("/api/v1/social/posts", json=post(), headers=op.headers)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["suggestion"]["category"] == "ODGJ" and "agitated" in out["suggestion"]["flags"]
    assert out["incident_priority"] == 1 and out["incident_status"] == "received"
    assert not out["duplicate"]
    detail = (await client.get(f"/api/v1/incidents/{out['incident_id']}", headers=op.headers)).json()
    assert detail["status"] == "received" and detail["category"] == "ODGJ"
    assert detail["reports"][0]["channel"] == "social_media"
    assert "social.triaged" in [e["type"] for e in detail["timeline"]]
    # Nothing is offered to a crew before an operator verifies.
    assert "offer.made" not in [e["type"] for e in detail["timeline"]]
    # The same post again: nothing new.
    again = await client.post("/api/v1/social/posts", json=post(), headers=op.headers)
    assert again.status_code == 200 and again.json()["duplicate"]
    assert again.json()["report_id"] == out["report_id"]


async def test_reposts_join_the_story(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    first = (await client.post("/api/v1/social/posts", json=post(), headers=op.headers)).json()
    shared = await client.post(
        "/api/v1/social/posts",
        json=post(
            post_id="2",
            author_handle="@infobatam",
            text="RT: ODGJ ngamuk di simpang Jodoh",
            repost_of=first["post_id"],
        ),
        headers=op.headers,
    )
    assert shared.status_code == 201, shared.text
    # Same words, another account, no repost link: the same story too.
    copied = await client.post(
        "/api/v1/social/posts",
        json=post(
            post_id="3",
            platform="facebook",
            author_handle="Batam Info",
            text="ODGJ ngamuk di simpang Jodoh, lempar batu ke mobil!! tolong segera",
        ),
        headers=op.headers,
    )
    other = await client.post(
        "/api/v1/social/posts",
        json=post(post_id="4", text="Nenek terlantar tidur di emperan toko dekat Tiban Lama"),
        headers=op.headers,
    )
    for r in (shared, copied):
        assert r.json()["story_of_id"] == first["id"]
        assert r.json()["incident_id"] == first["incident_id"]
    assert other.json()["story_of_id"] is None and other.json()["incident_id"] != first["incident_id"]
    assert other.json()["suggestion"]["region_code"] == "21.71.03.1007"
    posts = (
        await client.get(f"/api/v1/incidents/{first['incident_id']}/social-posts", headers=op.headers)
    ).json()
    assert len(posts) == 3
    assert await count(db, "reports") == 4


async def test_bad_posts_and_callers(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    for bad in (
        post(platform="X!"),
        post(text=""),
        post(posted_at=(NOW + timedelta(days=1)).isoformat()),
        post(geo={"lat": 52.5, "lon": 13.4}),
        post(region_code="99.99"),
    ):
        r = await client.post("/api/v1/social/posts", json=bad, headers=op.headers)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
    for name, code in (("crew", 403), ("reporter", 403), ("agency", 403)):
        r = await client.post("/api/v1/social/posts", json=post(), headers=actors[name].headers)
        assert r.status_code == code
    r = await client.post("/api/v1/social/posts", json=post(region_code="35.09"), headers=op.headers)
    assert r.status_code == 403
    assert await count(db, "reports") == 0 and await count(db, "social_posts") == 0


def _signed(
    secret: str, body: dict[str, Any], msg_id: str, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body)
    at = at or datetime.now(UTC)
    return raw.encode(), {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, raw),
        "content-type": "application/json",
    }


async def test_inbound_webhooks_are_verified_and_replays_taken_once(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    sup = actors["supervisor"]
    r = await client.post(
        "/api/v1/inbound-sources",
        json={"name": "monitor-batam", "kind": "social_media", "user_id": str(actors["operator"].id)},
        headers=sup.headers,
    )
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    url = "/api/v1/inbound/monitor-batam"
    # A wrong secret, a stale timestamp, a tampered body, no signature: 401 and nothing written.
    wrong = "whsec_" + "A" * 43 + "="
    attempts = [
        _signed(wrong, post(), "msg_1"),
        _signed(secret, post(), "msg_1", NOW - timedelta(minutes=10)),
        (b'{"tampered": true}', _signed(secret, post(), "msg_1")[1]),
        (json.dumps(post()).encode(), {"content-type": "application/json"}),
    ]
    for raw, headers in attempts:
        r = await client.post(url, content=raw, headers=headers)
        assert r.status_code == 401, r.text
        assert r.headers["content-type"] == "application/problem+json"
    assert await count(db, "inbound_messages") == 0 and await count(db, "reports") == 0
    raw, headers = _signed(secret, post(), "msg_1")
    first = await client.post(url, content=raw, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["suggestion"]["category"] == "ODGJ"
    replay = await client.post(url, content=raw, headers=headers)
    assert replay.status_code == 200 and replay.headers["webhook-replayed"] == "true"
    assert replay.json() == first.json()
    assert await count(db, "reports") == 1 and await count(db, "inbound_messages") == 1
    r = await client.post("/api/v1/inbound/nobody", content=raw, headers=headers)
    assert r.status_code == 404
    # Signed but invalid content: 422, and the id is not used up.
    raw, headers = _signed(secret, post(text=""), "msg_2")
    r = await client.post(url, content=raw, headers=headers)
    assert r.status_code == 422 and await count(db, "inbound_messages") == 1


async def test_inbound_reports_source(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    r = await client.post(
        "/api/v1/inbound-sources",
        json={"name": "lapor-app", "kind": "reports", "user_id": str(actors["operator"].id)},
        headers=actors["supervisor"].headers,
    )
    secret = r.json()["secret"]
    from tests import factories

    raw, headers = _signed(secret, factories.report(channel="public_app"), "evt-9")
    r = await client.post("/api/v1/inbound/lapor-app", content=raw, headers=headers)
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"report_id", "incident_id"}


async def test_a_post_that_is_no_case_is_set_aside_and_can_be_reported_after_all(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    figurative = post(
        post_id="77", text="Gila ya harga cabe di pasar Jodoh sekarang, 120rb sekilo. Emak2 pada ngamuk"
    )
    r = await client.post("/api/v1/social/posts", json=figurative, headers=op.headers)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["set_aside"] and out["incident_id"] is None and out["report_id"] is None
    assert out["suggestion"]["not_case"] == "KIASAN" and out["suggestion"]["not_case_text"]
    assert await count(db, "reports") == 0 and await count(db, "social_posts") == 1
    listed = (await client.get("/api/v1/social/posts/set-aside", headers=op.headers)).json()
    assert [p["id"] for p in listed] == [out["id"]] and listed[0]["text"].startswith("Gila ya")
    by_reason = "/api/v1/social/posts/set-aside?reason=NEGASI"
    assert (await client.get(by_reason, headers=op.headers)).json() == []
    # Another kab/kota neither sees it nor reports it.
    other = actors["operator_jember"]
    assert (await client.get("/api/v1/social/posts/set-aside", headers=other.headers)).json() == []
    r = await client.post(f"/api/v1/social/posts/{out['id']}/report", json={}, headers=other.headers)
    assert r.status_code == 404
    # The operator overrules the triage: a report and an incident, once.
    r = await client.post(
        f"/api/v1/social/posts/{out['id']}/report", json={"category": "ODGJ"}, headers=op.headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["incident_id"] and not r.json()["set_aside"]
    detail = (await client.get(f"/api/v1/incidents/{r.json()['incident_id']}", headers=op.headers)).json()
    assert detail["category"] == "ODGJ" and detail["reports"][0]["channel"] == "social_media"
    again = await client.post(f"/api/v1/social/posts/{out['id']}/report", json={}, headers=op.headers)
    assert again.status_code == 409
    assert (await client.get("/api/v1/social/posts/set-aside", headers=op.headers)).json() == []
    assert await count(db, "reports") == 1


async def test_follow_ups_and_denials_are_set_aside(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    texts = {
        "SUDAH_DITANGANI": "Update: ODGJ yang ngamuk di Jodoh sudah dibawa TRC Dinsos ke RSJ. Terima kasih",
        "NEGASI": "Tolong jangan disebar, itu bukan ODGJ. Itu bapak saya, memang pendiam",
    }
    for i, (reason, text) in enumerate(texts.items()):
        r = await client.post(
            "/api/v1/social/posts", json=post(post_id=f"f{i}", text=text), headers=op.headers
        )
        assert r.status_code == 201 and r.json()["set_aside"], r.text
        assert r.json()["suggestion"]["not_case"] == reason
