"""Drawing pages: the Jinja2 environment, the context every page gets (language, session, CSRF token, the
team's time zone, the live stream's starting point) and the HTML error page."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app import errors
from app.console import i18n, labels, reasons
from app.console.session import ConsoleSession
from app.reference import regions
from app.reference.categories import CATEGORIES

HERE = Path(__file__).parent
STATIC = HERE / "static"
env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def static_url(name: str) -> str:
    """A static file's URL with its content hash: cached by browsers, never stale after an upgrade."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"/konsol/static/{name}?v={digest}"


def language(request: Request) -> str:
    lang = request.cookies.get(i18n.COOKIE, i18n.DEFAULT)
    return lang if lang in i18n.LANGUAGES else i18n.DEFAULT


def category_label(code: str, lang: str) -> str:
    c = CATEGORIES.get(code)
    if c is None:
        return code
    return c.name_en if lang == "en" else c.name_id


def region_label(code: str) -> str:
    r = regions.get_region(code) if code else None
    return r.name if r else (code or "Indonesia")


def render(
    request: Request,
    template: str,
    sess: ConsoleSession | None = None,
    *,
    status_code: int = 200,
    **ctx: Any,
) -> HTMLResponse:
    lang = language(request)
    gettext = i18n.gettext_for(lang)
    region_code = sess.principal.region_code if sess else ""
    kabkota = ".".join(region_code.split(".")[:2])
    base = {
        "request": request,
        "_": gettext,
        "lang": lang,
        "lang_tag": i18n.TAGS[lang],
        "sess": sess,
        "csrf": sess.csrf if sess else ctx.pop("csrf", ""),
        "static": static_url,
        "labels": labels,
        "category_label": lambda code: category_label(code, lang),
        # A dispatch reason in the page's language: its code and values, or a stored text
        # (app/console/reasons.py).
        "reason_text": lambda value, text=None: reasons.in_words(value, lang, text=text),
        "reason_list": lambda texts, whys=None: reasons.each(texts, whys, lang),
        # A problem's detail (written in either language) in the page's (app/errors.py).
        "problem_text": lambda text: errors.localise(str(text), lang),
        "day_label": lambda day: format_date(day, "EEEE, d MMM", locale=i18n.TAGS[lang].replace("-", "_")),
        "region_label": region_label,
        "region_code": region_code,
        "region_name": region_label(kabkota) if region_code else "Indonesia",
        "timezone": regions.timezone_for(kabkota) if region_code else "Asia/Jakarta",
        "live_topic": f"region:{region_code}" if region_code else "",
        "now": datetime.now(UTC),
        "path": request.url.path,
        "query": request.url.query,
    }
    html = env.get_template(template).render(**base, **ctx)
    return HTMLResponse(html, status_code=status_code)
