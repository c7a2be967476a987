"""`tanggap simulate` in CI: a simulated morning of Kota Batam at 120x through the real API of a server on
PostgreSQL, with the raid, crews declining and staying silent, steps sent late and retried. It must end with
no invariant broken and no 5xx (the command's exit code and its figures say so)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_DSN, create_pg_database, drop_pg_database


@pytest.mark.timeout(600)
def test_a_simulated_morning_breaks_no_invariant(tmp_path: Path) -> None:
    # Skips (or fails under TANGGAP_REQUIRE_POSTGRES) like the other PostgreSQL tests when it is unreachable.
    probe = create_pg_database()
    if probe is not None:
        drop_pg_database(probe)
    out = tmp_path / "day.json"
    cli = str(Path(sys.executable).parent / "tanggap")
    done = subprocess.run(
        [
            *(cli, "simulate", "--hours", "2", "--speed", "120", "--seed", "3", "--policy", "engine"),
            *("--postgres", PG_ADMIN_DSN, "--json", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    [day] = json.loads(out.read_text())
    assert day["invariant_breaks"] == [] and day["server_errors"] == [], day
    assert done.returncode == 0, done.stdout[-3000:]
    assert day["incidents"] >= 5 and day["events"] > 50
    # The raid's six children were offered to a crew (the surge is in the first hours).
    assert day["offers_per_incident"] > 0.5
