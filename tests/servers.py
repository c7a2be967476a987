"""Real servers for tests: `tanggap serve` under uvicorn in a subprocess, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import create_pg_database, drop_pg_database, pg_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]
    database_url: str

    @property
    def ws(self) -> str:
        return self.base.replace("http://", "ws://")

    def kill(self) -> None:
        """SIGKILL: the process dies mid-work, as on a crash or an OOM kill."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@contextmanager
def tanggap_server(
    kind: str,
    tmp_path: Path,
    *,
    workers: int = 1,
    demo: bool = True,
    env: dict[str, str] | None = None,
    database_url: str | None = None,
    port: int | None = None,
) -> Iterator[Server]:
    """kind: "sqlite" or "postgresql" (a fresh database, dropped afterwards), or an existing database_url
    (left as it is: a second server over the same database); `port` to restart a server where it was."""
    pg_name = None
    if database_url is not None:
        url = database_url
    elif kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'tanggap.db'}"
    else:
        pg_name = create_pg_database()
        if pg_name is None:
            pytest.skip("PostgreSQL unreachable")
        url = pg_url(pg_name)
    port = port or free_port()
    cli = str(Path(sys.executable).parent / "tanggap")
    args = [cli, "serve", "--port", str(port), "--workers", str(workers), *(["--demo"] if demo else [])]
    log_path = tmp_path / f"server-{port}.log"
    log = log_path.open("wb")  # a file, not a pipe: an unread pipe would block a chatty server
    proc = subprocess.Popen(
        args,
        cwd=tmp_path,
        env={**os.environ, "TANGGAP_DATABASE_URL": url, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", proc, url)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited: {log_path.read_text()}")
            try:
                if httpx.get(f"{server.base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not become ready")
            time.sleep(0.2)
        yield server
    finally:
        server.stop()
        log.close()
        if pg_name:
            drop_pg_database(pg_name)
