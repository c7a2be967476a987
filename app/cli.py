"""The `tanggap` command: serve, migrate, users, seed, archive."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import click
from alembic.runtime.migration import MigrationContext
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import logs, migrate, sealing
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.models import Role, User
from app.services.access import Principal
from app.settings import get_settings

T = TypeVar("T")
# prometheus-client's multiprocess directory (not imported from app.metrics: it must not be imported yet).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _run_in_db(fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Runs `fn(session)` in one unit of work against the configured database, once it is reachable and
    migrated to this version's schema; otherwise says what to do, instead of a traceback."""

    async def one(maker: async_sessionmaker[AsyncSession]) -> T:
        async with unit_of_work(maker) as session:
            return await fn(session)

    return _run_with_db(one)


def _run_with_db(fn: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """Runs `fn(sessionmaker)` (work of several transactions) as `_run_in_db` runs one."""
    settings = get_settings()

    async def go() -> T:
        engine = make_engine(settings)
        try:
            async with engine.connect() as conn:
                current = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
            if current != migrate.head_revision():
                raise click.ClickException(
                    f"basis data belum dimigrasi (versi {current or 'kosong'}, perlu "
                    f"{migrate.head_revision()}): jalankan `tanggap migrate` dahulu "
                    "(run `tanggap migrate` first)"
                )
            return await fn(make_sessionmaker(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except (OSError, DBAPIError) as exc:
        raise click.ClickException(
            f"basis data di {_safe(settings.database_url)} tidak dapat dipakai: {str(exc).splitlines()[0]}; "
            "periksa TANGGAP_DATABASE_URL (check TANGGAP_DATABASE_URL)"
        ) from exc


def _safe(url: str) -> str:
    """The database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


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
    logs.configure(settings.log_format, settings.log_level)
    with _metrics_dir():
        migrate.upgrade(settings.database_url)
        if demo:
            _seed_and_report()
        # No per-message deflate: events are a few hundred bytes, and deflate doubles an idle connection's
        # memory. No uvicorn access log and no uvicorn logging set-up: the application writes one access
        # line per request with its request id, in the configured format (app/logs.py).
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            log_level=settings.log_level.lower(),
            log_config=None,
            access_log=False,
            ws_per_message_deflate=False,
        )


@contextlib.contextmanager
def _metrics_dir() -> Iterator[None]:
    """prometheus-client's multiprocess directory, shared by the workers (app/metrics.py): the one in
    PROMETHEUS_MULTIPROC_DIR, emptied (a previous run's counters would add to this one's), or a temporary
    one removed afterwards. Set before the application (and prometheus-client) is imported."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess directory was set")
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        directory = Path(tempfile.mkdtemp(prefix="tanggap-metrics-"))
        os.environ[MULTIPROC_ENV] = str(directory)
    try:
        yield
    finally:
        if not given:
            shutil.rmtree(directory, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)


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
@click.option("--agency", "agency_id", type=click.UUID, default=None, help="for role agency: the agency's id")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def users_create(
    username: str, role: str, region: str, full_name: str, agency_id: uuid.UUID | None, password_stdin: bool
) -> None:
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
            agency_id=agency_id,
        )

    try:
        user = _run_in_db(create)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"created {user.role} {user.username} ({user.id}) in region {user.region_code or 'ID'}")


async def _as_admin(session: AsyncSession, username: str) -> Principal:
    """The CLI acts as a named national or regional admin account (recorded in the audit as such)."""
    admin = await session.scalar(select(User).where(User.username == username))
    if admin is None or admin.role != Role.admin or not admin.is_active:
        raise click.ClickException(
            f"{username!r} bukan akun admin yang aktif; sebutkan satu dengan --as "
            "(name an active admin with --as)"
        )
    return Principal(admin.id, f"{admin.username} (cli)", Role.admin, admin.region_code)


