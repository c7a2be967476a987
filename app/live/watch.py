"""The reference client behind `tanggap watch`: logs in, follows topics, prints events, resumes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import connect

FATAL = {4400, 4401, 4403}


def describe(message: dict[str, Any]) -> str:
    data = message.get("data") or {}
    detail = ", ".join(f"{k}={v}" for k, v in data.items() if not isinstance(v, dict | list))[:100]
    incident = (message.get("incident_id") or "")[:8]
    return (
        f"{message['seq']:>8} {message['occurred_at'][11:19]} {message['type']:<28} {incident:<8} "
        f"{message.get('region_code') or '':<13} {message.get('actor') or '':<18} {detail}"
    )


async def run_watch(
    url: str,
    username: str,
    password: str,
    topics: list[str],
    since: int | None,
    as_json: bool,
    echo: Callable[[str], None],
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        r = await http.post("/api/v1/auth/token", data={"username": username, "password": password})
        if r.status_code != 200:
            raise SystemExit(f"login failed: {r.json().get('detail', r.text)}")
        token = r.json()["access_token"]
    ws_base = url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    backoff = 0.5
    while True:
        query = "&".join(f"topic={t}" for t in topics) + "&batch=true"
        query += f"&since={since}" if since is not None else ""
        try:
            async with connect(
                f"{ws_base}/api/v1/ws?{query}", additional_headers={"Authorization": f"Bearer {token}"}
            ) as ws:
                backoff = 0.5
                async for frame in ws:
                    for line in (frame if isinstance(frame, str) else frame.decode()).split("\n"):
                        since = _show(json.loads(line), line, since, as_json, echo)
        except websockets.ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            if code in FATAL:
                raise SystemExit(f"refused: {exc.rcvd.reason if exc.rcvd else code}") from exc
            echo(f"-- disconnected ({code}); resuming from {since}")
        except OSError as exc:
            echo(f"-- cannot connect ({exc}); retrying")
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 10.0)


def _show(
    message: dict[str, Any], raw: str, since: int | None, as_json: bool, echo: Callable[[str], None]
) -> int | None:
    """Prints one message; returns the seq to resume from."""
    if as_json:
        echo(raw)
    elif message["op"] == "hello":
        echo(f"-- connected to worker {message['worker']}, newest seq {message['head']}")
    elif message["op"] == "event":
        echo(describe(message))
    elif message["op"] == "resync":
        echo(f"-- {message['detail']}")
        return None
    if message["op"] == "event":
        return int(message["seq"])
    if message["op"] == "hello" and since is None:
        return int(message["head"])
    return since
