"""The incident page's actions and the alerts in a real browser (chromium) against a real server on
PostgreSQL with the demo data: priority changed by keyboard and swapped in place (no reload), a refused
action's reason shown and focused, a crew chosen from the list with its distance and sent by keyboard, a
4CT breach arriving live as a visual alert with a sound and a polite announcement; axe-core finds no serious
violation on the page with its new forms and on the board with its kecamatan table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, WebSocketRoute, expect

from app.dispatch import reasons
from app.dispatch.reasons import Reason, Refusal
from tests.console.test_browser import (
    AXE,
    CHROMIUM,
    browser,
    clear_of_a_shift_change,
    console,
)
from tests.live.test_streams import token
from tests.servers import Server, tanggap_server

__all__ = ["browser"]  # the module's browser fixture, shared
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium missing: run make install-test")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with tanggap_server("postgresql", tmp_path_factory.mktemp("actions"), env=clear_of_a_shift_change()) as s:
        yield s


async def report(server: Server, **overrides: Any) -> str:
    body = {
        "channel": "call_center",
        "location": {"region_code": "21.71.06.1003", "lat": 1.143, "lon": 104.0113},
        "category": "GEL",
        "description": "gelandangan tidur di emperan toko",
        **overrides,
    }
    headers = {"Authorization": f"Bearer {await token(server, 'operator.batam')}"}
    async with httpx.AsyncClient(base_url=server.base + "/api/v1", headers=headers) as c:
        r = await c.post("/reports", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["incident_id"])


async def no_serious_violations(page: Page) -> None:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


async def test_priority_changed_and_a_crew_sent_by_keyboard_on_the_incident_page(
    server: Server, browser: Browser
) -> None:
    incident_id = await report(server)
    page = await console(browser, server, "supervisor.batam", bypass_csp=True)
    await page.goto(f"{server.base}/konsol/insiden/{incident_id}")
    article = page.locator("#incident")
    await expect(article).to_contain_text("P3")
    await no_serious_violations(page)
    # A mark on the window: it survives an htmx swap, not a reload.
    await page.evaluate("window.notReloaded = true")
    # Nothing changed yet: the server refuses, the reason is shown and focused, the page stays.
    await page.locator("#change-reason").focus()
    await page.keyboard.type("cek ulang")
    await page.keyboard.press("Enter")
    error = page.locator("#action-error")
    await expect(error).to_contain_text("ubah kategori atau prioritas dulu")
    await expect(error).to_be_focused()
    # P2 chosen with the keyboard (ArrowUp from P3 in the list), a reason, Enter.
    await page.locator("#change-priority").focus()
    await page.keyboard.press("ArrowUp")
    await page.locator("#change-reason").focus()
    await page.keyboard.press("Control+a")
    await page.keyboard.type("lansia ikut tidur di sana")
    await page.keyboard.press("Enter")
    await expect(article.locator("h1 .badge")).to_contain_text("P2")
    await expect(article).to_contain_text("Prioritas diubah")
    await expect(article).to_contain_text("lansia ikut tidur di sana")
    await expect(error).to_be_empty()
    assert await page.evaluate("window.notReloaded") is True
    # The crews on duty with their distances; the second one chosen with the arrow key and sent.
    crews = page.locator("#dispatch tbody tr")
    await expect(crews.first).to_contain_text("km")
    radios = page.locator("#dispatch input[name=crew]:not([disabled])")
    assert await radios.count() >= 2
    second = await radios.nth(1).get_attribute("value")
    await radios.first.focus()
    await page.keyboard.press("ArrowDown")
    await expect(radios.nth(1)).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(page.locator("#dispatch-reason")).to_be_focused()
    await page.keyboard.type("regu ini sudah di Lubuk Baja")
    await page.keyboard.press("Enter")
    await expect(article).to_contain_text("Diberangkatkan manual")
    await expect(article.locator(".status").first).to_contain_text("Diberangkatkan")
    bearer = {"Authorization": f"Bearer {await token(server, 'supervisor.batam')}"}
    async with httpx.AsyncClient(base_url=server.base + "/api/v1", headers=bearer) as c:
        assert (await c.get(f"/incidents/{incident_id}")).json()["assigned_crew_id"] == second
    assert await page.evaluate("window.notReloaded") is True
    await no_serious_violations(page)
    await page.goto(f"{server.base}/konsol/papan")
    await expect(page.locator('#board tr[data-kecamatan="21.71.06"]')).to_be_visible()
    await no_serious_violations(page)
    await page.context.close()


async def test_a_4ct_breach_arrives_as_a_visual_alert_with_sound_and_a_polite_announcement(
    server: Server, browser: Browser
) -> None:
    page = await console(browser, server, "supervisor.batam")
    await page.locator("#sound").click()  # the gesture a browser wants before it plays a sound
    await expect(page.locator("#sound")).to_have_attribute("aria-pressed", "true")
    beeps = int(await page.evaluate("document.body.dataset.beeps || '0'"))
    # A P1 first reported 40 minutes ago: its 30-minute temu target is already missed.
    long_ago = (datetime.now(UTC) - timedelta(minutes=40)).isoformat()
    incident_id = await report(
        server,
        received_at=long_ago,
        category="ODGJ",
        subject={"flags": ["agitated"]},
        description="ODGJ ngamuk",
    )
    # Its temu breach (a later stage may be breached too, with an alert of its own, depending on the targets).
    alert = page.locator(f'#alerts .alert-item[data-kind="breach"][data-incident="{incident_id}"]').filter(
        has_text="Target 4CT terlewat: Temu"
    )
    await expect(alert).to_be_visible(timeout=8000)
    await expect(page.locator("#announce")).to_contain_text("Target 4CT terlewat")
    # The new P1 is the one role=alert; the breach goes to the polite region only.
    await expect(page.locator("#alert")).to_contain_text("P1")
    assert await page.locator("[role=alert]").count() == 1
    # The P1's beep and the breach's two (the second 300 ms after the first): waited for, not read at once.
    await page.wait_for_function(
        "n => parseInt(document.body.dataset.beeps || '0', 10) >= n", arg=beeps + 3, timeout=3000
    )
    await alert.locator("button").click()
    await expect(alert).to_have_count(0)
    await page.context.close()


async def test_an_escalation_pop_up_shows_its_reason_in_the_reader_s_language(
    server: Server, browser: Browser
) -> None:
    """The pop-up's reason goes through the server's translation (the board's and the timeline's): an
    escalation event, put into the page's live stream, shows in English on an English console."""
    page = await console(browser, server, "supervisor.batam")
    routes: list[WebSocketRoute] = []

    def through(ws: WebSocketRoute) -> None:
        ws.connect_to_server()  # the real stream passes through; the test adds an event of its own
        routes.append(ws)

    await page.route_web_socket("**/api/v1/ws**", through)
    await page.goto(server.base + "/konsol/bahasa/en?kembali=/konsol/papan")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    refused = {
        "a": Refusal(reasons.TOO_FAR, Reason("too_far", minutes=40)),
        "b": Refusal(reasons.TOO_FAR, Reason("too_far", minutes=40)),
    }
    why = reasons.summarise(refused, on_duty=2, qualified_if_free=0).text
    event = {
        "op": "event",
        "seq": 10**9,
        "type": "incident.escalated",
        "incident_id": "00000000-0000-4000-8000-000000000001",
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"reason_code": "none_qualified", "reason": str(why), "reason_why": reasons.data(why)},
    }
    routes[-1].send(json.dumps(event))
    alert = page.locator('#alerts .alert-item[data-kind="escalation"]')
    await expect(alert).to_have_text(
        "×Escalated to the supervisor: no crew qualifies: 2 crew(s): too far (40 min)"
    )
    await expect(page.locator("#announce")).to_contain_text("no crew qualifies: 2 crew(s): too far (40 min)")
    # An old event without its code: the stored sentence, read back by the engine's own sentences.
    old = {**event, "seq": 10**9 + 1, "data": {"reason": "tidak ada regu yang bertugas saat ini"}}
    routes[-1].send(json.dumps(old))
    await expect(alert.first).to_contain_text("Escalated to the supervisor: no crew on duty now")
    await page.context.close()
