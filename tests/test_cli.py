"""The `tanggap` command says what to do instead of printing a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TANGGAP = str(Path(sys.executable).parent / "tanggap")


def run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TANGGAP_DATABASE_URL": url}
    return subprocess.run([TANGGAP, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_users_create_on_a_database_never_migrated_says_run_migrate(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    done = run("users", "create", "--username", "first.admin", "--role", "admin", url=url)
    assert done.returncode == 1
    assert "tanggap migrate" in done.stderr and "Traceback" not in done.stderr
    assert run("migrate", url=url).returncode == 0
    done = run("users", "create", "--username", "first.admin", "--role", "admin", url=url)
    assert done.returncode == 0, done.stderr


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    done = run(
        "users",
        "create",
        "--username",
        "a.b",
        "--role",
        "admin",
        url="postgresql+asyncpg://u:hush@127.0.0.1:1/x",
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "TANGGAP_DATABASE_URL" in done.stderr and "hush" not in done.stderr
