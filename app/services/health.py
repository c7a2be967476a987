from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import migrate


async def ready(maker: async_sessionmaker[AsyncSession]) -> tuple[bool, str]:
    try:
        async with maker() as session:
            current = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except SQLAlchemyError as exc:
        return False, f"database unreachable or not migrated: {type(exc).__name__}"
    head = migrate.head_revision()
    if current != head:
        return False, f"database at migration {current}, code expects {head}; run `tanggap migrate`"
    return True, f"database at migration {current}"
