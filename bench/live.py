"""Live-stream benchmark: latency from the POST that causes a change to its receipt by every subscribed
WebSocket client, with 100 and 1,000 clients over 2 uvicorn workers on PostgreSQL; memory per idle
connection. Baseline in the same run: a bare `websockets` broadcast of a 300-byte message in one process.

    python -m bench.live [--clients 100 1000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import httpx
import uvloop
import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from bench.intake import REPORT, Server, cpu_seconds, postgres_cpu_seconds, prepare_database

ROOT = Path(__file__).resolve().parent.parent


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(name: str, latencies: list[float], extra: str = "") -> dict[str, float]:
    ms = [x * 1000 for x in latencies]
    out = {"p50_ms": statistics.median(ms), "p99_ms": pct(ms, 99), "max_ms": max(ms), "samples": len(ms)}
    print(
        f"{name:>32}  p50 {out['p50_ms']:7.2f} ms  p99 {out['p99_ms']:7.2f} ms  max {out['max_ms']:7.2f} ms"
        f"  ({len(ms)} receipts) {extra}",
        flush=True,
    )
    return out


class LeanClient(asyncio.Protocol):
    """A WebSocket client as light as it gets (websockets' sans-I/O protocol on an asyncio transport): a
    thousand of them share this process, so their own cost is what both the baseline and Tanggap are
    measured through; it should be small. Stamps the arrival of every text frame containing `marker`."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.protocol = ClientProtocol(parse_uri(url), max_size=None)
        self.request = self.protocol.connect()
        for name, value in headers.items():
            self.request.headers[name] = value
        self.transport: asyncio.Transport | None = None
        self.first: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.marker = ""
        self.arrivals: list[float] = []
        self.on_arrival: Callable[[], None] = lambda: None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass of it
        self.protocol.send_request(self.request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                text = bytes(event.data).decode()
                if not self.first.done():
                    self.first.set_result(text)
                elif self.marker and self.marker in text:
                    self.arrivals.append(now)
                    self.on_arrival()
        self._flush()  # pongs, close frames

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.first.done():
            self.first.set_exception(exc or ConnectionError("closed before the first message"))

    def _flush(self) -> None:
        assert self.transport is not None
        data = b"".join(self.protocol.data_to_send())
        if data:
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Fleet:
    """N clients; counts the arrivals of messages matching `marker`."""

    def __init__(self, clients: list[LeanClient], marker: str) -> None:
        self.clients = clients
        self.count = 0
        self.changed = asyncio.Event()
        for client in clients:
            client.marker = marker
            client.on_arrival = self._arrived

    @property
    def arrivals(self) -> list[list[float]]:
        return [c.arrivals for c in self.clients]

    def _arrived(self) -> None:
        self.count += 1
        self.changed.set()

    async def wait_for(self, total: int) -> None:
        while self.count < total:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 30)

    async def close(self) -> None:
        for client in self.clients:
            client.close()


def _factory(client: LeanClient) -> Callable[[], LeanClient]:
    return lambda: client


async def open_clients(url: str, n: int, headers: dict[str, str]) -> list[LeanClient]:
    """Opens n connections and waits for each one's first message (Tanggap's hello)."""
    loop = asyncio.get_running_loop()
    host, port = url.split("://", 1)[1].split("/", 1)[0].split(":")
    clients: list[LeanClient] = []
    for start in range(0, n, 50):
        batch = [LeanClient(url, headers) for _ in range(start, min(n, start + 50))]
        await asyncio.gather(*[loop.create_connection(_factory(c), host, int(port)) for c in batch])
        clients.extend(batch)
    return clients


def cpu_now(server: Server | None) -> dict[str, float]:
    """CPU seconds used so far: the server's workers, this process (the clients, and the bare server), and
    PostgreSQL. Per round, it says which side a change saved on, where wall-clock p99 is noisy."""
    return {
        "server": server.cpu_seconds() if server else 0.0,
        "bench": cpu_seconds([os.getpid()]),
        "postgres": postgres_cpu_seconds(),
    }


async def measure(
    fleet: Fleet, rounds: int, warmup: int, trigger: Any, server: Server | None = None
) -> tuple[list[float], dict[str, float]]:
    """Runs warm-up + measured rounds; returns the latencies of the measured ones and the CPU milliseconds
    per measured round of each side."""
    starts: list[float] = []
    before: dict[str, float] = {}
    for r in range(warmup + rounds):
        if r == warmup:
            before = cpu_now(server)
        starts.append(time.perf_counter())
        await trigger()
        await fleet.wait_for(len(fleet.clients) * (r + 1))
        await asyncio.sleep(0.05)
    after = cpu_now(server)
    cpu = {k: (after[k] - before[k]) * 1000 / rounds for k in after}
    latencies = [arr[r] - starts[r] for arr in fleet.arrivals for r in range(warmup, warmup + rounds)]
    return latencies, cpu


def cpu_text(cpu: dict[str, float]) -> str:
    return "CPU/round " + ", ".join(f"{k} {v:.1f} ms" for k, v in cpu.items() if v)


async def bench_tanggap(counts: list[int], rounds: int, warmup: int) -> dict[str, Any]:
    token = await prepare_database()
    auth = {"Authorization": f"Bearer {token}"}
    server = Server("app.main:create_app", 2, ws_deflate=False)
    results: dict[str, Any] = {}
    try:
        # As Tanggap's own clients do (`tanggap watch`): several events may share a frame.
        # BENCH_BATCH=false: one event per frame, as a client that does not opt in gets them.
        batch = os.environ.get("BENCH_BATCH", "true")
        url = f"ws://127.0.0.1:{server.port}/api/v1/ws?topic=region:21.71&batch={batch}"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as http:

            async def post() -> None:
                r = await http.post("/api/v1/reports", json=REPORT, headers=auth)
                assert r.status_code == 201, r.text

            for n in counts:
                before = server.rss_mib()
                clients = await open_clients(url, n, auth)
                await asyncio.gather(*[c.first for c in clients])  # hello
                await asyncio.sleep(1.0)
                per_conn_kib = (server.rss_mib() - before) * 1024 / n
                fleet = Fleet(clients, '"incident.created"')
                latencies, cpu = await measure(fleet, rounds, warmup, post, server)
                results[f"tanggap/{n}"] = {
                    **summary(
                        f"tanggap {n} clients, 2 workers",
                        latencies,
                        f"idle {per_conn_kib:.1f} KiB/conn; {cpu_text(cpu)}",
                    ),
                    "idle_kib_per_connection": per_conn_kib,
                    "cpu_ms_per_round": cpu,
                }
                await fleet.close()
                await asyncio.sleep(1.0)
    finally:
        server.stop()
    return results


async def bench_baseline(counts: list[int], rounds: int, warmup: int) -> dict[str, Any]:
    """A bare websockets server in this process: a control message is broadcast to every client."""
    subscribers: set[Any] = set()
    payload = ('{"op":"event","type":"incident.created","data":"' + "x" * 300)[:297] + '"}'

    async def handler(ws: Any) -> None:
        if ws.request.path == "/control":
            async for _ in ws:
                websockets.broadcast(subscribers, payload)
            return
        subscribers.add(ws)
        await ws.send('{"op":"hello"}')  # as Tanggap does: the client knows it is subscribed
        try:
            await ws.wait_closed()
        finally:
            subscribers.discard(ws)

    results: dict[str, Any] = {}
    async with serve(handler, "127.0.0.1", 0, compression=None) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        control = await connect(f"ws://127.0.0.1:{port}/control")
        for n in counts:
            clients = await open_clients(f"ws://127.0.0.1:{port}/sub", n, {})
            await asyncio.gather(*[c.first for c in clients])
            fleet = Fleet(clients, '"incident.created"')
            await asyncio.sleep(0.5)

            async def go() -> None:
                await control.send("go")

            latencies, cpu = await measure(fleet, rounds, warmup, go)
            results[f"baseline/{n}"] = {
                **summary(f"bare broadcast {n} clients", latencies, cpu_text(cpu)),
                "cpu_ms_per_round": cpu,
            }
            await fleet.close()
        await control.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    run = uvloop.run if os.environ.get("BENCH_LOOP", "uvloop") == "uvloop" else asyncio.run
    results = run(bench_baseline(args.clients, args.rounds, args.warmup))
    results |= run(bench_tanggap(args.clients, args.rounds, args.warmup))
    for n in args.clients:
        t, b = results[f"tanggap/{n}"], results[f"baseline/{n}"]
        print(
            f"{n} clients: tanggap p99 {t['p99_ms']:.1f} ms vs bare broadcast p99 {b['p99_ms']:.1f} ms "
            f"(x{t['p99_ms'] / b['p99_ms']:.1f})"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"live-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json").write_text(
        json.dumps(results, indent=2)
    )
    print(f"python {sys.version.split()[0]}, pid {os.getpid()}")


if __name__ == "__main__":
    main()
