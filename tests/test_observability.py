"""Operations through real servers: a request id followed from the header into the log lines and the events
of that request; /metrics scraped from a two-worker server, its counts summed over both workers."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from app.seed import DEMO_PASSWORD
from tests import factories
from tests.servers import Server, tanggap_server


def _log_lines(server: Server, tmp_path: Path) -> list[dict[str, object]]:
    [log] = tmp_path.glob("server-*.log")
    lines = []
    for raw in log.read_text().splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_a_request_id_reaches_the_answer_the_log_lines_and_the_events(tmp_path: Path) -> None:
    with tanggap_server("sqlite", tmp_path, env={"TANGGAP_LOG_FORMAT": "json"}) as server:
        with httpx.Client(base_url=server.base, timeout=10) as c:
            # A failed login: the service's own warning and the access line carry the id, and no name.
            r = c.post(
                "/api/v1/auth/token",
                data={"username": "operator.batam", "password": "wrong-password"},
                headers={"X-Request-ID": "login-try.1"},
            )
            assert r.status_code == 401 and r.headers["x-request-id"] == "login-try.1"
            r = c.post("/api/v1/auth/token", data={"username": "operator.batam", "password": DEMO_PASSWORD})
            token = r.json()["access_token"]
            generated = r.headers["x-request-id"]
            assert len(generated) == 32
            h = {"Authorization": f"Bearer {token}"}
            r = c.post("/api/v1/reports", json=factories.report(), headers={**h, "X-Request-ID": "rpt-42"})
            assert r.status_code == 201, r.text
            assert r.headers["x-request-id"] == "rpt-42"
            incident_id = r.json()["incident_id"]
            # Not an id: replaced by a fresh one, never echoed.
            r = c.get("/api/v1/categories", headers={"X-Request-ID": 'a b"c' + "x" * 80})
            assert r.status_code == 200 and len(r.headers["x-request-id"]) == 32
            assert "x" * 60 not in r.headers["x-request-id"]
            r = c.get(f"/api/v1/incidents/{incident_id}", headers={**h, "X-Request-ID": "read-1"})
            assert r.status_code == 200
        # The log lines are written as the answers go; give the server a moment by stopping it.
        server.stop()
        lines = _log_lines(server, tmp_path)
        db = sqlite3.connect(server.database_url.split("///", 1)[1])
        event_ids = (
            db.execute(
                "SELECT DISTINCT request_id FROM events WHERE incident_id = ?",
                (incident_id.replace("-", ""),),
            ).fetchall()
            or db.execute(
                "SELECT DISTINCT request_id FROM events WHERE incident_id = ?", (incident_id,)
            ).fetchall()
        )
        types = db.execute("SELECT type FROM events WHERE request_id = 'rpt-42' ORDER BY seq").fetchall()
        db.close()

    by_id: dict[object, list[dict[str, object]]] = {}
    for line in lines:
        by_id.setdefault(line.get("request_id"), []).append(line)
    login = by_id["login-try.1"]
    assert {line["logger"] for line in login} == {"tanggap.logins", "tanggap.access"}
    assert all("operator.batam" not in json.dumps(line) for line in login)
    assert all("wrong-password" not in json.dumps(line) for line in lines)
    [ok_login] = by_id[generated]
    assert ok_login["route"] == "/api/v1/auth/token" and ok_login["status"] == 200
    assert isinstance(ok_login["user_id"], str)  # known once the password was right
    [access] = by_id["rpt-42"]
    assert access["logger"] == "tanggap.access" and access["level"] == "info"
    assert access["method"] == "POST" and access["route"] == "/api/v1/reports" and access["status"] == 201
    assert isinstance(access["duration_ms"], float) and access["user_id"] == ok_login["user_id"]
    # The route template, never the path with its ids; never the token.
    [read] = by_id["read-1"]
    assert read["route"] == "/api/v1/incidents/{incident_id}"
    assert all(token not in json.dumps(line) for line in lines)
    # The events the report wrote carry its id.
    assert ("rpt-42",) in event_ids
    assert ("incident.created",) in types and ("report.received",) in types


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


def _count(text: str, route: str, status: str = "200") -> float:
    return sum(
        v
        for labels, v in _samples(text, "tanggap_http_requests_total")
        if labels["route"] == route and labels["status"] == status
    )


def _per_worker(directory: Path, route: str) -> dict[str, float]:
    """Each worker's own count of a route's answers, read from its file alone."""
    counts = {}
    for file in directory.glob("counter_*.db"):
        alone = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f"alone-{file.stem}-"))
        shutil.copy(file, alone / file.name)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))  # type: ignore[no-untyped-call]
        counts[file.stem] = _count(generate_latest(registry).decode(), route)
    return counts


@pytest.mark.timeout(180)
def test_metrics_of_a_two_worker_server_add_up(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    n = 60
    sent = 0

    async def requests(base: str) -> tuple[str, httpx.Response]:
        nonlocal sent

        async def one(path: str) -> int:
            # A connection of its own each time, so that both workers take some.
            async with httpx.AsyncClient(base_url=base, timeout=10) as c:
                return (await c.get(path)).status_code

        async with httpx.AsyncClient(base_url=base, timeout=10) as c:
            before = (await c.get("/metrics")).text
            # Until both workers have answered some (on a loaded machine one may take a whole batch).
            while sent < 10 * n:
                assert set(await asyncio.gather(*(one("/api/v1/categories") for _ in range(n)))) == {200}
                sent += n
                if sum(v > 0 for v in _per_worker(directory, "/api/v1/categories").values()) == 2:
                    break
            assert set(await asyncio.gather(*(one("/api/v1/incidents") for _ in range(n)))) == {401}
            assert (await c.get("/api/v1/no-such-thing")).status_code == 404
            r = await c.post(
                "/api/v1/auth/token", data={"username": "operator.batam", "password": DEMO_PASSWORD}
            )
            h = {"Authorization": f"Bearer {r.json()['access_token']}"}
            # An open live stream is counted (on whichever worker holds it) while it is open.
            async with c.stream(
                "GET", "/api/v1/events", params={"topic": "region:21.71"}, headers=h
            ) as stream:
                lines = stream.aiter_lines()  # kept: a generator let go of would close the stream
                while not (await anext(lines)).startswith("event: hello"):
                    pass
                scraped = await c.get("/metrics")
            return before, scraped

    with tanggap_server("postgresql", tmp_path, workers=2, env=env) as server:
        before, scraped = asyncio.run(requests(server.base))
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        text = scraped.text
        assert _count(before, "/api/v1/categories") == 0
        assert _count(text, "/api/v1/categories") == sent
        assert _count(text, "/api/v1/incidents", "401") == n
        assert _count(text, "<unmatched>", "404") == 1
        streams = {labels["transport"]: v for labels, v in _samples(text, "tanggap_live_connections")}
        assert streams.get("sse") == 1.0, streams
        latency = _samples(text, "tanggap_http_request_duration_seconds_count")
        assert sum(v for labels, v in latency if labels["route"] == "/api/v1/categories") == sent
        # Both workers answered some, and the scrape (answered by one) summed their counts.
        per_worker = _per_worker(directory, "/api/v1/categories")
        assert sum(v > 0 for v in per_worker.values()) == 2, per_worker
        assert sum(per_worker.values()) == sent
        # Both workers' pools; the database's own figures at this moment.
        assert _samples(text, "tanggap_db_pool_size") == [({}, 2 * 10.0)]
        duty = {labels["regency"]: v for labels, v in _samples(text, "tanggap_crews_on_duty")}
        assert duty["21.71"] >= 1  # the demo has crews on every shift
        queue = {labels["status"]: v for labels, v in _samples(text, "tanggap_webhook_deliveries")}
        assert queue == {"pending": 0.0, "failed": 0.0}
        assert _samples(text, "tanggap_webhook_oldest_pending_age_seconds") == [({}, 0.0)]
        assert _samples(text, "tanggap_offers_pending")
        [(_, last_pass)] = _samples(text, "tanggap_scheduler_last_pass_timestamp_seconds")
        assert last_pass > 0


def _live_pids(directory: Path) -> set[int]:
    return {int(f.stem.rpartition("_")[2]) for f in directory.glob("gauge_livesum_*.db")}


def _pool_of(directory: Path, pid: int) -> float:
    """One worker's pool size, read from its own file alone."""
    alone = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f"pool-{pid}-"))
    shutil.copy(directory / f"gauge_livesum_{pid}.db", alone)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(alone))  # type: ignore[no-untyped-call]
    return sum(v for _, v in _samples(generate_latest(registry).decode(), "tanggap_db_pool_size"))


