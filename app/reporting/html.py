"""Self-contained HTML pages (the public open-data page, the monthly report): Jinja2 templates with one
inline style sheet, allowed by its hash in a strict Content-Security-Policy: no script, nothing loaded from
anywhere (no CDN), so a saved or printed copy looks the same."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent / "templates"
STYLE = (HERE / "print.css").read_text(encoding="utf-8")
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# form-action 'self': the open-data page's month and region chooser is a GET form to itself.
CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
env = Environment(
    loader=FileSystemLoader(HERE),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def shown(value: int | float | None, suffix: str = "") -> str:
    """A figure as printed: a suppressed one says so (never 0); thousands with a dot, as in Indonesian."""
    if value is None:
        return "disembunyikan"
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".") + suffix
    return f"{value:,}".replace(",", ".") + suffix


def percent(value: float | None) -> str:
    return "–" if value is None else shown(round(value * 100, 1), " %")


env.filters["shown"] = shown
env.filters["percent"] = percent


def render(template: str, **ctx: Any) -> str:
    return env.get_template(template).render(style=STYLE, **ctx)
