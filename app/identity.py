"""Identity numbers. Phones to E.164: Indonesian numbers in any common writing (08.., 628.., +62 8..) via
lokal-id; foreign numbers (+ and a country code) via phonenumbers. NIK masking for display."""

from __future__ import annotations

from collections.abc import Callable

import phonenumbers
from lokal import parse_phone


def normalize_phone(raw: str) -> str:
    info = parse_phone(raw)
    if info.valid and info.e164:
        return str(info.e164)
    cleaned = raw.strip()
    if cleaned.startswith("+") and not cleaned.replace(" ", "").startswith("+62"):
        try:
            number = phonenumbers.parse(cleaned, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValueError("not a valid phone number (e.g. 0812-3456-7890 or +62 812 3456 7890)")


def mask_phone(e164: str | None) -> str | None:
    """+6281234567890 -> +62812****7890: enough to recognise, not to call."""
    if not e164:
        return e164
    return e164[:6] + "*" * max(len(e164) - 10, 2) + e164[-4:]


def mask_nik(nik: str | None) -> str | None:
    """Region of registration and serial stay; the birth date (and so the sex) is hidden."""
    return None if nik is None else nik[:4] + "*" * 8 + nik[-4:]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return " ".join(part[:1] + "*" * (len(part) - 1) for part in name.split())


Masker = Callable[[str | None], str | None]
