"""The VAPID key that signs every push (RFC 8292): `TANGGAP_VAPID_PRIVATE_KEY` (base64url of the raw
32-byte P-256 key, `tanggap keys vapid`), or, when unset, a key derived from the secret key, so that a
server restarted with the same secret keeps its devices' subscriptions valid."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from app.settings import Settings

_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def new_private_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return _b64(key.private_numbers().private_value.to_bytes(32, "big"))


@lru_cache(maxsize=4)
def _key(private: str, secret: str) -> ec.EllipticCurvePrivateKey:
    if private:
        padded = private + "=" * (-len(private) % 4)
        value = int.from_bytes(base64.urlsafe_b64decode(padded), "big")
    else:
        digest = hashlib.sha256(b"tanggap-vapid-v1:" + secret.encode()).digest()
        value = int.from_bytes(digest, "big") % (_ORDER - 1) + 1
    return ec.derive_private_key(value, ec.SECP256R1())


def signer(settings: Settings) -> Vapid02:
    return Vapid02(_key(settings.vapid_private_key, settings.secret_key))


def application_server_key(settings: Settings) -> str:
    """What a browser passes to `pushManager.subscribe({applicationServerKey})`."""
    public = _key(settings.vapid_private_key, settings.secret_key).public_key()
    return _b64(
        public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