@pytest.mark.timeout(400)
def test_a_killed_worker_s_live_gauges_leave_the_scrape(tmp_path: Path) -> None:
    """A worker killed outright (no clean exit) is replaced by uvicorn; the scrape counts the two pools that
    are, not the dead one's too (its files are swept when a scrape finds its pid gone)."""
    directory = tmp_path / "metrics"
    with tanggap_server(
        "postgresql", tmp_path, workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    ) as s:
        deadline = time.monotonic() + 150
        while sum(_pool_of(directory, pid) for pid in _live_pids(directory)) < 20:
            assert time.monotonic() < deadline, _live_pids(directory)  # both workers have opened their pools
            time.sleep(0.2)
        pool = _samples(httpx.get(f"{s.base}/metrics", timeout=10).text, "tanggap_db_pool_size")
        assert pool == [({}, 20.0)]
        first = _live_pids(directory)
        assert len(first) == 2, first
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 150
        while not any(_pool_of(directory, pid) for pid in _live_pids(directory) - first):
            assert time.monotonic() < deadline, _live_pids(directory)  # the replacement opens its pool
            time.sleep(0.2)
        text = httpx.get(f"{s.base}/metrics", timeout=10).text
        assert _samples(text, "tanggap_db_pool_size") == [({}, 20.0)]
        assert victim not in _live_pids(directory)


def test_metrics_are_not_public(tmp_path: Path) -> None:
    """From outside the allowed networks (here: none), only with the metrics token."""
    env = {"TANGGAP_METRICS_TOKEN": "scrape-secret-0123456789", "TANGGAP_METRICS_ALLOW": "[]"}
    with tanggap_server("sqlite", tmp_path, env=env, demo=False) as server:
        assert httpx.get(f"{server.base}/metrics").status_code == 403
        r = httpx.get(f"{server.base}/metrics", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
        r = httpx.get(f"{server.base}/metrics", headers={"Authorization": "Bearer scrape-secret-0123456789"})
        assert r.status_code == 200 and "tanggap_http_requests_total" in r.text
