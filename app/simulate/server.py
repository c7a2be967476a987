"""A Tanggap server for one simulated run: `tanggap serve` in a subprocess, on a fresh database, with its
clock running the simulated day at the chosen speed, and an admin account made with `tanggap users`."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

# A throwaway database's account.
ADMIN, ADMIN_PASSWORD = "sim.admin", "simulasi-tanggap-1"


@dataclass
class Spawned:
    base: str
    proc: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli() -> str:
    return str(Path(sys.executable).parent / "tanggap")


@contextlib.contextmanager
def spawn(
    *, start: datetime, speed: float, policy: str, database_url: str | None, workdir: Path | None = None
) -> Iterator[Spawned]:
    """Starts a server whose clock begins at `start` and runs `speed` times faster, dispatching with
    `policy`; stops it afterwards. Without `database_url`, a new SQLite file in a temporary folder."""
    with contextlib.ExitStack() as stack:
        folder = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tanggap-sim-")))
        url = database_url or f"sqlite+aiosqlite:///{folder / 'sim.db'}"
        env = {
            **os.environ,
            "TANGGAP_DATABASE_URL": url,
            "TANGGAP_ENV": "development",
            "TANGGAP_CLOCK": f"sim:{start.isoformat()}@{speed:g}",
            "TANGGAP_DISPATCH_POLICY": policy,
            "TANGGAP_DISPATCH_POLL_SECONDS": "0.1",
            "TANGGAP_PUBLIC_RATE_LIMIT": "100000",
        }
        subprocess.run([_cli(), "migrate"], env=env, check=True, capture_output=True, cwd=folder)
        subprocess.run(
            [_cli(), "users", "create", "--username", ADMIN, "--role", "admin", "--password-stdin"],
            env=env,
            input=f"{ADMIN_PASSWORD}\n".encode(),
            check=True,
            capture_output=True,
            cwd=folder,
        )
        port = _free_port()
        log = folder / f"server-{policy}.log"
        out = stack.enter_context(log.open("wb"))
        proc = subprocess.Popen(
            [_cli(), "serve", "--port", str(port)],
            env=env,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        spawned = Spawned(f"http://127.0.0.1:{port}", proc, log)
        if workdir is not None:
            print(f"the server's log is kept: {log}")
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{spawned.base}/readyz", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not become ready")
                time.sleep(0.1)
            yield spawned
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
