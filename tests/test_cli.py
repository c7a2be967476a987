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


def _stdin_run(*args: str, url: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TANGGAP_DATABASE_URL": url}
    return subprocess.run(
        [TANGGAP, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def test_accounts_are_deactivated_reset_and_unlocked_from_the_console(tmp_path: Path) -> None:
    import sqlite3

    from app import security

    db = tmp_path / "t.db"
    url = f"sqlite+aiosqlite:///{db}"
    assert run("migrate", url=url).returncode == 0
    for name, role, region in (("admin", "admin", ""), ("op.batam", "operator", "21.71")):
        done = _stdin_run(
            "users",
            "create",
            "--username",
            name,
            "--role",
            role,
            "--region",
            region,
            "--password-stdin",
            url=url,
            stdin="kata-sandi-lama\n",
        )
        assert done.returncode == 0, done.stderr

    def row() -> tuple[int, int, str]:
        with sqlite3.connect(db) as conn:
            r = conn.execute(
                "SELECT is_active, token_version, password_hash FROM users WHERE username = 'op.batam'"
            ).fetchone()
        return int(r[0]), int(r[1]), str(r[2])

    _, version, _ = row()
    done = run("users", "deactivate", "op.batam", url=url)
    assert done.returncode == 0, done.stderr
    assert row()[:2] == (0, version + 1)
    assert run("users", "reactivate", "op.batam", url=url).returncode == 0
    assert row()[0] == 1
    done = _stdin_run("users", "reset-password", "op.batam", url=url, stdin="kata-sandi-baru\n")
    assert done.returncode == 0, done.stderr
    assert security.verify_password("kata-sandi-baru", row()[2]) and row()[1] == version + 2
    # What goes wrong is said, not thrown: an unknown account, an --as that is no admin, a short password.
    for args, stdin, says in (
        (("users", "deactivate", "nobody"), "", "tidak ditemukan"),
        (("users", "deactivate", "admin", "--as", "op.batam"), "", "bukan akun admin"),
        (("users", "reset-password", "op.batam"), "pendek\n", "minimal 10"),
        (("users", "deactivate", "admin"), "", "akun sendiri"),
    ):
        done = _stdin_run(*args, url=url, stdin=stdin)
        assert done.returncode != 0 and says in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert run("users", "unlock", "op.batam", url=url).returncode == 0
