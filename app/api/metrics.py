"""`GET /metrics` for Prometheus: from the allowed networks, or with the metrics token (app/settings.py)."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response

from app import metrics
from app.api.deps import SettingsDep, client_ip
from app.errors import Forbidden
from app.models.base import utcnow
from app.settings import Settings

router = APIRouter(tags=["operations"])


def _may_scrape(settings: Settings, request: Request) -> bool:
    if settings.metrics_token:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            token.encode(), settings.metrics_token.encode()
        ):
            return True
    address = client_ip(request)
    if address is None:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in settings.metrics_allow)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {metrics.CONTENT_TYPE: {}}},
        403: {"content": {"application/problem+json": {}}},
    },
)
async def scrape(request: Request, settings: SettingsDep) -> Response:
    """Prometheus text format: every worker's request counts and latencies, pools, live connections,
    dispatch rounds, expiries, 4CT breaches and scheduler lag, and the database's queues at this moment."""
    if not _may_scrape(settings, request):
        raise Forbidden(
            "metrik hanya untuk pemantauan: dari jaringan yang diizinkan (TANGGAP_METRICS_ALLOW) atau dengan "
            "token metrik (TANGGAP_METRICS_TOKEN)"
        )
    database = await metrics.database_gauges(request.app.state.engine, utcnow())
    return Response(metrics.exposition(database), media_type=metrics.CONTENT_TYPE)
