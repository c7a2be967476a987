"""The security headers every answer carries (app/api/middleware.py adds them; the handler of unexpected
errors, which answers outside the middleware, adds them itself)."""

from __future__ import annotations

# The API serves JSON, never pages: nothing may be loaded, framed or sniffed from its answers, and nothing
# is kept by a browser or a proxy unless an answer says otherwise (answers carry personal data).
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from jsDelivr and start it with an inline script.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
# The operator's console (/konsol): its own scripts and styles only, no inline script or style, forms and
# connections (the live WebSocket) to this origin only.
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
CONSOLE_PREFIX = "/konsol"


def _encode(pairs: list[tuple[str, str]]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((k.lower().encode(), v.encode()) for k, v in pairs)


_COMMON = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
]
API = _encode([*_COMMON, ("Content-Security-Policy", STRICT_CSP)])
DOCS = _encode([*_COMMON, ("Content-Security-Policy", DOCS_CSP)])
CONSOLE = _encode([*_COMMON, ("Content-Security-Policy", CONSOLE_CSP)])
# Added unless the answer chose its own caching.
NO_STORE = (b"cache-control", b"no-store")


def for_path(path: str) -> tuple[tuple[bytes, bytes], ...]:
    if path.startswith(CONSOLE_PREFIX):
        return CONSOLE
    return DOCS if path in DOCS_PATHS else API
