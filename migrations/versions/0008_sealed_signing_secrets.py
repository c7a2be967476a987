"""Signing secrets of webhook endpoints and inbound sources are stored sealed

The `secrets` columns held the whsec_ secrets in clear JSON; from now on they hold a JSON string, the Fernet
token of that JSON (app/sealing.py: keys from TANGGAP_DATA_KEYS and TANGGAP_SECRET_KEY, so run this with
the settings the service runs with). Rows already sealed are left alone; downgrade opens them again.

Revision ID: 0008
Revises: 0007
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app import sealing

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("webhook_endpoints", "inbound_sources")


def _rewrite(seal: bool) -> None:
    conn = op.get_bind()
    for name in TABLES:
        table = sa.table(name, sa.column("id", sa.Uuid()), sa.column("secrets", sa.JSON()))
        for row_id, value in conn.execute(sa.select(table.c.id, table.c.secrets)).all():
            if seal and not isinstance(value, str):
                new = sealing.seal(json.dumps(value))
            elif not seal and isinstance(value, str):
                new = json.loads(sealing.unseal(value))
            else:
                continue
            conn.execute(sa.update(table).where(table.c.id == row_id).values(secrets=new))


def upgrade() -> None:
    _rewrite(seal=True)


def downgrade() -> None:
    _rewrite(seal=False)
