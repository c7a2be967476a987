"""The supervisor's pages in a real browser (chromium) against a real server on PostgreSQL with the demo
data: axe-core finds no serious violation on any of them (nor on the 403 page an operator gets); a vehicle
added by keyboard appears without a reload; impossible 4CT targets are refused with the reason shown and
focused; a cookie copied before signing out no longer opens the console. Screenshots of each page
(Indonesian, 1366x768) go where test_browser.py puts its own (`shots()`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from tests.console.test_browser import AXE, CHROMIUM, browser, console, shots
from tests.servers import Server, tanggap_server

__all__ = ["browser"]  # the module's browser fixture, shared
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium missing: run make install-test")

PAGES = (
    ("jadwal", "/konsol/jadwal", "#roster"),
    ("personel", "/konsol/personel", "#people tr[data-person]"),
    ("target", "/konsol/target", "#targets"),
    ("instansi", "/konsol/instansi", "#agencies tr[data-agency]"),
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with tanggap_server("postgresql", tmp_path_factory.mktemp("supervisor")) as s:
        yield s


async def checked(page: Page, name: str) -> None:
    """No serious or critical axe violation on the page as it is; its screenshot."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{name}: {serious}"
    await page.screenshot(path=str(shots() / f"{name}.png"))


async def test_supervisor_pages_accessible_and_operators_refused(server: Server, browser: Browser) -> None:
    # axe is injected by the test, not served: only this context lets a script in past the CSP.
    page = await console(browser, server, "supervisor.batam", bypass_csp=True)
    for name, path, ready in PAGES:
        await page.goto(server.base + path)
        await expect(page.locator(ready).first).to_be_visible()
        await expect(page.locator("#supervisor-menu summary")).to_have_class("current")
        await expect(
            page.get_by_role(
                "link",
                include_hidden=True,
                name={
                    "jadwal": "Jadwal",
                    "personel": "Personel",
                    "target": "Target 4CT",
                    "instansi": "Instansi",
                }[name],
            )
        ).to_have_attribute("aria-current", "page")
        await checked(page, name)
        if name == "jadwal":
            # The roster's lower half: forming one crew, and the crews of a period.
            section = page.locator("section", has=page.locator("#form-crew"))
            await section.scroll_into_view_if_needed()
            await page.screenshot(path=str(shots() / "jadwal-bentuk.png"))
    # The supervisor's menu open (by keyboard), checked with its links showing.
    await page.locator("#supervisor-menu summary").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("link", name="Personel")).to_be_visible()
    await checked(page, "menu-supervisi")
    await page.keyboard.press("Escape")
    operator = await console(browser, server, "operator.batam", bypass_csp=True)
    await expect(operator.locator('a[href="/konsol/jadwal"]')).to_have_count(0)
    await expect(operator.locator("#supervisor-menu")).to_have_count(0)
    response = await operator.goto(server.base + "/konsol/jadwal")
    assert response is not None and response.status == 403
    await expect(operator.locator("main h1")).to_have_text("Tidak diizinkan")
    await checked(operator, "galat-403")
    await page.context.close()
    await operator.context.close()


async def test_a_vehicle_added_by_keyboard_and_impossible_targets_refused_in_place(
    server: Server, browser: Browser
) -> None:
    page = await console(browser, server, "supervisor.batam")
    await page.goto(server.base + "/konsol/personel")
    await page.locator("#vehicle-name").focus()
    await page.keyboard.type("Ambulans Uji")
    await page.keyboard.press("Tab")
    await page.keyboard.type("BP 9999 ZZ")
    await page.keyboard.press("Enter")
    row = page.locator("#vehicles tr", has_text="Ambulans Uji")
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("BP 9999 ZZ")
    # Out of service with a reason, swapped in place; the connection stayed up (no reload).
    await row.get_by_label("Beroperasi · alasan berhenti beroperasi").fill("ban bocor")
    await row.get_by_role("button", name="Tidak beroperasi").click()
    await expect(page.locator("#vehicles tr", has_text="Ambulans Uji")).to_contain_text("ban bocor")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await page.goto(server.base + "/konsol/target")
    await page.locator("#t1_temu").fill("500")
    await page.locator("#targets-save").click()
    error = page.locator("#action-error")
    await expect(error).to_contain_text("temu <= tanggap")
    await expect(error).to_be_focused()
    await expect(page.locator("#t1_temu")).to_have_value("500")  # what was typed stays to be corrected
    await page.reload()
    await expect(page.locator("#t1_temu")).to_have_value("30")
    await page.context.close()


async def test_a_cookie_copied_before_signing_out_no_longer_opens_the_console(
    server: Server, browser: Browser
) -> None:
    page = await console(browser, server, "supervisor.batam")
    stolen = [c for c in await page.context.cookies() if c["name"] == "tanggap_konsol"]
    assert stolen
    await page.get_by_role("button", name="Keluar").click()
    await page.wait_for_url("**/konsol/masuk**")
    thief = await browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
    await thief.add_cookies(stolen)  # type: ignore[arg-type]
    other = await thief.new_page()
    await other.goto(server.base + "/konsol/antrean")
    await expect(other).to_have_url(f"{server.base}/konsol/masuk?lanjut=/konsol/antrean")
    await thief.close()
    await page.context.close()


