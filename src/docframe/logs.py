"""Logs: structured (JSON lines) logging with the request id of the request being served.

``configure_logging`` installs one handler on the ``docframe`` logger. Every record carries the
current request id (``X-Frappe-Request-Id``, also sent on the response), the site and the user when
a request is being served, so one request's lines can be found across workers.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import time
from typing import Any

import orjson

__all__ = ["JsonFormatter", "configure_logging", "new_request_id", "request_fields"]

#: Fields of the request being served (request_id, site, user, method, path).
request_fields: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "docframe_request_fields", default=None
)


def new_request_id() -> str:
    """A fresh request id (32 hex characters)."""
    return os.urandom(16).hex()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = request_fields.get()
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """Send ``docframe`` logs to stderr, as JSON lines (or plain text with ``json=False``)."""
    logger = logging.getLogger("docframe")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False
