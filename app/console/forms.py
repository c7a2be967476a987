"""Reading a console form: the session's CSRF token checked first, then the API's own schema applied to the
fields, a refusal naming the form's field in Indonesian."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from app.console import session
from app.console.session import ConsoleSession
from app.errors import Forbidden, Unprocessable

M = TypeVar("M", bound=BaseModel)


async def read(request: Request, sess: ConsoleSession) -> dict[str, str]:
    """The form's single values (checked against the session's CSRF token)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    given = request.headers.get("x-csrf-token") or fields.get("csrf")
    if not session.csrf_ok(sess.csrf, given):
        raise Forbidden("token formulir (CSRF) tidak cocok; muat ulang halaman")
    return fields


async def read_lists(request: Request, sess: ConsoleSession) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The form's single values and, for fields given more than once (checkboxes), all their values."""
    fields = await read(request, sess)
    form = await request.form()
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(value)
    return fields, lists


def parse(model: type[M], field: str, message: str, build: Callable[[], dict[str, object]]) -> M:
    """The API's schema applied to the form; a refusal names the form's field, in Indonesian."""
    try:
        return model.model_validate(build())
    except (ValidationError, ValueError):
        raise Unprocessable(message, field=field) from None