def _account_command(
    username: str, as_admin: str, act: Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[User]]
) -> User:
    from app.errors import DomainError

    async def go(session: AsyncSession) -> User:
        by = await _as_admin(session, as_admin)
        target = await session.scalar(select(User).where(User.username == username))
        if target is None:
            raise click.ClickException(f"akun {username!r} tidak ditemukan (no such account)")
        return await act(session, by, target.id)

    try:
        return _run_in_db(go)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc


_AS = click.option(
    "--as", "as_admin", default="admin", show_default=True, help="the admin account the change is made as"
)


@users.command("deactivate")
@click.argument("username")
@_AS
def users_deactivate(username: str, as_admin: str) -> None:
    """Deactivate an account: its tokens and API keys stop working at once, on every worker."""
    from app.services import users as users_service

    user = _account_command(
        username, as_admin, lambda s, by, uid: users_service.set_active(s, by, uid, active=False)
    )
    click.echo(f"{user.username} dinonaktifkan (deactivated)")


@users.command("reactivate")
@click.argument("username")
@_AS
def users_reactivate(username: str, as_admin: str) -> None:
    """Reactivate an account (its old tokens stay dead: the owner signs in again)."""
    from app.services import users as users_service

    user = _account_command(
        username, as_admin, lambda s, by, uid: users_service.set_active(s, by, uid, active=True)
    )
    click.echo(f"{user.username} diaktifkan kembali (reactivated)")


@users.command("reset-password")
@click.argument("username")
@_AS
def users_reset_password(username: str, as_admin: str) -> None:
    """Set a new password, read from standard input (at least 10 characters): the account's tokens end and
    a lock-out of its name is lifted. The way back in for an admin who lost his."""
    from app.services import users as users_service

    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 10:
        raise click.UsageError("kata sandi minimal 10 karakter, dari standard input (at least 10 characters)")
    user = _account_command(
        username, as_admin, lambda s, by, uid: users_service.reset_password(s, by, uid, password)
    )
    click.echo(f"kata sandi {user.username} diatur ulang (password reset)")


@users.command("unlock")
@click.argument("username")
@_AS
def users_unlock(username: str, as_admin: str) -> None:
    """Lift a login lock-out of the account's name."""
    from app.services import users as users_service

    user = _account_command(username, as_admin, users_service.unlock)
    click.echo(f"kunci masuk {user.username} dibuka (unlocked)")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9000, show_default=True, type=int)
