"""Repeat locations, repeat persons and crew workload per shift, against hand counts (Kota Mataram, WITA)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.models import Crew, Incident, IncidentSubject, Offer, Person, Team
from tests.conftest import Actor

M = timedelta(minutes=1)
OCT = datetime(2026, 10, 14, 0, 0, tzinfo=UTC)
KEL = "52.71.01.1004"  # Ampenan Selatan, kecamatan Ampenan


def _incident(at: datetime, status: str = "resolved", code: str = KEL, **more: Any) -> Incident:
    return Incident(
        id=uuid.uuid4(),
        status=status,
        category=more.pop("category", "ODGJ"),
        priority=2,
        region_code=code,
        first_received_at=at,
        created_at=at,
        updated_at=at,
        **more,
    )


@pytest.fixture
async def dataset(db: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    team = Team(id=uuid.uuid4(), name="TRC Mataram", region_code="52.71")
    alfa = Crew(
        id=uuid.uuid4(), team_id=team.id, name="Regu Alfa", shift_starts_at=OCT, shift_ends_at=OCT + 480 * M
    )
    beta = Crew(
        id=uuid.uuid4(),
        team_id=team.id,
        name="Regu Beta",
        shift_starts_at=OCT + 480 * M,
        shift_ends_at=OCT + 960 * M,
    )
    september = Crew(
        id=uuid.uuid4(),
        team_id=team.id,
        name="Regu Gama",
        shift_starts_at=OCT - timedelta(days=30),
        shift_ends_at=OCT - timedelta(days=30) + 480 * M,
    )
    # One ~110 m cell: two cases a few metres apart (and a third of GEL there).
    cell = [
        _incident(OCT + 60 * M, lat=-8.58012, lon=116.08013),
        _incident(OCT + 2 * 1440 * M, lat=-8.58021, lon=116.08034),
        _incident(OCT + 5 * 1440 * M, status="handling", lat=-8.58041, lon=116.07991, category="GEL"),
    ]
    # One landmark as typed twice, otherwise; a rejected and a merged one there do not count.
    market = [
        _incident(OCT + 3 * 1440 * M, landmark="Pasar Kebon Roek"),
        _incident(OCT + 4 * 1440 * M, landmark="  pasar  kebon ROEK "),
        _incident(OCT + 4 * 1440 * M, status="rejected", landmark="Pasar Kebon Roek"),
    ]
    merged = _incident(OCT + 6 * 1440 * M, status="cancelled", landmark="Pasar Kebon Roek")
    alone = _incident(OCT + 7 * 1440 * M, code="52.71.02.1001")
    earlier = _incident(OCT - timedelta(days=20), lat=-8.58012, lon=116.08013)  # September: outside
    person = Person(id=uuid.uuid4(), region_code="52.71")
    async with unit_of_work(db) as session:
        for rows in ([team, person], [alfa, beta, september], [*cell, *market, merged, alone, earlier]):
            session.add_all(rows)
            await session.flush()
        merged.merged_into_id = market[0].id
        session.add_all(
            [
                IncidentSubject(incident_id=cell[0].id, ordinal=1, person_id=person.id),
                IncidentSubject(incident_id=market[1].id, ordinal=1, person_id=person.id),
                IncidentSubject(incident_id=earlier.id, ordinal=1, person_id=person.id),
            ]
        )
        accepted = OCT + 60 * M

        def offer(incident: Incident, crew: Crew, status: str, **more: Any) -> Offer:
            return Offer(
                incident_id=incident.id,
                crew_id=crew.id,
                status=status,
                attempt=1,
                offered_at=incident.first_received_at,
                expires_at=incident.first_received_at + 2 * M,
                **more,
            )

        session.add_all(
            [
                offer(cell[0], alfa, "released", responded_at=accepted, released_at=accepted + 120 * M),
                offer(cell[1], alfa, "declined", responded_at=accepted),
                offer(market[0], alfa, "expired"),
                # Beta still holds its case: busy from accepting to the end of its shift.
                offer(cell[2], beta, "accepted", responded_at=OCT + 540 * M),
            ]
        )
        await session.flush()
    return {"alfa": alfa.id, "beta": beta.id, "person": person.id, "cell": cell, "market": market}


async def _get(client: httpx.AsyncClient, actor: Actor, path: str, **params: Any) -> httpx.Response:
    return await client.get(f"/api/v1/statistics/{path}", params=params, headers=actor.headers)


async def test_repeat_locations_and_persons_of_a_month(
    client: httpx.AsyncClient, actors: dict[str, Actor], dataset: dict[str, Any]
) -> None:
    r = await _get(client, actors["admin"], "repeat-locations", region="52.71", month="2026-10")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["places"] == 2
    cell, market = body["rows"]
    assert (cell["kelurahan"], cell["lat"], cell["lon"], cell["incidents"], cell["open"]) == (
        KEL,
        -8.58,
        116.08,
        3,
        1,
    )
    assert cell["categories"] == {"ODGJ": 2, "GEL": 1}
    assert cell["kelurahan_name"] and cell["kecamatan_name"] == "Ampenan"
    assert (market["landmark"], market["incidents"], market["lat"]) == ("Pasar Kebon Roek", 2, None)
    assert market["first_at"].startswith("2026-10-17") and market["last_at"].startswith("2026-10-18")
    # The person of two October cases (his September case is outside the month).
    assert body["repeat_persons"] == [
        {"person_id": str(dataset["person"]), "incidents": 2, "last_at": body["repeat_persons"][0]["last_at"]}
    ]
    r = await _get(client, actors["admin"], "repeat-locations", region="52.71", month="2026-10", minimum=3)
    assert [row["incidents"] for row in r.json()["rows"]] == [3]
    r = await _get(client, actors["admin"], "repeat-locations", region="52.71", month="2026-10", format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Kode kelurahan/desa" and [row[6] for row in rows[1:]] == ["3", "2"]


async def test_crew_workload_per_shift(
    client: httpx.AsyncClient, actors: dict[str, Actor], dataset: dict[str, Any]
) -> None:
    r = await _get(client, actors["admin"], "workload", region="52.71", month="2026-10")
    assert r.status_code == 200, r.text
    rows = {row["crew"]: row for row in r.json()["rows"]}
    assert set(rows) == {"Regu Alfa", "Regu Beta"}  # Gama's shift was in September
    alfa, beta = rows["Regu Alfa"], rows["Regu Beta"]
    assert (alfa["offers"], alfa["accepted"], alfa["declined"], alfa["expired"], alfa["incidents"]) == (
        3,
        1,
        1,
        1,
        1,
    )
    assert (alfa["busy_minutes"], alfa["utilisation"]) == (120.0, 0.25)
    assert (beta["offers"], beta["accepted"], beta["incidents"]) == (1, 1, 1)
    assert (beta["busy_minutes"], beta["utilisation"]) == (420.0, 0.875)
    r = await _get(client, actors["admin"], "workload", region="52.71", month="2026-10", format="xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"


async def test_who_may_read_repeats_and_workload(
    client: httpx.AsyncClient, actors: dict[str, Actor], dataset: dict[str, Any]
) -> None:
    for path in ("repeat-locations", "workload"):
        for who in ("operator", "crew", "agency", "reporter"):
            r = await _get(client, actors[who], path)
            assert r.status_code == 403, (path, who, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        r = await _get(client, actors["supervisor"], path, region="52.71")
        assert r.status_code == 404, (path, r.text)  # another province: not found
        r = await _get(client, actors["supervisor"], path, month="2026-10")
        assert r.status_code == 200 and r.json()["rows"] == []  # Batam's own: nothing there
    r = await _get(client, actors["admin"], "repeat-locations", minimum=1)
    assert r.status_code == 422 and "minimum" in r.text


async def test_repeat_persons_counted_and_outcomes_per_person(
    client: httpx.AsyncClient,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    dataset: dict[str, Any],
) -> None:
    cell, market = dataset["cell"], dataset["market"]
    other = Person(id=uuid.uuid4(), region_code="52.71")
    async with unit_of_work(db) as session:
        session.add(other)
        await session.flush()
        alone = (
            await session.execute(select(Incident.id).where(Incident.region_code == "52.71.02.1001"))
        ).scalar_one()
        session.add_all(
            [
                IncidentSubject(incident_id=cell[1].id, ordinal=1, person_id=other.id, outcome="reunified"),
                IncidentSubject(incident_id=market[0].id, ordinal=1, person_id=other.id, outcome="shelter"),
                IncidentSubject(incident_id=alone, ordinal=1, person_id=other.id, outcome="reunified"),
                # Not (yet) a person: a subject, not a person.
                IncidentSubject(incident_id=cell[2].id, ordinal=1, outcome="rsj"),
                # The rejected case's subject does not count.
                IncidentSubject(incident_id=market[2].id, ordinal=1, person_id=other.id, outcome="refused"),
            ]
        )
    body = (await _get(client, actors["admin"], "repeat-locations", region="52.71", month="2026-10")).json()
    assert body["repeat_persons_count"] == 2
    assert body["repeat_persons_by_cases"] == {"2": 1, "3": 1}
    r = await _get(client, actors["admin"], "outcomes", region="52.71", month="2026-10")
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["subjects"], out["persons"]) == (6, 2)
    assert out["by_outcome"] == {"open": 2, "reunified": 2, "rsj": 1, "shelter": 1}
    rows = {(row["category"], row["outcome"]): (row["subjects"], row["persons"]) for row in out["rows"]}
    assert rows == {
        ("GEL", "rsj"): (1, 0),
        ("ODGJ", "reunified"): (2, 1),
        ("ODGJ", "shelter"): (1, 1),
        ("ODGJ", None): (2, 1),
    }
    labels = {row["outcome"]: row["outcome_label"] for row in out["rows"]}
    assert labels["reunified"] == "dikembalikan ke keluarga" and labels[None] is None
    # The region's supervisors and admins only; another region is not found.
    for who in ("operator", "crew", "agency", "reporter"):
        assert (await _get(client, actors[who], "outcomes")).status_code == 403, who
    for who in ("supervisor", "operator"):
        assert (await _get(client, actors[who], "outcomes", region="52.71")).status_code == 404, who
