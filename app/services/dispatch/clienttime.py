"""Timestamps sent by a crew's phone: a step taken where there was no signal arrives later, with the time it
was taken. Accepted within a sane skew (app/dispatch/policy.py), and always kept beside the server's."""

from __future__ import annotations

from datetime import datetime

from app.dispatch import policy
from app.errors import Unprocessable


def client_time(at: datetime | None, now: datetime, *, field: str) -> datetime | None:
    if at is None:
        return None
    if at > now + policy.CLIENT_AHEAD:
        raise Unprocessable(
            f"waktu dari perangkat ({at.isoformat()}) lebih dari 2 menit di depan jam server "
            f"({now.isoformat()}); periksa jam ponsel",
            field=field,
        )
    if at < now - policy.CLIENT_BEHIND:
        raise Unprocessable(
            f"waktu dari perangkat ({at.isoformat()}) lebih dari 24 jam yang lalu", field=field
        )
    return min(at, now)
