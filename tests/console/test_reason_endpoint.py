"""POST /konsol/alasan: an event's dispatch reason in the reader's language for the live alerts, by its code
(the stored text when the code is unknown); a session and its CSRF token needed; nothing read or changed."""

from __future__ import annotations

import httpx

from app.dispatch import reasons
from app.dispatch.reasons import Reason
from tests.conftest import Actor
from tests.console.test_session import page_csrf, sign_in


async def test_a_reason_in_the_reader_s_language_by_its_code(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    why = Reason("handover.waits", why=reasons.summarise({}, on_duty=0, qualified_if_free=0).text)
    body = {"why": why.data(), "text": str(why)}
    assert (await client.post("/konsol/alasan", json=body)).status_code in (303, 401)  # not signed in
    await sign_in(client, "t.supervisor")
    csrf = await page_csrf(client)
    refused = await client.post("/konsol/alasan", json=body)
    assert refused.status_code == 403  # no CSRF token
    headers = {"X-CSRF-Token": csrf}
    r = await client.post("/konsol/alasan", json=body, headers=headers)
    assert r.status_code == 200 and r.json() == {"text": "alih tugas: tidak ada regu yang bertugas saat ini"}
    await client.get("/konsol/bahasa/en")
    r = await client.post("/konsol/alasan", json=body, headers=headers)
    assert r.json() == {"text": "handover: no crew on duty now"}
    unknown = {"why": {"code": "later_code", "params": {}}, "text": "alasan baru"}
    assert (await client.post("/konsol/alasan", json=unknown, headers=headers)).json() == {
        "text": "alasan baru"
    }
    bad = await client.post("/konsol/alasan", content=b"{not json", headers=headers)
    assert bad.status_code == 400
