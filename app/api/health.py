from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app import clock
from app.api.deps import SessionmakerDep
from app.errors import language, problem
from app.services import health

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str | float]:
    """The process is up; `now` is the server's clock (a simulated one under `tanggap simulate`)."""
    return {"status": "ok", "now": clock.now().isoformat(), "clock_speed": clock.speed()}


@router.get("/readyz", responses={503: {"content": {"application/problem+json": {}}}})
async def readyz(request: Request, maker: SessionmakerDep) -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    ok, detail = await health.ready(maker)
    if not ok:
        return problem(503, code="not-ready", title="Not ready", detail=detail, lang=language(request))
    return JSONResponse({"status": "ready", "detail": detail})
