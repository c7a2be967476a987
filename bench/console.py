"""The operator's console, on PostgreSQL with the demo data, in Debian's chromium:

- the time from a report's `POST /api/v1/reports` (sent by this script as an operator) to its row on a
  supervisor's queue page (p50/p99 over --reports reports, one at a time);
- the first load of the queue (`GET /konsol/antrean`) and of its live refresh (`?baris=1`) with --open open
  incidents: time to the last byte and bytes, median of 10 loads each.

Usage: .venv/bin/python -m bench.console [--reports 100] [--open 500]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from tests.servers import Server, tanggap_server

VILLAGES = ["21.71.03.1006", "21.71.04.1002", "21.71.02.1004", "21.71.06.1003", "21.71.03.1005"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(i: int) -> dict[str, object]:
    return {
        "channel": "call_center",
        "location": {"region_code": VILLAGES[i % len(VILLAGES)]},
        "category": "ODGJ",
        "description": f"ODGJ mengamuk nomor {i}",
        "subject": {"flags": ["agitated"]},
    }


async def run(server: Server, reports: int, open_target: int) -> None:
    async with httpx.AsyncClient(base_url=server.base) as c:
        r = await c.post(
            "/api/v1/auth/token", data={"username": "operator.batam", "password": "tanggap-demo"}
        )
        bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = await browser.new_page(viewport={"width": 1366, "height": 768}, locale="id-ID")
            await page.goto(server.base + "/konsol/masuk")
            await page.fill("#username", "supervisor.batam")
            await page.fill("#password", "tanggap-demo")
            await page.press("#password", "Enter")
            await page.wait_for_selector('#conn[data-state="live"]')
            latencies = []
            for i in range(reports):
                started = time.perf_counter()
                r = await c.post("/api/v1/reports", json=report(i), headers=bearer)
                incident = r.json()["incident_id"]
                await page.wait_for_selector(f'tr[data-incident="{incident}"]', state="attached")
                latencies.append((time.perf_counter() - started) * 1000)
            await browser.close()
        print(
            f"POST → row on a second console, {reports} reports: p50 {pct(latencies, 50):.0f} ms, "
            f"p99 {pct(latencies, 99):.0f} ms, max {max(latencies):.0f} ms"
        )
        # The demo's three open Batam incidents and the reports above are open already.
        for i in range(max(0, open_target - 3 - reports)):
            body = {**report(i), "category": ["LUT", "AJ", "GEL", "PENG"][i % 4], "subject": {}}
            await c.post("/api/v1/reports", json=body, headers=bearer)
        session = httpx.AsyncClient(base_url=server.base)
        form = await session.get("/konsol/masuk")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        await session.post(
            "/konsol/masuk",
            data={"csrf": token, "username": "supervisor.batam", "password": "tanggap-demo"},
        )
        for path in ("/konsol/antrean", "/konsol/antrean?baris=1"):
            times, size = [], 0
            for _ in range(10):
                started = time.perf_counter()
                page_r = await session.get(path)
                times.append((time.perf_counter() - started) * 1000)
                size = len(page_r.content)
            rows = page_r.text.count("<tr data-incident")
            print(
                f"{path} with ≥{open_target} open incidents: median {statistics.median(times):.0f} ms, "
                f"{size / 1024:.0f} KiB, {rows} rows drawn"
            )
        await session.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--open", type=int, default=500)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        tanggap_server("postgresql", Path(tmp), env={"TANGGAP_PUBLIC_RATE_LIMIT": "100000"}) as server,
    ):
        asyncio.run(run(server, args.reports, args.open))


if __name__ == "__main__":
    main()