@click.option(
    "--secret", envvar="TANGGAP_RECEIVER_SECRET", required=True, help="the endpoint's whsec_ secret"
)
def receiver(host: str, port: int, secret: str) -> None:
    """A webhook receiver for trying Tanggap out: verifies each message's signature and prints it."""
    import uvicorn

    from app import receiver as receiver_app

    app = receiver_app.create(secret, lambda line: click.echo(line))
    click.echo(f"receiving on http://{host}:{port}/ (signatures checked with standardwebhooks)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@main.group()
def keys() -> None:
    """Keys of the secrets stored sealed (app/sealing.py)."""


@keys.command("derived")
def keys_derived() -> None:
    """Prints the key derived from the current TANGGAP_SECRET_KEY: before changing the secret key, add it to
    TANGGAP_DATA_KEYS so that the signing secrets sealed with it still open."""
    click.echo(sealing.derived_key(get_settings().secret_key))


@keys.command("vapid")
def keys_vapid() -> None:
    """Prints a new VAPID private key for TANGGAP_VAPID_PRIVATE_KEY (Web Push). Changing it invalidates the
    devices' subscriptions: they subscribe again with the new public key (GET /api/v1/me/push/key)."""
    from app.services.push.vapid import new_private_key

    click.echo(new_private_key())


@keys.command("new")
def keys_new() -> None:
    """Prints a new random key for TANGGAP_DATA_KEYS (put it first: it seals from then on)."""
    click.echo(Fernet.generate_key().decode())


@main.group()
def seed() -> None:
    """Load data."""


def _seed_and_report() -> None:
    from app.seed import DEMO_PASSWORD, seed_demo

    counts = _run_in_db(seed_demo)
    click.echo(
        f"demo data: {counts['users']} accounts, {counts['reports']} reports and {counts['crews']} crews "
        f"added (demo password: {DEMO_PASSWORD})"
    )


@seed.command("demo")
def seed_demo_cmd() -> None:
    """Load the demo accounts and sample reports (idempotent)."""
    migrate.upgrade(get_settings().database_url)
    _seed_and_report()


@seed.command("volume")
@click.option("--years", type=click.IntRange(1, 20), default=5, show_default=True)
@click.option(
    "--regions",
    "scope",
    default="all",
    show_default=True,
    help="'all', or province / kab/kota codes separated by commas (e.g. 21,63.09)",
)
@click.option(
    "--per-month",
    type=click.FloatRange(1, 10_000),
    default=80,
    show_default=True,
    help="mean incidents per kab/kota per month (each kab/kota has its own weight around it)",
)
@click.option("--seed", "seed_", type=int, default=1, show_default=True, help="same seed, same data")
def seed_volume_cmd(years: int, scope: str, per_month: float, seed_: int) -> None:
    """Fill a PostgreSQL database with years of plausible national data (COPY; no personal data)."""
    from app.seed_volume import load

    settings = get_settings()
    if settings.is_sqlite:
        raise click.ClickException("volume data is for PostgreSQL: set TANGGAP_DATABASE_URL")
    migrate.upgrade(settings.database_url)
    codes = [] if scope.strip() == "all" else [c.strip() for c in scope.split(",") if c.strip()]
    try:
        counts = asyncio.run(
            load(
                settings.database_url,
                years=years,
                scope=codes,
                per_month=per_month,
                seed=seed_,
                progress=lambda line: click.echo(line, err=True),
            )
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(", ".join(f"{n:,} {what}" for what, n in counts.items()))


@main.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="Tanggap's base URL")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--region", "regions_", multiple=True, help="follow a region code prefix, e.g. 21.71")
@click.option("--incident", "incidents", multiple=True, help="follow one incident")
@click.option("--mine", is_flag=True, help="follow what you do (and, with dispatch, your crew)")
@click.option("--since", type=int, default=None, help="replay from this seq first")
@click.option("--json", "as_json", is_flag=True, help="print the raw JSON messages")
def watch(
    url: str,
    username: str,
    password_stdin: bool,
    regions_: tuple[str, ...],
    incidents: tuple[str, ...],
    mine: bool,
    since: int | None,
    as_json: bool,
) -> None:
    """Print the live stream in the terminal; reconnects and resumes by itself."""
    from app.live.watch import run_watch

    password = (
        sys.stdin.readline().rstrip("\n") if password_stdin else click.prompt("password", hide_input=True)
    )
    topics = (
        [f"region:{r}" for r in regions_] + [f"incident:{i}" for i in incidents] + (["mine"] if mine else [])
    )
    if not topics:
        raise click.UsageError("give --region, --incident or --mine")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_watch(url, username, password, topics, since, as_json, click.echo))


