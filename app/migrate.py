"""Applying and checking Alembic migrations from code (CLI, start-up, readiness)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"


def config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(database_url: str) -> None:
    command.upgrade(config(database_url), "head")


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    return ScriptDirectory.from_config(config("")).get_current_head()
