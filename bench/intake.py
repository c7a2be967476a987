"""Intake benchmark: POST /api/v1/reports on PostgreSQL under uvicorn (1 and 2 workers, 64 connections),
against the baselines of bench/baselines.py under the same uvicorn settings, in the same run.

    python -m bench.intake [--duration 10] [--connections 64]

Needs PostgreSQL at 127.0.0.1:5432 (TANGGAP_BENCH_PG_DSN to change) and wrk (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from app import migrate, security
from app.models import Role
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = os.environ.get("TANGGAP_BENCH_PG_DSN", "postgresql://root@127.0.0.1:5432/postgres")
DB = "tanggap_bench"
SECRET = "bench-secret-" + "x" * 40
REPORT = {
    "channel": "call_center",
    "reporter": {"name": "Siti Aminah", "phone": "0812-3456-7890"},
    "location": {
        "lat": 1.1430,
        "lon": 104.0113,
        "region_code": "21.71.06.1003",
        "address": "Jl. Raden Patah",
    },
    "category": "ODGJ",
    "description": "ODGJ ngamuk di simpang, melempar batu ke kendaraan yang lewat",
    "subject": {"count": 1, "approx_age": 30, "sex": "male", "flags": ["agitated"]},
}


def db_url() -> str:
    return ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{DB}"


async def prepare_database() -> str:
    conn = await asyncpg.connect(ADMIN_DSN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    await asyncio.to_thread(migrate.upgrade, db_url())
    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + f"/{DB}")
    await conn.execute("CREATE TABLE bench_rows (id BIGSERIAL PRIMARY KEY, payload VARCHAR(4000) NOT NULL)")
    user_id = await conn.fetchval(
        "INSERT INTO users (id, username, full_name, role, region_code, is_active, created_at) "
        "VALUES (gen_random_uuid(), 'bench.operator', '', 'operator', '21.71', true, now()) RETURNING id"
    )
    await conn.close()
    settings = Settings(database_url=db_url(), secret_key=SECRET)
    token, _ = security.create_access_token(
        settings, security.TokenClaims(user_id, "bench.operator", Role.operator, "21.71")
    )
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(
        self, app: str, workers: int, *, ws_deflate: bool = True, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "TANGGAP_DATABASE_URL": db_url(),
            "TANGGAP_SECRET_KEY": SECRET,
            "TANGGAP_ENV": "production",
            **(env or {}),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--log-level",
                "warning",
                *([] if ws_deflate else ["--ws-per-message-deflate", "false"]),
                *(["--ws", os.environ["BENCH_WS"]] if os.environ.get("BENCH_WS") else []),
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/openapi.json", timeout=1)
                time.sleep(1.0)  # let every worker finish its start-up
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"{app} did not start")

    def rss_mib(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            m = re.search(r"VmRSS:\s+(\d+) kB", status)
            total += int(m.group(1)) if m else 0
        return total / 1024

    def pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True, check=False)
        return [int(p) for p in out.stdout.split()] or [self.proc.pid]

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes (all workers)."""
        return cpu_seconds(self.pids())

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / _TICK


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process of this machine (the backends serving the benchmark)."""
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True, check=False)
    return cpu_seconds([int(p) for p in out.stdout.split()])


_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert m, text
    return float(m.group(1)) * _UNIT[m.group(2)]


def wrk(
    url: str,
    body: Mapping[str, object],
    headers: dict[str, str],
    *,
    duration: int,
    connections: int,
    unique_key: bool = False,
) -> dict[str, float]:
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = {json.dumps(json.dumps(body))}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    lines += [
        "local codes = {}",
        "response = function(status, headers, body) codes[status] = (codes[status] or 0) + 1 end",
    ]
    if unique_key:
        # Unique per run, per wrk thread (each has its own Lua state, with the same unseeded random numbers)
        # and per request: every request is a first attempt, none is a replay.
        lines += [
            "local threads = 0",
            "function setup(thread) threads = threads + 1; thread:set('tid', threads) end",
            "local n = 0",
            "request = function() n = n + 1",
            f'  wrk.headers["Idempotency-Key"] = "{uuid.uuid4().hex}-" .. tid .. "-" .. n',
            "  return wrk.format() end",
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("\n".join(lines))
        script = f.name
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(script).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": _ms(lat["50"]),
        "p99_ms": _ms(lat["99"]),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": 1.0 if sock else 0.0,
    }


CASES = [
    # name, app, path, authenticated, unique Idempotency-Key per request. The intake cases follow the Core
    # insert they are compared with, so that each pair runs in the same phase of the machine.
    ("trivial", "bench.baselines:create_app", "/trivial", False, False),
    ("orm_insert", "bench.baselines:create_app", "/orm-insert", False, False),
    ("core_insert", "bench.baselines:create_app", "/core-insert", False, False),
    ("intake", "app.main:create_app", "/api/v1/reports", True, False),
    ("intake_idempotent", "app.main:create_app", "/api/v1/reports", True, True),
]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


async def _sql(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + f"/{DB}")
    await conn.execute(sql)
    await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs per case; medians reported")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    token = asyncio.run(prepare_database())
    if os.environ.get("BENCH_SQL"):
        asyncio.run(_sql(os.environ["BENCH_SQL"]))
    auth = {"Authorization": f"Bearer {token}"}
    only = os.environ.get("BENCH_ONLY")
    cases = [c for c in CASES if not only or c[0] in only.split(",")]
    results: dict[str, dict[str, float]] = {}
    every_run: dict[str, list[dict[str, float]]] = {}
    for workers in args.workers:
        if results:
            # This machine runs PostgreSQL with autovacuum off; a production database has it on (README). The
            # first round leaves tens of thousands of rows that were never analysed and a dead row version
            # per numbered event: vacuum and analyse before the next round, as autovacuum would. (Not before
            # the first: statistics of empty tables would make PostgreSQL plan the foreign-key checks, whose
            # plans each connection keeps, as scans of tables it believes empty.)
            asyncio.run(_sql("VACUUM ANALYZE"))
        # Every server is up for the whole round and the cases take turns, `--repeat` times: the machine's
        # slow and fast phases fall on all of them alike, and the medians are compared.
        apps = sorted({c[1] for c in cases})
        servers = {app: Server(app, workers) for app in apps}
        runs: dict[str, list[dict[str, float]]] = {c[0]: [] for c in cases}
        try:
            for _name, app, path, authenticated, unique in cases:  # warm-up
                url = f"http://127.0.0.1:{servers[app].port}{path}"
                wrk(
                    url,
                    REPORT,
                    auth if authenticated else {},
                    duration=3,
                    connections=args.connections,
                    unique_key=unique,
                )
            for _ in range(args.repeat):
                for name, app, path, authenticated, unique in cases:
                    url = f"http://127.0.0.1:{servers[app].port}{path}"
                    cpu0, pg0 = servers[app].cpu_seconds(), postgres_cpu_seconds()
                    r = wrk(
                        url,
                        REPORT,
                        auth if authenticated else {},
                        duration=args.duration,
                        connections=args.connections,
                        unique_key=unique,
                    )
                    served = r["rps"] * args.duration
                    r["server_cpu_us"] = 1e6 * (servers[app].cpu_seconds() - cpu0) / served
                    r["postgres_cpu_us"] = 1e6 * (postgres_cpu_seconds() - pg0) / served
                    r["rss_mib"] = servers[app].rss_mib()
                    runs[name].append(r)
        finally:
            for server in servers.values():
                server.stop()
        for name, rs in runs.items():
            r = {k: _median([x[k] for x in rs]) for k in rs[0]}
            results[f"{name}/{workers}w"] = r
            every_run[f"{name}/{workers}w"] = rs
            print(
                f"{name:>18} {workers}w  {r['rps']:8.0f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                f"p99 {r['p99_ms']:7.2f} ms  non-2xx {int(r['non_2xx'])}  rss {r['rss_mib']:.0f} MiB  "
                f"cpu/req {r['server_cpu_us']:.0f} + pg {r['postgres_cpu_us']:.0f} us  "
                f"(runs: {', '.join(format(x['rps'], '.0f') for x in rs)} req/s)",
                flush=True,
            )
    print()
    for workers in args.workers:
        base = results.get(f"core_insert/{workers}w")
        for name in ("intake", "intake_idempotent"):
            found = results.get(f"{name}/{workers}w")
            if base is None or found is None:
                continue
            paired = [
                x["rps"] / b["rps"]
                for x, b in zip(
                    every_run[f"{name}/{workers}w"], every_run[f"core_insert/{workers}w"], strict=True
                )
            ]
            cpu = (found["server_cpu_us"] + found["postgres_cpu_us"]) / (
                base["server_cpu_us"] + base["postgres_cpu_us"]
            )
            print(
                f"{name} {workers}w vs one-row Core insert (medians): "
                f"throughput x{found['rps'] / base['rps']:.2f}, p99 x{found['p99_ms'] / base['p99_ms']:.2f}; "
                f"paired runs x{_median(paired):.2f} ({', '.join(f'{x:.2f}' for x in paired)}); "
                f"CPU per request x{cpu:.2f}"
            )
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"intake-{stamp}.json").write_text(
        json.dumps({"medians": results, "runs": every_run}, indent=2)
    )


if __name__ == "__main__":
    main()