@main.command()
@click.option("--hours", default=24.0, show_default=True, help="simulated hours to play")
@click.option("--speed", default=60.0, show_default=True, help="simulated seconds per real second")
@click.option("--seed", default=7, show_default=True, help="the day's random seed (same seed, same day)")
@click.option(
    "--policy",
    type=click.Choice(["engine", "closest_idle", "both"]),
    default="both",
    show_default=True,
    help="the dispatch rule; both plays the same day twice and compares",
)
@click.option(
    "--start",
    default="2026-12-01T06:00:00+07:00",
    show_default=True,
    help="when the simulated day starts (ISO, with offset)",
)
@click.option(
    "--postgres",
    default=None,
    help="an admin DSN (e.g. postgresql://root@127.0.0.1:5432/postgres): each run gets a fresh database "
    "there; without it, a SQLite file",
)
@click.option("--places", type=click.Path(path_type=Path), default=None, help="kelurahan centroids CSV")
@click.option("--no-surges", is_flag=True, help="leave out the raid and the flood")
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None, help="write the figures")
@click.option("--keep", is_flag=True, help="keep the PostgreSQL database of each run, to look into it")
def simulate(
    hours: float,
    speed: float,
    seed: int,
    policy: str,
    start: str,
    postgres: str | None,
    places: Path | None,
    no_surges: bool,
    json_out: Path | None,
    keep: bool,
) -> None:
    """Play a realistic day of Kota Batam's TRC through the real HTTP API of a server started for it (its
    clock runs the day SPEED times faster): reports by kecamatan and category, a raid and a flood, crews on
    a roster whose phones answer, move and report their steps, operators verifying. Checks the invariants
    as it goes and exits 1 if one breaks or a request gets a 5xx."""
    import json
    from datetime import datetime

    from rich.console import Console

    from app.simulate import run as sim
    from app.simulate.summary import show

    console = Console()
    began = datetime.fromisoformat(start)
    if began.tzinfo is None:
        raise click.UsageError("--start needs an offset, e.g. 2026-12-01T06:00:00+07:00")
    policies = ["engine", "closest_idle"] if policy == "both" else [policy]
    results = []
    with sim.progress_bar() as progress:
        for name in policies:
            results.append(
                sim.run_day(
                    start=began,
                    hours=hours,
                    speed=speed,
                    seed=seed,
                    policy=name,
                    postgres=postgres,
                    places=places,
                    surges=not no_surges,
                    progress=progress,
                    keep=keep,
                )
            )
    show(results, console)
    if json_out is not None:
        json_out.write_text(json.dumps([r.as_dict() for r in results], indent=2, default=str))
    if any(r.breaks or r.server_errors for r in results):
        raise SystemExit(1)


@main.group()
def archive() -> None:
    """Move old data out of the hot tables (arsip)."""


@archive.command("events")
@click.option(
    "--before",
    required=True,
    help="cut-off: a date (2026-05-01, UTC) or months back (6m); at least 30 days ago",
)
@click.option("--dry-run", is_flag=True, help="count what would move; change nothing")
@click.option(
    "--batch",
    type=click.IntRange(1, 10_000),
    default=500,
    show_default=True,
    help="incidents per transaction",
)
def archive_events(before: str, dry_run: bool, batch: int) -> None:
    """Move the events of incidents that ended (resolved, closed, rejected, cancelled) before the cut-off
    into events_archive.

    Events of open incidents, events the webhook fan-out or the match proposals have not read yet, and every
    event of an incident with a webhook delivery still pending stay. The incident's timeline still shows the
    archived events. Resumable and safe to run twice or in two processes at once; records an
    `events.archived` event (counts, range, who)."""
    from app.clock import now as clock_now
    from app.services import archive as archive_service

    now = clock_now()
    try:
        cut = archive_service.cut_off(before, now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--before") from exc

    def progress(summary: archive_service.Summary) -> None:
        if summary.batches % 20 == 0:
            click.echo(
                f"  batch {summary.batches}: {summary.events:,} peristiwa dari {summary.incidents:,} insiden "
                "(events of incidents)",
                err=True,
            )

    async def go(maker: async_sessionmaker[AsyncSession]) -> archive_service.Summary:
        return await archive_service.run(maker, cut, now, batch=batch, dry_run=dry_run, progress=progress)

    try:
        summary = _run_with_db(go)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    verb = "akan dipindahkan (would move, dry run)" if dry_run else "dipindahkan ke arsip (archived)"
    click.echo(
        f"{summary.events:,} peristiwa dari {summary.incidents:,} insiden yang berakhir sebelum "
        f"{cut.date().isoformat()} {verb}; {summary.batches:,} batch"
    )
    if summary.seq_min is not None and summary.occurred_min and summary.occurred_max:
        click.echo(
            f"seq {summary.seq_min}-{summary.seq_max}, terjadi {summary.occurred_min.date().isoformat()} "
            f"s.d. {summary.occurred_max.date().isoformat()} (occurred)"
        )
    if summary.waiting:
        click.echo(
            f"{summary.waiting:,} insiden menunggu pengiriman webhook yang tertunda; diarsipkan pada putaran "
            "berikutnya (incidents waiting for pending webhook deliveries; archived on a later run)"
        )
