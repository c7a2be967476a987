"""NIK and KK numbers: 16 digits. A NIK is the region of first registration (6 digits, possibly an old
code: unknown prefixes are not refused), the birth date DDMMYY with 40 added to the day for women, and a
4-digit serial. Its date and sex are read from it; the year's century is the one that is not in the future."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_DIGITS = re.compile(r"^\d{16}$")


@dataclass(frozen=True, slots=True)
class NikInfo:
    region: str
    birth_date: date
    sex: str  # male / female


def parse_nik(value: str, *, today: date) -> NikInfo:
    """The parts of a NIK; ValueError (in Indonesian, then English) when it cannot be one."""
    if not _DIGITS.match(value):
        raise ValueError("NIK harus 16 angka (NIK must be 16 digits)")
    if value[:2] == "00":
        raise ValueError("kode provinsi NIK tidak boleh 00 (the province part of a NIK cannot be 00)")
    day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    sex = "female" if day > 40 else "male"
    day = day - 40 if day > 40 else day
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        born = date(year, month, day)
    except ValueError as exc:
        raise ValueError(
            "tanggal lahir dalam NIK tidak sah (the birth date in the NIK, DDMMYY at digits 7-12, "
            "is not a date)"
        ) from exc
    if born > today:
        raise ValueError("tanggal lahir dalam NIK di masa depan (the birth date in the NIK is in the future)")
    if value[12:] == "0000":
        raise ValueError("nomor urut NIK tidak boleh 0000 (the serial of a NIK cannot be 0000)")
    return NikInfo(region=value[:6], birth_date=born, sex=sex)


def check_kk(value: str) -> str:
    if not _DIGITS.match(value) or value[:2] == "00":
        raise ValueError("nomor KK harus 16 angka (a KK number is 16 digits)")
    return value
