"""The daemon's log: JSON lines on stdout, for its own events and uvicorn's alike.

:func:`configure` points structlog at the standard library's logging and gives the root
logger one handler: a :class:`structlog.stdlib.ProcessorFormatter` that renders every
record, structlog's (``log.info("ready", port=8765)``) and foreign ones (uvicorn's
``uvicorn.error`` and ``uvicorn.access``, the engine's own loggers), as one JSON object a
line with ``timestamp`` (UTC), ``level``, ``logger`` and ``event``. The lines go through
:class:`Redact`: any secret it is given (the token) becomes ``********`` wherever it appears.

Misuse: configure once per process, at start (structlog's configuration is global); give
uvicorn ``log_config=None`` so that it does not replace the handler.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from typing import IO, Any

import structlog

__all__ = ["Redact", "configure", "flush", "set_level"]


class Redact:
    """The last stage of a line: each secret's text replaced by ``********``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        given = [s for s in secrets if s]
        escaped = [json.dumps(s)[1:-1] for s in given]  # as it appears inside a JSON string
        self.secrets = tuple(dict.fromkeys(sorted([*given, *escaped], key=len, reverse=True)))

    def __call__(self, logger: Any, name: str, line: Any) -> str:
        text = line.decode() if isinstance(line, bytes) else line
        for secret in self.secrets:
            text = text.replace(secret, "********")
        return text


def configure(level: str, secrets: Iterable[str] = (), stream: IO[str] = sys.stdout) -> None:
    """Send every log record of the process to ``stream`` as JSON lines, from ``level``."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(default=str), Redact(secrets)],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.disabled = False
        logger.setLevel(logging.NOTSET)  # the root's level decides, for every logger alike
    set_level(level)


def set_level(level: str) -> None:
    """Log from ``level`` (``debug``, ``info``, ``warning``, ``error``) on."""
    logging.getLogger().setLevel(level.upper())


def flush() -> None:
    """Write out what the handlers hold (before the process exits without unwinding)."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
