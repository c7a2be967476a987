"""Fixed-window rate limits kept in the database, so that every worker and instance counts together."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import TooManyRequests
from app.models import RateLimitWindow


async def hit(sessionmaker: async_sessionmaker[AsyncSession], key: str, *, limit: int, window_s: int) -> None:
    """Counts one request for `key`; raises TooManyRequests past `limit` in the current window."""
    now = time.time()
    window = int(now // window_s)
    async with sessionmaker() as session:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(RateLimitWindow)
        stmt = (
            ins.values(key=key[:80], window_start=window, count=1)
            .on_conflict_do_update(
                index_elements=["key", "window_start"], set_={"count": RateLimitWindow.count + 1}
            )
            .returning(RateLimitWindow.count)
        )
        count = (await session.execute(stmt)).scalar_one()
        if window % 16 == 0 and count == 1:
            # Now and then, the first request of a window sweeps old windows away.
            await session.execute(delete(RateLimitWindow).where(RateLimitWindow.window_start < window - 1))
        await session.commit()
    if count > limit:
        retry_after = max(1, int((window + 1) * window_s - now))
        raise TooManyRequests(
            f"at most {limit} requests per {timedelta(seconds=window_s)}; try again in {retry_after} s",
            retry_after=retry_after,
        )
