"""Baselines for the intake benchmark, served under the same uvicorn settings as Tanggap (kept out of app/).

- POST /trivial: parse a JSON body, return JSON. The framework's floor.
- POST /core-insert: insert one row with SQLAlchemy Core, return its id (the least a durable intake does).
- POST /orm-insert: the same through the ORM.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import FastAPI, Request
from sqlalchemy import BigInteger, MetaData, String, Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class _Base(DeclarativeBase):
    metadata = MetaData()


class BenchRow(_Base):
    __tablename__ = "bench_rows"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    payload: Mapped[str] = mapped_column(String(4000))


rows = cast(Table, BenchRow.__table__)


def create_app() -> FastAPI:
    engine_box: dict[str, AsyncEngine] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The same pool as Tanggap's defaults (app/settings.py): 10 connections per worker, no overflow.
        engine = create_async_engine(os.environ["TANGGAP_DATABASE_URL"], pool_size=10, max_overflow=0)
        engine_box["e"] = engine
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/trivial")
    async def trivial(body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "fields": len(body)}

    @app.post("/core-insert", status_code=201)
    async def core_insert(request: Request) -> dict[str, int]:
        body = await request.body()
        async with engine_box["e"].begin() as conn:
            new_id = (
                await conn.execute(insert(rows).values(payload=body.decode()).returning(rows.c.id))
            ).scalar_one()
        return {"id": new_id}

    maker: dict[str, async_sessionmaker[Any]] = {}

    @app.post("/orm-insert", status_code=201)
    async def orm_insert(request: Request) -> dict[str, int]:
        if "m" not in maker:
            maker["m"] = async_sessionmaker(engine_box["e"], expire_on_commit=False)
        body = await request.body()
        async with maker["m"]() as session:
            row = BenchRow(payload=body.decode())
            session.add(row)
            await session.commit()
        return {"id": row.id}

    return app
