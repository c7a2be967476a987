"""The operator's console: server-rendered pages (Jinja2, vendored htmx, no CDN) under /konsol, signed in
with a session cookie, live through the API's WebSocket stream."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from app.console import agency_routes, i18n, incident_routes, routes, team_routes
from app.console.pages import STATIC
from app.console.session import SignInRequired
from app.errors import DomainError

PREFIX = "/konsol"


def install(app: FastAPI) -> None:
    i18n.warm_up()
    app.include_router(routes.root)
    app.include_router(routes.router)
    app.include_router(incident_routes.router)
    app.include_router(team_routes.router)
    app.include_router(agency_routes.router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")
    api_handler = app.exception_handlers[DomainError]

    async def signed_out(request: Request, exc: Exception) -> Response:
        return routes.signed_out(request)

    async def domain_error(request: Request, exc: Exception) -> Response:
        # Pages answer with a page; the API keeps its problem+json.
        if request.url.path.startswith(PREFIX + "/") and isinstance(exc, DomainError):
            return routes.error_page(request, exc)
        return await api_handler(request, exc)  # type: ignore[no-any-return,misc]

    app.add_exception_handler(SignInRequired, signed_out)
    app.add_exception_handler(DomainError, domain_error)
