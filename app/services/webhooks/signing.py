"""Standard Webhooks signatures (the `standardwebhooks` package): `whsec_` secrets, `webhook-id`,
`webhook-timestamp` and `webhook-signature` headers. After a rotation every secret still in its overlap
window signs, space-separated, so a receiver that has either secret accepts the message."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def live_secrets(stored: Sequence[Mapping[str, Any]], now: datetime) -> list[str]:
    """The secrets that still sign at `now`, newest first."""
    return [
        s["secret"]
        for s in stored
        if s.get("expires_at") is None or datetime.fromisoformat(s["expires_at"]) > now
    ]


def headers(message_id: str, timestamp: datetime, body: str, keys: Sequence[str]) -> dict[str, str]:
    signatures = " ".join(Webhook(k).sign(message_id, timestamp, body) for k in keys)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "Tanggap-Webhooks/1",
    }


def verify(body: bytes, request_headers: Mapping[str, str], keys: Sequence[str]) -> bool:
    """True when one of the secrets signed this body, with a timestamp within the library's tolerance
    (5 minutes either way)."""
    plain = {k.lower(): v for k, v in request_headers.items()}
    for key in keys:
        try:
            Webhook(key).verify(body, plain, json_parse=False)
        except (WebhookVerificationError, ValueError, TypeError):
            continue
        return True
    return False
