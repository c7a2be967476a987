"""Statistics against hand counts on a small fixed dataset: Kota Mataram (WITA, UTC+8) and Kota Jayapura (WIT,
UTC+9), with incidents a minute either side of local midnight.

P1 targets (minutes from the first report): temu 30, tanggap 45, tindak 240, tuntas 1440; P2: 60, 90, 480,
2880. October 2026 in Mataram holds A, B, D, H, I (C is 1 November 00:30 WITA, E is 30 September 23:50 WITA).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.models import Crew, Event, Incident, Offer, Report, Role, Team
from app.reporting import tally
from app.reporting.tally import Period
from app.services import statistics, timers
from app.services.access import Principal
from app.services.statistics import Filters
from tests.conftest import Actor

M = timedelta(minutes=1)
A_AT = datetime(2026, 10, 14, 15, 59, tzinfo=UTC)  # 23:59 WITA, 14 Oct
B_AT = datetime(2026, 10, 14, 16, 0, tzinfo=UTC)  # 00:00 WITA, 15 Oct
C_AT = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)  # 00:30 WITA, 1 Nov
D_AT = datetime(2026, 9, 30, 16, 10, tzinfo=UTC)  # 00:10 WITA, 1 Oct
E_AT = datetime(2026, 9, 30, 15, 50, tzinfo=UTC)  # 23:50 WITA, 30 Sep
H_AT = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
I_AT = datetime(2026, 10, 20, 3, 0, tzinfo=UTC)
F_AT = datetime(2026, 10, 14, 14, 59, tzinfo=UTC)  # 23:59 WIT, 14 Oct (Jayapura)
G_AT = datetime(2026, 10, 14, 15, 0, tzinfo=UTC)  # 00:00 WIT, 15 Oct
KEL = "52.71.01.1004"  # Ampenan Selatan, in kecamatan Ampenan (52.71.01)


def _incident(code: str, at: datetime, category: str, priority: int, status: str, **stamps: Any) -> Incident:
    minutes = {k: at + v * M for k, v in stamps.items() if isinstance(v, int)}
    others = {k: v for k, v in stamps.items() if not isinstance(v, int)}
    return Incident(
        id=uuid.uuid4(),
        status=status,
        category=category,
        priority=priority,
        region_code=code,
        first_received_at=at,
        created_at=at,
        updated_at=at,
        **minutes,
        **others,
    )


def _report(incident: Incident, channel: str, after: int = 0) -> Report:
    return Report(
        incident_id=incident.id,
        channel=channel,
        received_at=incident.first_received_at + after * M,
        region_code=incident.region_code,
        category=incident.category,
        description="laporan uji",
    )


@pytest.fixture
async def dataset(db: async_sessionmaker[AsyncSession]) -> dict[str, uuid.UUID]:
    team = Team(id=uuid.uuid4(), name="TRC Mataram", region_code="52.71")
    # Alfa's shift runs on: a crew whose shift ended with a case in hand is handed over by the app's own
    # scheduler (offer released, escalation), which raced the reads here and changed the figures.
    alfa = Crew(
        id=uuid.uuid4(),
        team_id=team.id,
        name="Regu Alfa",
        shift_starts_at=A_AT,
        shift_ends_at=datetime(2099, 1, 1, tzinfo=UTC),
    )
    beta = Crew(
        id=uuid.uuid4(), team_id=team.id, name="Regu Beta", shift_starts_at=D_AT, shift_ends_at=D_AT + 480 * M
    )
    a = _incident(
        KEL, A_AT, "ODGJ", 1, "closed", found_at=20, responded_at=50, acted_at=200, completed_at=1000,
        assigned_crew_id=alfa.id, outcome="rsj",
    )  # fmt: skip
    b = _incident(
        "52.71.01", B_AT, "ODGJ", 1, "handling", found_at=10, responded_at=40, assigned_crew_id=alfa.id
    )
    c = _incident("52.71.02", C_AT, "ODGJ", 1, "received")
    d = _incident(
        "52.71.02", D_AT, "LUT", 2, "closed", found_at=30, responded_at=60, acted_at=400, completed_at=2000,
        assigned_crew_id=beta.id, outcome="panti",
    )  # fmt: skip
    e = _incident("52.71.02", E_AT, "LUT", 2, "received")
    h = _incident("52.71.02", H_AT, "GEL", 3, "rejected")
    i = _incident("52.71.01", I_AT, "ODGJ", 1, "received")
    f = _incident("91.71.01", F_AT, "GEL", 3, "received")
    g = _incident("91.71.01", G_AT, "GEL", 3, "received")
    async with unit_of_work(db) as session:
        # One table at a time: these models declare no relationships for the flush to order them by.
        for rows in ([team], [alfa, beta], [a, b, c, d, e, h, i, f, g]):
            session.add_all(rows)
            await session.flush()
        i.merged_into_id = b.id
        session.add_all(
            [
                _report(a, "call_center"),
                _report(a, "social_media", after=5),  # a second report; the first one's channel counts
                _report(b, "social_media"),
                _report(c, "call_center"),
                _report(d, "call_center"),
                _report(e, "call_center"),
                _report(h, "patrol"),
                _report(i, "call_center"),
                _report(f, "community"),
                _report(g, "community"),
            ]
        )
        offers = [
            (a, alfa, "declined"),
            (a, beta, "expired"),
            (a, alfa, "released"),
            (b, alfa, "accepted"),
        ]
        for n, (incident, crew, status) in enumerate(offers):
            session.add(
                Offer(
                    incident_id=incident.id,
                    crew_id=crew.id,
                    status=status,
                    attempt=n + 1,
                    offered_at=incident.first_received_at,
                    expires_at=incident.first_received_at + 2 * M,
                )
            )
        for incident, code in ((b, "all_busy"), (d, "no_crew_on_duty")):
            session.add(
                Event(
                    type="incident.escalated",
                    occurred_at=incident.first_received_at,
                    incident_id=incident.id,
                    region_code=incident.region_code,
                    actor="tanggap",
                    data={"reason_code": code, "reason": "uji"},
                )
            )
        await session.flush()
    return {"a": a.id, "b": b.id, "d": d.id, "h": h.id, "i": i.id}


async def _get(client: httpx.AsyncClient, actor: Actor, path: str, **params: Any) -> dict[str, Any]:
    r = await client.get(f"/api/v1/statistics/{path}", params=params, headers=actor.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _by(rows: list[dict[str, Any]], *dims: str) -> dict[Any, Any]:
    out = {}
    for row in rows:
        key = tuple(row["keys"][d] for d in dims)
        out[key[0] if len(key) == 1 else key] = row
    return out


async def test_counts_by_period_in_the_regions_own_zone(
    client: httpx.AsyncClient, actors: dict[str, Actor], dataset: dict[str, uuid.UUID]
) -> None:
    admin = actors["admin"]
    month = await _get(client, admin, "incidents", region="52.71", month="2026-10", by="period")
    assert month["time_zone"] == "Asia/Makassar" and month["total"] == 5
    assert month["since"].startswith("2026-09-30T16:00:00")  # 1 October 00:00 WITA
    days = {r["keys"]["period"]: r["count"] for r in month["rows"]}
    assert days == {"2026-10-01": 1, "2026-10-14": 1, "2026-10-15": 1, "2026-10-20": 2}
    by_month = await _get(
        client, admin, "incidents", region="52.71",
        since="2026-09-01T00:00:00Z", until="2026-11-30T00:00:00Z", by="period", period="month",
    )  # fmt: skip
    assert {r["keys"]["period"]: r["count"] for r in by_month["rows"]} == {
        "2026-09": 1,
        "2026-10": 5,
        "2026-11": 1,
    }
    weeks = await _get(
        client, admin, "incidents", region="52.71", month="2026-10", by="period", period="week"
    )
    # ISO weeks by their Monday: 1 Oct (Thu) in the week of 28 Sep; 14 (Wed) and 15 Oct in that of 12 Oct.
    assert {r["keys"]["period"]: r["count"] for r in weeks["rows"]} == {
        "2026-09-28": 1,
        "2026-10-12": 2,
        "2026-10-19": 2,
    }
    # WIT: Jayapura's midnight is 15:00 UTC.
    wit = await _get(client, admin, "incidents", region="91.71", month="2026-10", by="period")
    assert wit["time_zone"] == "Asia/Jayapura"
    assert {r["keys"]["period"]: r["count"] for r in wit["rows"]} == {"2026-10-14": 1, "2026-10-15": 1}
    # Nationally each incident falls on its own kab/kota's day.
    national = await _get(
        client, admin, "incidents", since="2026-10-14T00:00:00Z", until="2026-10-16T00:00:00Z",
        by=["period", "kabkota"],
    )  # fmt: skip
    cells = {(r["keys"]["period"], r["keys"]["kabkota"]): r["count"] for r in national["rows"]}
    assert cells == {
        ("2026-10-14", "52.71"): 1,
        ("2026-10-15", "52.71"): 1,
        ("2026-10-14", "91.71"): 1,
        ("2026-10-15", "91.71"): 1,
    }
    labels = {r["keys"]["kabkota"]: r["labels"]["kabkota"] for r in national["rows"]}
    assert labels == {"52.71": "Kota Mataram", "91.71": "Kota Jayapura"}


async def test_counts_by_place_category_channel_priority_status(
    client: httpx.AsyncClient, actors: dict[str, Actor], dataset: dict[str, uuid.UUID]
) -> None:
    admin = actors["admin"]

    async def counts(dim: str, **filters: Any) -> dict[Any, int]:
        body = await _get(client, admin, "incidents", region="52.71", month="2026-10", by=dim, **filters)
        return {r["keys"][dim]: r["count"] for r in body["rows"]}

    assert await counts("kecamatan") == {"52.71.01": 3, "52.71.02": 2}
    assert await counts("kelurahan") == {KEL: 1, None: 4}
    assert await counts("category") == {"ODGJ": 3, "LUT": 1, "GEL": 1}
    assert await counts("channel") == {"call_center": 3, "social_media": 1, "patrol": 1}
    assert await counts("priority") == {"1": 3, "2": 1, "3": 1}
    assert await counts("status") == {"closed": 2, "handling": 1, "rejected": 1, "received": 1}
    assert await counts("outcome") == {"rsj": 1, "panti": 1, None: 3}
    assert await counts("kecamatan", category="ODGJ") == {"52.71.01": 3}
    assert await counts("category", channel="call_center") == {"ODGJ": 2, "LUT": 1}
    body = await _get(client, admin, "incidents", region="52.71.01", month="2026-10", by="kecamatan")
    assert body["rows"][0]["labels"]["kecamatan"] == "Ampenan"


async def test_month_4ct_compliance_by_kecamatan_in_one_call(
    client: httpx.AsyncClient, actors: dict[str, Actor], dataset: dict[str, uuid.UUID]
) -> None:
    body = await _get(client, actors["admin"], "four-ct", region="52.71", month="2026-10", by="kecamatan")
    total = body["total"]
    assert total["incidents"] == 5
    # A met temu at 20, B at 10, D (P2) at 30; H is rejected and I merged: they owe nothing.
    assert total["stages"]["temu"] == {
        "met": 3, "breached": 0, "pending": 0, "compliance": 1.0, "median_minutes": 20.0, "p90_minutes": 28.0,
    }  # fmt: skip
    # A responded at 50 (> 45: late), B at 40, D at 60 (P2: 90).
    assert total["stages"]["tanggap"]["met"] == 2 and total["stages"]["tanggap"]["breached"] == 1
    rows = _by(body["rows"], "kecamatan")
    ampenan, mataram = rows["52.71.01"], rows["52.71.02"]
    assert ampenan["labels"]["kecamatan"] == "Ampenan" and ampenan["incidents"] == 3
    assert ampenan["stages"]["tanggap"] == {
        "met": 1, "breached": 1, "pending": 0, "compliance": 0.5, "median_minutes": 45.0, "p90_minutes": 49.0,
    }  # fmt: skip
    # B never acted: its tindak deadline passed, breached; A acted at 200.
    assert ampenan["stages"]["tindak"] == {
        "met": 1, "breached": 1, "pending": 0, "compliance": 0.5,
        "median_minutes": 200.0, "p90_minutes": 200.0,
    }  # fmt: skip
    assert mataram["incidents"] == 2
    assert {s: (v["met"], v["breached"]) for s, v in mataram["stages"].items()} == {
        "temu": (1, 0),
        "tanggap": (1, 0),
        "tindak": (1, 0),
        "tuntas": (1, 0),
    }
    crews = _by(
        (await _get(client, actors["admin"], "four-ct", region="52.71", month="2026-10", by="crew"))["rows"],
        "crew",
    )
    assert set(crews) == {"Regu Alfa", "Regu Beta", None}
    assert crews["Regu Alfa"]["incidents"] == 2 and crews["Regu Alfa"]["stages"]["temu"]["met"] == 2


async def test_dispatch_figures(
    client: httpx.AsyncClient, actors: dict[str, Actor], dataset: dict[str, uuid.UUID]
) -> None:
    body = await _get(client, actors["admin"], "dispatch", region="52.71", month="2026-10")
    assert body["total"] == {
        "incidents": 5,
        "incidents_offered": 2,
        "offers": 4,
        "offers_per_incident": 2.0,
        "offers_by_status": {"accepted": 1, "declined": 1, "expired": 1, "released": 1},
        "decline_rate": 0.25,
        "expiry_rate": 0.25,
        "incidents_escalated": 2,
        "escalations_by_reason": {"all_busy": 1, "no_crew_on_duty": 1},
    }


async def test_who_may_read_statistics(
    client: httpx.AsyncClient, actors: dict[str, Actor], dataset: dict[str, uuid.UUID]
) -> None:
    path = "/api/v1/statistics/four-ct"
    # Batam's supervisor: its own region by default; another province is "not found", whatever the role.
    r = await client.get(path, params={"month": "2026-10"}, headers=actors["supervisor"].headers)
    assert r.status_code == 200 and r.json()["region"] == "21.71" and r.json()["total"]["incidents"] == 0
    for who in ("supervisor", "operator", "crew"):
        r = await client.get(path, params={"region": "52.71"}, headers=actors[who].headers)
        assert r.status_code == 404, (who, r.text)
    for who in ("operator", "crew", "agency", "reporter"):
        r = await client.get(path, headers=actors[who].headers)
        assert r.status_code == 403, (who, r.text)
    # Found by the fuzzer (a 500 each before): a year 0000, a region code that names nothing.
    for bad in ({"month": "2026-13"}, {"month": "0000-01"}, {"region": "00"}, {"region": "21.99"}):
        r = await client.get(path, params=bad, headers=actors["admin"].headers)
        assert r.status_code == 422, (bad, r.text)
    r = await client.get(
        path,
        params={"since": "2025-01-01T00:00:00Z", "until": "2026-06-01T00:00:00Z"},
        headers=actors["admin"].headers,
    )
    assert r.status_code == 422  # more than a year


def test_pending_stages_and_quantiles() -> None:
    now = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    start = now - 10 * M
    row = tally.Row(
        id=uuid.uuid4(), region_code="52.71.01", category="ODGJ", priority=1, status="dispatched",
        outcome=None, channel=None, crew=None, received_at=start, merged=False,
        stamps={"temu": None, "tanggap": None, "tindak": None, "tuntas": None},
        deadlines={"temu": start + 30 * M, "tanggap": start + 45 * M, "tindak": start + 240 * M,
                   "tuntas": start + 1440 * M},
    )  # fmt: skip
    n, tallies = tally.compliance([row], now)
    assert n == 1 and all(t.pending == 1 and t.compliance is None for t in tallies.values())
    # Recorded as breached by the scheduler though met later: breached.
    late = tally.Row(**{**row.__dict__, "stamps": {"temu": start + 50 * M}, "breached": frozenset({"temu"})})
    assert tally.stage_outcome(late, "temu", now) == "breached"
    assert tally.quantile([], 0.5) is None
    assert tally.quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert tally.quantile([10.0, 20.0, 30.0], 0.9) == pytest.approx(28.0)


async def test_monthly_report_for_the_head_of_the_dinas(
    client: httpx.AsyncClient, actors: dict[str, Actor], dataset: dict[str, uuid.UUID]
) -> None:
    path = "/api/v1/statistics/monthly-report"
    r = await client.get(
        path, params={"region": "52.71", "month": "2026-10"}, headers=actors["admin"].headers
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "unsafe" not in r.headers["content-security-policy"] and "<script" not in r.text
    page = " ".join(r.text.split())
    assert "Oktober 2026" in page and "September 2026" in page and "Kota Mataram" in page
    # October: A, B, D, H, I (5); September: E (23:50 WITA 30 Sep).
    assert "Insiden (laporan pertama bulan ini)</th><td>5</td><td>1</td>" in page
    # The same figures as the statistics API: temu met 3, median 20, p90 28 (see the compliance test).
    four_ct = await _get(client, actors["admin"], "four-ct", region="52.71", month="2026-10")
    temu = four_ct["total"]["stages"]["temu"]
    assert (temu["met"], temu["median_minutes"], temu["p90_minutes"]) == (3, 20.0, 28.0)
    assert (
        '<th scope="row">Temu</th><td>3</td><td>0</td><td>0</td> <td>100,0 %</td><td>20,0</td> <td>28,0</td>'
        in page
    )
    assert "Ampenan" in page and "Dirujuk ke rumah sakit jiwa" in page and "Ditempatkan di panti" in page
    assert page.count("<svg") == 2 and "style=" not in page.split("</style>", 1)[1]


async def test_monthly_report_only_for_the_regions_supervisors(
    client: httpx.AsyncClient, actors: dict[str, Actor], dataset: dict[str, uuid.UUID]
) -> None:
    path = "/api/v1/statistics/monthly-report"
    # Batam's supervisor and admin: Mataram is outside their region.
    for who in ("supervisor", "admin_batam", "operator"):
        r = await client.get(
            path, params={"region": "52.71", "month": "2026-10"}, headers=actors[who].headers
        )
        assert r.status_code == 404, (who, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    # Their own region: the supervisor may, the operator and crew may not.
    ok = await client.get(path, params={"month": "2026-10"}, headers=actors["supervisor"].headers)
    assert ok.status_code == 200 and "Kota Batam" in ok.text
    for who in ("operator", "crew", "reporter"):
        r = await client.get(path, params={"month": "2026-10"}, headers=actors[who].headers)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json", who
    assert (await client.get(path, params={"month": "2026-10"})).status_code == 401
    # A province, a kecamatan: not a kab/kota's report.
    for region in ("52", "52.71.01"):
        r = await client.get(path, params={"region": region}, headers=actors["admin"].headers)
        assert r.status_code == 422, (region, r.text)


async def test_database_and_python_compliance_agree(
    db: async_sessionmaker[AsyncSession], dataset: dict[str, uuid.UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL counts and ranks 4CT compliance itself (app/services/compliance_query.py); SQLite and the
    monthly report compute it over the rows in Python. Both give the same figures, keys and order, on the
    midnight WITA/WIT dataset and a few more: pending, recorded as breached though met in time, cancelled,
    odd seconds, and a team with its own targets (Jayapura, P3 temu in 5 minutes)."""
    now = datetime.now(UTC).replace(microsecond=0)
    monkeypatch.setattr(statistics, "utcnow", lambda: now)
    odd = timedelta(minutes=7, seconds=13, microseconds=123457)
    extra = [
        _incident("52.71.01.1004", now - 10 * M, "ODGJ", 1, "dispatched"),
        _incident(
            "52.71.02", now - 50 * M, "LUT", 2, "on_scene", found_at=now - 40 * M, four_ct_breaches=["temu"]
        ),
        _incident("52.71.02", now - 3 * M, "LUT", 3, "cancelled", found_at=now - 2 * M),
        _incident(
            "91.71.01",
            G_AT + 5 * M,
            "GEL",
            3,
            "closed",
            found_at=G_AT + 5 * M + odd,
            completed_at=G_AT + 900 * M,
        ),
        _incident(
            "91.71.01", F_AT - odd, "GEL", 3, "handling", found_at=F_AT + 2 * M, responded_at=F_AT + 3 * odd
        ),
    ]
    async with unit_of_work(db) as session:
        session.add(
            Team(
                id=uuid.uuid4(), name="TRC Jayapura", region_code="91.71", four_ct_targets={"3": {"temu": 5}}
            )
        )
        session.add_all(extra)
    async with db() as session:
        await timers.load_targets(session)
    try:
        admin = Principal(uuid.uuid4(), "stats.agree", Role.admin, "")
        checked = 0
        cases: list[tuple[str, list[str], Period]] = [
            ("52.71", [], "day"),
            ("52.71", ["kecamatan"], "month"),
            ("52.71", ["period"], "day"),
            ("52.71", ["period", "kecamatan"], "week"),
            ("52.71", ["crew", "category"], "month"),
            ("52.71.01", ["kelurahan", "priority"], "day"),
            ("91.71", ["period", "priority"], "day"),
            ("", ["period", "kabkota"], "day"),
            ("", ["kabkota", "category", "crew"], "month"),
        ]
        for region, by, period in cases:
            where = statistics.scope(
                admin, region=region or None, month=None, since=D_AT - timedelta(days=40), until=now + 60 * M
            )
            for filters in (
                Filters(),
                Filters(category="GEL"),
                Filters(priority=1),
                Filters(channel="call_center"),
            ):
                async with db() as session:
                    got = await statistics.four_ct_compliance(session, where, filters, by, period)
                    rows = await statistics.incident_rows(session, where, filters)
                expected = statistics.compliance_of(rows, where, by, period, now)
                assert got.model_dump() == expected.model_dump(), (region, by, period, filters)
                checked += got.total.incidents
        assert checked > 50
    finally:
        async with unit_of_work(db) as session:
            await session.execute(update(Team).values(four_ct_targets={}))
        async with db() as session:
            await timers.load_targets(session)
