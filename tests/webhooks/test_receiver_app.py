"""`tanggap receiver`: accepts what Tanggap signs, refuses anything else."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from app import receiver
from app.services.webhooks import signing


async def test_receiver_checks_signatures() -> None:
    secret = signing.new_secret()
    lines: list[str] = []
    app = receiver.create(secret, lines.append)
    body = json.dumps({"type": "referral.created", "data": {"incident": {"id": "i-1", "category": "OT"}}})
    good = signing.headers("msg_1", datetime.now(UTC), body, [secret])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rx") as c:
        assert (await c.post("/hook", content=body, headers=good)).status_code == 204
        bad = signing.headers("msg_2", datetime.now(UTC), body, [signing.new_secret()])
        assert (await c.post("/hook", content=body, headers=bad)).status_code == 401
    assert json.loads(lines[0])["type"] == "referral.created"
    assert lines[1].startswith("REFUSED msg_2")
