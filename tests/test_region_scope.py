"""The region scope (app/services/access.py in_region) is an index range on both databases: the plan of a
kab/kota's incidents reads the region index, not the whole table."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.models import Incident
from app.services.access import in_region


async def test_a_kabkota_s_incidents_are_read_through_the_region_index(engine: AsyncEngine) -> None:
    query = select(Incident.id).where(in_region(Incident.region_code, "21.71"))
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
            assert "SCAN incidents" not in plan.replace("SCAN incidents USING", ""), plan
        else:
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(r[0] for r in await conn.execute(text(f"EXPLAIN {compiled}")))
            assert "Index" in plan, plan
            assert "Seq Scan" not in plan, plan
