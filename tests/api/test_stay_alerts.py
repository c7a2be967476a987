"""Length-of-stay alerts: the scheduler raises `placement.stay_exceeded` once per stay past the facility's
limit (a rumah singgah's 7 days, a facility's own), with the server's clock moved forward (app/clock.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app import clock
from app.services import scheduler
from tests.conftest import Actor
from tests.facilities.helpers import B, admit, facility, incident, timeline, unit


@pytest.fixture
def later() -> Iterator[Callable[[float], None]]:
    """Moves the server's clock: `later(days)` makes it that many days from now; real time again after."""

    def move(days: float) -> None:
        clock.configure(f"sim:{(datetime.now(UTC) + timedelta(days=days)).isoformat()}@1")

    yield move
    clock.configure("real")


async def test_a_stay_past_the_limit_is_an_event_once(
    client: httpx.AsyncClient, app: FastAPI, actors: dict[str, Actor], later: Callable[[float], None]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    singgah = await facility(client, sup)
    panti = await facility(
        client,
        sup,
        name="Panti Asuhan Batam",
        kind="panti",
        units=[{"name": "Anak Putra", "sex": "male", "group": "children", "capacity": 5}],
    )
    own = await facility(
        client,
        sup,
        name="Rumah Singgah Batu Aji",
        stay_limit_days=10,
        units=[{"name": "Anak Putra", "sex": "male", "group": "children", "capacity": 5}],
    )
    assert panti["stay_limit_days"] is None and own["stay_limit_days"] == 10
    boys = [{"name": f"Anak {i}", "sex": "male", "approx_age": 10} for i in range(3)]
    inc = await incident(client, op, boys)
    for n, fac in enumerate((singgah, panti, own), start=1):
        assert (await admit(client, op, inc, n, unit(fac, "Anak Putra"))).status_code == 201

    def alerts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e["data"] for e in events if e["type"] == "placement.stay_exceeded"]

    maker = app.state.sessionmaker
    move = later
    move(6.9)
    await scheduler.tick(maker)
    assert alerts(await timeline(client, op, inc)) == []
    move(7.1)
    # Two workers' schedulers at the same moment: one alert.
    await asyncio.gather(scheduler.tick(maker), scheduler.tick(maker))
    await scheduler.tick(maker)
    raised = alerts(await timeline(client, op, inc))
    assert len(raised) == 1, raised
    first = raised[0]
    assert first["ordinal"] == 1 and first["days"] == 7
    assert first["message"] == (
        "subjek 1 sudah 7 hari di Rumah Singgah Sekupang (Rumah Singgah), melewati batas 7 hari"
    )
    move(30)
    await scheduler.tick(maker)
    # The facility's own 10 days; the panti has no limit.
    assert [a["ordinal"] for a in alerts(await timeline(client, op, inc))] == [1, 3]
    r = await client.get(f"{B}/incidents/{inc}/subjects/1/placements", headers=op.headers)
    assert r.json()[0]["stay_alerted_at"] is not None
