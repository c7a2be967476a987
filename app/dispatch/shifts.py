"""Shift templates, computed in the team's own time zone (WIB/WITA/WIT, no daylight saving), stored in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class ShiftTemplate:
    name: str
    starts: time
    hours: int


THREE_EIGHTS = (
    ShiftTemplate("Pagi", time(7), 8),
    ShiftTemplate("Siang", time(15), 8),
    ShiftTemplate("Malam", time(23), 8),
)
TWO_TWELVES = (ShiftTemplate("Siang", time(7), 12), ShiftTemplate("Malam", time(19), 12))
TEMPLATES = {"3x8": THREE_EIGHTS, "2x12": TWO_TWELVES}


@dataclass(frozen=True, slots=True)
class ShiftWindow:
    name: str
    day: date
    starts_at: datetime
    ends_at: datetime


def shifts_on(day: date, templates: tuple[ShiftTemplate, ...], zone: str) -> list[ShiftWindow]:
    """The shifts that start on `day` (local), as UTC windows."""
    tz = ZoneInfo(zone)
    out = []
    for t in templates:
        start = datetime.combine(day, t.starts, tzinfo=tz)
        out.append(
            ShiftWindow(
                t.name,
                day,
                start.astimezone(ZoneInfo("UTC")),
                (start + timedelta(hours=t.hours)).astimezone(ZoneInfo("UTC")),
            )
        )
    return out


def current(now: datetime, templates: tuple[ShiftTemplate, ...], zone: str) -> ShiftWindow:
    """The shift running at `now` (a night shift that began yesterday included)."""
    local_day = now.astimezone(ZoneInfo(zone)).date()
    for day in (local_day, local_day - timedelta(days=1)):
        for window in shifts_on(day, templates, zone):
            if window.starts_at <= now < window.ends_at:
                return window
    raise ValueError("the templates leave a gap at this moment")


def rotation(
    start: date, days: int, templates: tuple[ShiftTemplate, ...], zone: str, groups: int
) -> list[tuple[ShiftWindow, int]]:
    """Every shift of `days` days from `start`, with the group that works it: the groups take the shifts in
    turn, continuing across days (with three groups on 3 x 8 h each group works one shift a day, each day
    at the same hour; with four on 2 x 12 h, two days on, two off)."""
    out = []
    slot = 0
    for offset in range(days):
        for window in shifts_on(start + timedelta(days=offset), templates, zone):
            out.append((window, slot % groups))
            slot += 1
    return out
