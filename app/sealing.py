"""Secrets at rest: the signing secrets of webhook endpoints and inbound sources are stored sealed (Fernet:
AES-128-CBC with an HMAC-SHA256, from the `cryptography` package), so that a copy of the database or of a
backup does not let anyone sign as Tanggap to an agency, or as a source to Tanggap.

The keys: `TANGGAP_DATA_KEYS` (Fernet keys, newest first: the first seals, all open) and, always last, a key
derived from `TANGGAP_SECRET_KEY`. To change the secret key, first list the key derived from the old one
(`tanggap keys derived`, run with the old secret) in `TANGGAP_DATA_KEYS`.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.settings import Settings, get_settings

_ring: MultiFernet | None = None


class Unsealable(ValueError):
    """A sealed value none of the keys opens: the secret key changed without its derived key being kept."""


def derived_key(secret_key: str) -> str:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tanggap secrets at rest v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())).decode()


def configure(settings: Settings) -> None:
    global _ring
    _ring = ring(settings.data_keys, settings.secret_key)


def ring(data_keys: Sequence[str], secret_key: str) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in [*data_keys, derived_key(secret_key)]])


def _current() -> MultiFernet:
    if _ring is None:
        configure(get_settings())
    assert _ring is not None
    return _ring


def seal(text: str) -> str:
    return _current().encrypt(text.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise Unsealable(
            "a sealed secret opens with none of the keys (TANGGAP_DATA_KEYS, TANGGAP_SECRET_KEY)"
        ) from exc
