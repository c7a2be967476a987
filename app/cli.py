"""The `tanggap` command: serve, migrate, users, seed."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from app import migrate
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.models import Role, User
from app.settings import get_settings

T = TypeVar("T")


def _run_in_db(fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Runs `fn(session)` in one unit of work against the configured database."""

    async def go() -> T:
        engine = make_engine(get_settings())
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                return await fn(session)
        finally:
            await engine.dispose()

    return asyncio.run(go())


@click.group()
def main() -> None:
    """Tanggap: dispatch backend for Dinas Sosial rapid-response teams."""


@main.command("migrate")
def migrate_cmd() -> None:
    """Apply pending database migrations."""
    migrate.upgrade(get_settings().database_url)
    click.echo(f"database at migration {migrate.head_revision()}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="load demo accounts and reports on first start")
def serve(host: str, port: int, workers: int, demo: bool) -> None:
    """Apply pending migrations, then serve the API with uvicorn."""
    import uvicorn

    settings = get_settings()
    if settings.is_sqlite and workers > 1:
        raise click.UsageError("the SQLite default runs one worker; use PostgreSQL for --workers > 1")
    migrate.upgrade(settings.database_url)
    if demo:
        _seed_and_report()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


@main.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--region", "region", default="", help="Kemendagri code prefix, e.g. 21.71 (empty: national admin)"
)
@click.option("--full-name", default="")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def users_create(username: str, role: str, region: str, full_name: str, password_stdin: bool) -> None:
    """Create an account."""
    from app.errors import DomainError
    from app.services import users as users_service

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    if password is not None and len(password) < 10:
        raise click.UsageError("the password must have at least 10 characters")

    async def create(session: AsyncSession) -> User:
        return await users_service.create_user(
            session,
            username=username,
            role=Role(role),
            region_code=region,
            password=password,
            full_name=full_name,
        )

    try:
        user = _run_in_db(create)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"created {user.role} {user.username} ({user.id}) in region {user.region_code or 'ID'}")


@main.group()
def seed() -> None:
    """Load data."""


def _seed_and_report() -> None:
    from app.seed import DEMO_PASSWORD, seed_demo

    counts = _run_in_db(seed_demo)
    click.echo(
        f"demo data: {counts['users']} accounts and {counts['reports']} reports added "
        f"(demo password: {DEMO_PASSWORD})"
    )


@seed.command("demo")
def seed_demo_cmd() -> None:
    """Load the demo accounts and sample reports (idempotent)."""
    migrate.upgrade(get_settings().database_url)
    _seed_and_report()
