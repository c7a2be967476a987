"""The server's clock: real time, or, for `tanggap simulate`, a simulated day that runs faster.

Everything that decides by time (offers, shifts, 4CT, the scheduler) asks `now()`; the loops that wait
ask `real_seconds()` how long a simulated wait is. Tokens and signatures stay on real time (they are about
real credentials). A simulated clock is refused in production (app/settings.py).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

_SPEC = re.compile(r"^sim:(?P<start>[^@]+)@(?P<speed>\d+(\.\d+)?)$")
_start_sim: datetime | None = None
_start_mono = 0.0
_speed = 1.0


def configure(spec: str | None) -> None:
    """`real` (or empty), or `sim:<ISO start with offset>@<speed>`: the clock starts at that instant when the
    server starts and runs `speed` times faster than real time."""
    global _start_sim, _start_mono, _speed
    if not spec or spec == "real":
        _start_sim, _speed = None, 1.0
        return
    m = _SPEC.match(spec)
    if m is None:
        raise ValueError("TANGGAP_CLOCK is 'real' or 'sim:<ISO start with offset>@<speed>'")
    start = datetime.fromisoformat(m["start"])
    if start.tzinfo is None:
        raise ValueError("the simulated start needs an offset, e.g. 2026-11-29T00:00:00+07:00")
    _start_sim, _start_mono, _speed = start.astimezone(UTC), time.monotonic(), float(m["speed"])


def now() -> datetime:
    if _start_sim is None:
        return datetime.now(UTC)
    return _start_sim + timedelta(seconds=(time.monotonic() - _start_mono) * _speed)


def speed() -> float:
    return _speed


def real_seconds(simulated: float) -> float:
    """How long to wait in real time for `simulated` seconds of the server's clock."""
    return simulated / _speed