async def _one_line(page: Page) -> None:
    """The header is one line: every item on the same row, and the header no taller than its tallest item
    and its padding."""
    rows = await page.evaluate(
        """() => {
          const top = document.querySelector("header.top");
          const items = [...top.children].filter(e => e.getBoundingClientRect().width > 0);
          const boxes = items.map(e => e.getBoundingClientRect());
          const style = getComputedStyle(top);
          const pad = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
          return {
            header: top.getBoundingClientRect().height,
            tallest: Math.max(...boxes.map(b => b.height)),
            spread: Math.max(...boxes.map(b => b.bottom)) - Math.min(...boxes.map(b => b.top)),
            pad: pad,
            width: top.scrollWidth,
            items: items.map(e => `${e.className}:${Math.round(e.getBoundingClientRect().width)}`),
          };
        }"""
    )
    assert rows["spread"] <= rows["tallest"] + 1, str(rows)
    assert rows["header"] <= rows["tallest"] + rows["pad"] + 1, rows
    assert rows["width"] <= 1366, rows


async def _signed_in(browser: Browser, server: Server, username: str) -> Page:
    """Signed in at 1366x768 without waiting for a live stream (a national admin has no region's)."""
    context = await browser.new_context(
        locale="id-ID", timezone_id="Asia/Jakarta", viewport={"width": 1366, "height": 768}
    )
    page = await context.new_page()
    await page.goto(server.base + "/konsol/masuk")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill("tanggap-demo")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/konsol/antrean")
    return page


async def test_the_header_is_one_line_at_1366_for_supervisor_and_admin_and_the_menu_works_by_keyboard(
    server: Server, browser: Browser
) -> None:
    for username in ("supervisor.batam", "admin", "operator.batam"):
        page = await _signed_in(browser, server, username)
        for lang in ("id", "en"):
            await page.goto(server.base + f"/konsol/bahasa/{lang}?kembali=/konsol/papan")
            await page.wait_for_url("**/konsol/papan")
            await _one_line(page)
            if username != "operator.batam":
                await page.goto(server.base + "/konsol/jadwal")
                await _one_line(page)
        if username == "supervisor.batam":
            await page.goto(server.base + "/konsol/bahasa/id?kembali=/konsol/antrean")
            summary = page.locator("#supervisor-menu summary")
            await summary.focus()
            await page.keyboard.press("Enter")
            roster = page.get_by_role("link", name="Jadwal")
            await expect(roster).to_be_visible()
            await _one_line(page)  # the open menu hangs below the header, which keeps its height
            await page.keyboard.press("Escape")
            await expect(roster).to_be_hidden()
            await expect(summary).to_be_focused()
            await page.keyboard.press("Space")
            await page.keyboard.press("Tab")
            await expect(roster).to_be_focused()
            await page.keyboard.press("Enter")
            await page.wait_for_url("**/konsol/jadwal")
        await page.context.close()


async def test_one_crew_formed_by_keyboard_and_a_clash_refused_in_place(
    server: Server, browser: Browser
) -> None:
    page = await console(browser, server, "supervisor.batam", bypass_csp=True)
    await page.goto(server.base + "/konsol/jadwal")
    # A crew row's replace-member form is behind its own disclosure, opened by keyboard.
    swap = page.locator("#roster details").first
    if await swap.count():
        await expect(swap.locator("form")).to_be_hidden()
        await swap.locator("summary").focus()
        await page.keyboard.press("Enter")
        await expect(swap.locator("form")).to_be_visible()
        await page.keyboard.press("Enter")
        await expect(swap.locator("form")).to_be_hidden()
    day = date.today() + timedelta(days=45)
    await page.locator("#crew-name").focus()
    await page.keyboard.type("Regu Papan Ketik")
    await page.keyboard.press("Tab")
    await expect(page.locator("#crew-day")).to_be_focused()
    # The date field's segments follow chromium's own language, not the page's: the day is set directly.
    await page.locator("#crew-day").fill(day.isoformat())
    # The field's segments (day, month, year) take a Tab each.
    await page.locator("#crew-shift").focus()
    await page.keyboard.press("ArrowDown")  # the second shift
    await page.keyboard.press("Tab")  # the vehicle: none
    await page.keyboard.press("Tab")
    first = page.locator('#form-crew input[name="member"]').first
    await expect(first).to_be_focused()
    await page.keyboard.press("Space")
    await expect(first).to_be_checked()
    await page.locator("#form-crew-save").focus()
    await page.keyboard.press("Enter")
    # Boosted: the week of that day swapped in place (the connection stays up).
    row = page.locator("#roster tr", has_text="Regu Papan Ketik")
    await expect(row).to_have_count(1)
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await checked(page, "jadwal-regu")
    # The same person in the same shift again: refused with the reason in Indonesian, shown and focused.
    await page.locator("#crew-name").fill("Regu Bentrok")
    await page.locator("#crew-day").fill(day.isoformat())
    await page.locator("#crew-shift").select_option(index=1)
    await page.locator('#form-crew input[name="member"]').first.check()
    await page.locator("#form-crew-save").focus()
    await page.keyboard.press("Enter")
    error = page.locator("#action-error")
    await expect(error).to_contain_text("sudah ada di regu Regu Papan Ketik pada sif itu")
    await expect(error).to_be_focused()
    await expect(page.locator("#roster tr", has_text="Regu Bentrok")).to_have_count(0)
    await page.context.close()
