"""Logs for whoever runs Tanggap: every line of a request carries its request id (and the user id once
known), as plain text for a terminal or one JSON object per line for a log pipeline (`TANGGAP_LOG_FORMAT`).

The request's context lives in a context variable set by the outermost middleware (app/api/observe.py): log
lines and recorded events (app/services/events.py) read it, so no code passes it along. It is a mutable
object, so that the user id found by the authentication dependency is seen by the middleware's access line
although the dependency may run in a copy of the context.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]

# An incoming X-Request-ID is kept when it looks like an id (a proxy's or a client's), else replaced: it is
# written into logs and events, so nothing long, nothing with spaces, quotes or control characters.
_SANE_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,64}")


@dataclass(slots=True)
class RequestContext:
    request_id: str
    user_id: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("tanggap_request", default=None)


def accept_request_id(incoming: str | None) -> str:
    if incoming is not None and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def begin(request_id: str) -> tuple[RequestContext, Token[RequestContext | None]]:
    """The request's context, until `end(token)` (a caller in the same task, such as a test client, must
    not go on with the request's id)."""
    ctx = RequestContext(request_id)
    return ctx, _current.set(ctx)


def end(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()


def request_id() -> str | None:
    ctx = _current.get()
    return ctx.request_id if ctx is not None else None


def set_user(user_id: object) -> None:
    ctx = _current.get()
    if ctx is not None:
        ctx.user_id = str(user_id)


# The attributes every LogRecord has; anything else on a record came from `extra=` and is printed.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's message again, with terminal colours
}


class _WithRequest(logging.Filter):
    """Puts the request's id and user on every record made while a request is being answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _current.get()
        if ctx is not None:
            if not hasattr(record, "request_id"):
                record.request_id = ctx.request_id
            if ctx.user_id is not None and not hasattr(record, "user_id"):
                record.user_id = ctx.user_id
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request's id and user,
    and whatever the call passed in `extra=`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_extras(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time level logger message key=value ...`, for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = _extras(record)
        if not extras:
            return text
        head, sep, tail = text.partition("\n")  # a traceback stays below the line
        pairs = " ".join(f"{k}={v}" for k, v in extras.items())
        return f"{head} {pairs}{sep}{tail}"


_HANDLER_NAME = "tanggap"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a test runner swaps it), never to a closed copy."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(fmt: LogFormat, level: str = "INFO") -> None:
    """Installs one handler on the root logger (stderr), in the format asked for; uvicorn's own loggers
    hand their lines to it. Idempotent: a second call replaces the handler."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_WithRequest())
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's access log stays as `tanggap serve` leaves it (off): app/api/observe.py writes its lines.
    for name in ("uvicorn", "uvicorn.error"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
