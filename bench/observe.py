"""What the request-id/access-log/metrics middleware (app/api/observe.py) adds to one request, in process:
a bare ASGI app called directly, with and without the middleware, the access line written (JSON or text) to
/dev/null and the metrics in prometheus-client's multiprocess files (as under `tanggap serve`).

    PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) python -m bench.observe [--requests 20000]

Compare the microseconds added with intake's CPU per request (bench.intake: about 5 ms on this machine)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any

from app import logs


async def _bare(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": b"{}"})


class _Route:
    path = "/reports"
    path_regex = __import__("re").compile("^/reports$")


async def _measure(app: Any, n: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Any) -> None:
        pass

    start = time.perf_counter()
    for _ in range(n):
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/api/v1/reports",
            "headers": [],
            "route": _Route(),
        }
        await app(scope, receive, send)
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        raise SystemExit("set PROMETHEUS_MULTIPROC_DIR to an empty directory (as tanggap serve does)")
    from app.api.observe import Observe  # after the directory is set

    devnull = Path(os.devnull).open("w")  # noqa: SIM115
    for fmt, level in (("json", "INFO"), ("text", "INFO"), ("json", "WARNING")):
        logs.configure(fmt, level)  # type: ignore[arg-type]
        root = logging.getLogger()
        ours = root.handlers[-1]
        null = logging.StreamHandler(devnull)
        null.setFormatter(ours.formatter)
        for f in ours.filters:
            null.addFilter(f)
        root.handlers = [null]
        bare = asyncio.run(_measure(_bare, args.requests))
        observed = asyncio.run(_measure(Observe(_bare), args.requests))
        what = f"{fmt} access lines" if level == "INFO" else "no access lines (TANGGAP_LOG_LEVEL=WARNING)"
        print(
            f"{what:45s} bare {bare:6.1f} us/request, with Observe {observed:6.1f}: +{observed - bare:.1f} us"
        )


if __name__ == "__main__":
    main()
