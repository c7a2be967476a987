from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import SessionmakerDep
from app.errors import problem
from app.services import health

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"content": {"application/problem+json": {}}}})
async def readyz(maker: SessionmakerDep) -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    ok, detail = await health.ready(maker)
    if not ok:
        return problem(503, code="not-ready", title="Not ready", detail=detail)
    return JSONResponse({"status": "ready", "detail": detail})
