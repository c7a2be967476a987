"""Signing secrets are stored sealed: a copy of the database does not hold them in clear. Rows written
before sealing are sealed by migration 0008 and read back the same; a wrong key is a clear error."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import create_async_engine

from app import migrate, sealing
from app.models import Agency, WebhookEndpoint
from app.models.base import utcnow
from app.settings import Settings
from tests.conftest import make_settings
from tests.test_migrations import empty_url  # noqa: F401 - the fixture

SECRET = [{"secret": "whsec_" + "A" * 44, "expires_at": None}]


def _plain_table() -> sa.TableClause:
    """webhook_endpoints with its secrets column as plain JSON: what a row looked like before 0008."""
    table: sa.Table = WebhookEndpoint.__table__  # type: ignore[assignment]
    columns = [sa.column(c.name, c.type) for c in table.c if c.name != "secrets"]
    return sa.table("webhook_endpoints", *columns, sa.column("secrets", sa.JSON()))


def test_migration_seals_what_was_in_clear(empty_url: str) -> None:  # noqa: F811
    cfg = migrate.config(empty_url)
    command.upgrade(cfg, "0007")
    agency_id, endpoint_id, now = uuid.uuid4(), uuid.uuid4(), utcnow()
    plain = _plain_table()

    async def run(statement: Any) -> Any:
        engine = create_async_engine(empty_url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(statement)
                return result.all() if isinstance(statement, sa.Select) else None
        finally:
            await engine.dispose()

    asyncio.run(
        run(
            sa.insert(Agency).values(
                id=agency_id,
                name="Polsek",
                kind="police",
                region_code="21.71.06",
                contacts=[],
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
    )
    row: dict[str, Any] = {
        "id": endpoint_id, "agency_id": agency_id, "url": "https://polsek.example/hook", "description": "",
        "event_types": [], "region_code": "21.71", "personal_data": [], "secrets": SECRET, "enabled": True,
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    asyncio.run(run(sa.insert(plain).values(**row)))
    command.upgrade(cfg, "head")
    [(raw,)] = asyncio.run(run(sa.select(plain.c.secrets)))
    assert isinstance(raw, str) and "whsec_" not in raw
    assert json.loads(sealing.unseal(raw)) == SECRET
    [(opened,)] = asyncio.run(run(sa.select(WebhookEndpoint.secrets)))
    assert opened == SECRET
    # What the service writes from now on is sealed too.
    asyncio.run(run(sa.insert(WebhookEndpoint).values(**{**row, "id": uuid.uuid4()})))
    raws = [r for (r,) in asyncio.run(run(sa.select(plain.c.secrets)))]
    assert len(raws) == 2 and all(isinstance(r, str) and "whsec_" not in r for r in raws)
    asyncio.run(run(sa.delete(plain).where(plain.c.id != endpoint_id)))
    command.downgrade(cfg, "0007")
    [(again,)] = asyncio.run(run(sa.select(plain.c.secrets)))
    assert again == SECRET


def test_keys_rotate_and_a_wrong_key_is_a_clear_error() -> None:
    settings = make_settings("sqlite+aiosqlite://")
    previous = sealing._ring
    try:
        sealing.configure(settings)
        token = sealing.seal("whsec_x")
        # A new data key seals from now on; the key derived from the secret key still opens the old token.
        new_key = Fernet.generate_key().decode()
        sealing.configure(settings.model_copy(update={"data_keys": [new_key]}))
        assert sealing.unseal(token) == "whsec_x"
        newer = sealing.seal("whsec_y")
        # The secret key changed and the old derived key was not kept: both are refused, by name.
        sealing.configure(settings.model_copy(update={"secret_key": "u" * 40}))
        for sealed in (token, newer):
            with pytest.raises(sealing.Unsealable, match="TANGGAP_DATA_KEYS"):
                sealing.unseal(sealed)
        # ... and opens again once the old derived key is listed.
        old = sealing.derived_key(settings.secret_key)
        sealing.configure(settings.model_copy(update={"secret_key": "u" * 40, "data_keys": [new_key, old]}))
        assert (sealing.unseal(token), sealing.unseal(newer)) == ("whsec_x", "whsec_y")
    finally:
        sealing._ring = previous


def test_settings_refuse_a_malformed_data_key() -> None:
    with pytest.raises(ValueError, match="Fernet key"):
        Settings(data_keys=["not-a-key"])
