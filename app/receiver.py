"""A minimal webhook receiver for agencies trying Tanggap out (`tanggap receiver`): it verifies each message
with the `standardwebhooks` package and prints what arrived. A reference for their own systems, not a
production service."""

from __future__ import annotations

import json
from collections.abc import Callable

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def create(secret: str, echo: Callable[[str], None] = print) -> Starlette:
    hook = Webhook(secret)

    async def receive(request: Request) -> Response:
        raw = await request.body()
        try:
            message = hook.verify(raw, dict(request.headers))
        except WebhookVerificationError as exc:
            echo(f"REFUSED {request.headers.get('webhook-id', '?')}: {exc}")
            return Response(status_code=401)
        data = message.get("data", {})
        incident = data.get("incident", {})
        referral = data.get("referral", {})
        echo(
            json.dumps(
                {
                    "webhook-id": request.headers.get("webhook-id"),
                    "type": message.get("type"),
                    "incident": incident.get("id"),
                    "category": incident.get("category"),
                    "priority": incident.get("priority"),
                    "where": incident.get("region_name") or incident.get("region_code"),
                    "referral": referral.get("id"),
                },
                ensure_ascii=False,
            )
        )
        return Response(status_code=204)

    return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])
