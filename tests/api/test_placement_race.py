"""No bed is double-booked: concurrent admissions into a unit with fewer free beds than callers, on
PostgreSQL (and SQLite, where writers queue anyway). Exactly the free beds are taken; the others are told
the unit is full; the count of the unit equals its active placements."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Actor
from tests.facilities.helpers import B, admit, facility, incident, occupancy, unit

N = 8


async def _active(db: async_sessionmaker[AsyncSession]) -> int:
    async with db() as s:
        return int(
            (await s.execute(text("SELECT count(*) FROM placements WHERE status = 'active'"))).scalar_one()
        )


async def test_concurrent_admissions_take_exactly_the_free_beds(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    fac = await facility(client, sup)
    target = unit(fac, "Dewasa Laki-laki")
    r = await client.patch(f"{B}/facility-units/{target}", json={"capacity": 3}, headers=sup.headers)
    assert r.status_code == 200
    men = [{"name": f"Pria {i}", "sex": "male", "approx_age": 25 + i} for i in range(N + 1)]
    inc = await incident(client, op, men, category="GEL")
    assert (await admit(client, op, inc, 1, target)).status_code == 201  # 2 beds left
    callers = [op, sup]
    answers = await asyncio.gather(*[admit(client, callers[n % 2], inc, n, target) for n in range(2, N + 2)])
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] * 2 + [409] * (N - 2), [r.text for r in answers]
    assert all(r.json()["type"].endswith("/unit-full") for r in answers if r.status_code == 409)
    assert (await occupancy(client, op, fac["id"]))["Dewasa Laki-laki"] == 3
    assert await _active(db) == 3


async def test_one_subject_admitted_twice_at_once_is_placed_once(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    fac = await facility(client, sup)
    inc = await incident(client, op, [{"name": "Dodi", "sex": "male", "approx_age": 12}])
    answers = await asyncio.gather(
        admit(client, op, inc, 1, unit(fac, "Anak Putra")), admit(client, sup, inc, 1, unit(fac, "Keluarga"))
    )
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
    occ = await occupancy(client, op, fac["id"])
    assert occ["Anak Putra"] + occ["Keluarga"] == 1
    assert await _active(db) == 1


async def test_concurrent_transfers_and_discharges_keep_the_count(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """Four boys move between two units both ways and two leave, all at once: each unit's count is its
    active placements, and no deadlock (the units are locked in one order)."""
    sup, op = actors["supervisor"], actors["operator"]
    fac = await facility(client, sup)
    boys = [{"name": f"Anak {i}", "sex": "male", "approx_age": 10 + i} for i in range(6)]
    inc = await incident(client, op, boys)
    a, b = unit(fac, "Anak Putra"), unit(fac, "Keluarga")
    for u in (a, b):  # room for any order of the moves
        r = await client.patch(f"{B}/facility-units/{u}", json={"capacity": 6}, headers=sup.headers)
        assert r.status_code == 200
    placed = []
    for n, target in zip(range(1, 7), [a, a, a, b, b, b], strict=True):
        r = await admit(client, op, inc, n, target)
        assert r.status_code == 201, r.text
        placed.append(r.json())
    calls = [
        client.post(
            f"{B}/placements/{p['id']}/transfer",
            json={"unit_id": b if p["unit_id"] == a else a, "reason": "tukar kamar"},
            headers=op.headers,
        )
        for p in (placed[0], placed[1], placed[3], placed[4])
    ] + [
        client.post(
            f"{B}/placements/{p['id']}/discharge",
            json={"reason": "reunified", "destination": "keluarga"},
            headers=sup.headers,
        )
        for p in (placed[2], placed[5])
    ]
    answers = await asyncio.gather(*calls)
    assert all(r.status_code in (200, 201) for r in answers), [r.text for r in answers]
    occ = await occupancy(client, op, fac["id"])
    async with db() as s:
        rows = (
            await s.execute(
                text(
                    "SELECT u.name, u.occupied, count(p.id) FROM facility_units u LEFT JOIN placements p"
                    " ON p.unit_id = u.id AND p.status = 'active' GROUP BY u.name, u.occupied"
                )
            )
        ).all()
    assert all(occupied == active for _, occupied, active in rows), rows
    assert occ["Anak Putra"] == 2 and occ["Keluarga"] == 2
