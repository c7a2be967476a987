"""Open data without an account: a month's counts of real cases per kab/kota, kecamatan and category, and 4CT
compliance per kab/kota, small cells suppressed (the method is in every answer); the same as a page at
/data-terbuka. Rate-limited per client like the other public routes, cacheable by browsers and proxies.
Served as stored by the background refresh (app/services/opendata.py): a read of one row."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import SessionmakerDep, SettingsDep, client_ip
from app.reporting import html
from app.reporting.tally import STAGES
from app.schemas.common import problem_responses
from app.schemas.opendata import OpenDataCompliance, OpenDataCounts
from app.services import opendata, ratelimit

router = APIRouter(prefix="/open-data", tags=["open data"])
page = APIRouter(include_in_schema=False)
MONTH = r"^(19[7-9]\d|20\d\d)-(0[1-9]|1[0-2])$"
KABKOTA = r"^\d{2}\.\d{2}$"
Month = Annotated[str | None, Query(pattern=MONTH, description="YYYY-MM; default the last whole month")]


async def open_data_rate_limited(request: Request, settings: SettingsDep, maker: SessionmakerDep) -> None:
    await ratelimit.hit(
        maker,
        f"open-data:{client_ip(request)}",
        limit=settings.open_data_rate_limit,
        window_s=settings.public_rate_window_seconds,
    )


_responses = problem_responses(422, 429)


def _served(
    request: Request, body: bytes, tag: str, at: datetime, media_type: str, seconds: int, **extra: str
) -> Response:
    """Public figures: cacheable by browsers and proxies, with the time they were computed; a matching
    If-None-Match is a 304."""
    headers = {
        "Cache-Control": f"public, max-age={seconds}",
        "ETag": tag,
        "Last-Modified": format_datetime(at.astimezone(UTC), usegmt=True),
        "Vary": "Accept-Encoding",
        **extra,
    }
    if tag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _json(request: Request, found: opendata.Published, seconds: int) -> Response:
    return _served(request, found.body.encode(), found.etag, found.computed_at, "application/json", seconds)


@router.get(
    "/incidents",
    response_model=OpenDataCounts,
    dependencies=[Depends(open_data_rate_limited)],
    responses=_responses,
)
async def open_incident_counts(
    request: Request,
    maker: SessionmakerDep,
    settings: SettingsDep,
    month: Month = None,
    region: Annotated[str | None, Query(pattern=KABKOTA, description="a kab/kota: its kecamatan")] = None,
) -> Response:
    """Real cases of a month by category: per kab/kota (all Indonesia), or per kecamatan of one kab/kota
    (`region=52.71`). A count from 1 to 4 is null (suppressed), and so is whatever would let one be worked
    out from the totals; `method` says how, in Indonesian. Served as stored by the background refresh
    (`generated_at`, Last-Modified: when it was computed)."""
    opendata.check_region(region)
    found = await opendata.published(maker, opendata.parse_month(month), opendata.INCIDENTS, region)
    return _json(request, found, settings.open_data_cache_seconds)


@router.get(
    "/four-ct",
    response_model=OpenDataCompliance,
    dependencies=[Depends(open_data_rate_limited)],
    responses=_responses,
)
async def open_four_ct(
    request: Request, maker: SessionmakerDep, settings: SettingsDep, month: Month = None
) -> Response:
    """4CT compliance of a month per kab/kota and stage: cases decided, share met in time, median minutes;
    nothing for a stage with fewer than 5 decided cases."""
    found = await opendata.published(maker, opendata.parse_month(month), opendata.FOUR_CT)
    return _json(request, found, settings.open_data_cache_seconds)


@page.get("/data-terbuka", response_class=HTMLResponse, dependencies=[Depends(open_data_rate_limited)])
async def open_data_page(
    request: Request,
    maker: SessionmakerDep,
    settings: SettingsDep,
    bulan: Annotated[str | None, Query(pattern=MONTH)] = None,
    wilayah: Annotated[str | None, Query(pattern=r"^(\d{2}\.\d{2})?$")] = None,
) -> Response:
    """The same figures as a page, for a citizen without an account (no script, no sign-in)."""
    region = wilayah or None
    opendata.check_region(region)
    month = opendata.parse_month(bulan)
    stored = await opendata.published(maker, month, opendata.INCIDENTS)
    national = OpenDataCounts.model_validate_json(stored.body)
    if region is None:
        counts = national
        four_ct = await opendata.published(maker, month, opendata.FOUR_CT)
        compliance: OpenDataCompliance | None = OpenDataCompliance.model_validate_json(four_ct.body)
    else:
        counts = OpenDataCounts.model_validate_json(
            (await opendata.published(maker, month, opendata.INCIDENTS, region)).body
        )
        compliance = None
    text = html.render(
        "open_data.html",
        counts=counts,
        compliance=compliance,
        stages=STAGES,
        choices=[(r.code, r.label) for r in national.rows if r.code],
    )
    body = text.encode()
    return _served(
        request,
        body,
        '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        stored.computed_at,
        "text/html; charset=utf-8",
        settings.open_data_cache_seconds,
        **{"Content-Security-Policy": html.CSP},
    )
