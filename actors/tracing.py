"""The actor trace: every actor event of an execution as one JSON line, through structlog.

A :class:`TraceSink` owns one trace file (shared by an execution and its sub-workflows) and a
structlog logger writing JSON lines to it; a :class:`Tracer` is one execution's view of the
sink and adds the fields every line carries (see ``docs/trace-format.md``). With no sink the
tracer is disabled and every call returns at its first check.

Misuse: call ``Tracer.enabled`` before building expensive fields; never pass secret values
(the tracer masks ``inputs``, ``output``, ``error`` and ``errors`` fields, nothing else).
"""

from __future__ import annotations

import itertools
import json
import time
import traceback
from collections.abc import MutableMapping
from pathlib import Path
from typing import IO, Any

import structlog

from runtime.masking import NO_MASK, Masker
from runtime.values import json_default

__all__ = ["TraceSink", "Tracer"]

_MASKED_FIELDS = ("inputs", "output", "error", "errors", "traceback")


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=json_default)


def _render(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> str:
    return _ENCODER.encode(event_dict)


class _LineWriter:
    """structlog's final logger: appends rendered lines to a buffered text file.

    Unlike ``structlog.WriteLogger`` it does not flush after every line (a syscall per line
    would double the cost of tracing); the sink flushes when an execution finishes.
    """

    __slots__ = ("_file",)

    def __init__(self, file: IO[str]) -> None:
        self._file = file

    def info(self, line: str) -> None:
        if not self._file.closed:
            self._file.write(line + "\n")

    msg = info


class TraceSink:
    """A JSON-lines trace file written through structlog."""

    def __init__(self, path: str | Path, level: str = "info") -> None:
        if level not in ("info", "debug"):
            raise ValueError(f"trace level must be 'info' or 'debug', got {level!r}")
        self.detail = level == "debug"
        """True: also write the message events of with-items item workers (per item)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = self.path.open("a", encoding="utf-8", buffering=1 << 16)
        self._logger = structlog.wrap_logger(
            _LineWriter(self._file),
            processors=[_render],
            context_class=dict,
            cache_logger_on_first_use=True,
            wrapper_class=structlog.make_filtering_bound_logger(0),
        ).bind()
        self.log = self._logger.info
        """Write one line: ``log(event, **fields)`` (the structlog bound method)."""
        self.users = 0

    def write(self, fields: dict[str, Any]) -> None:
        """Write one line (``fields`` must hold ``event``)."""
        event = fields.pop("event")
        self._logger.info(event, **fields)

    def flush(self) -> None:
        """Push buffered lines to the file."""
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        """Flush and close the file."""
        if not self._file.closed:
            self._file.flush()
            self._file.close()


class Tracer:
    """One execution's writer of trace lines."""

    __slots__ = ("detail", "enabled", "execution_id", "ids", "masker", "sink")

    def __init__(self, sink: TraceSink | None, execution_id: str,
                 masker: Masker = NO_MASK) -> None:
        self.sink = sink
        self.enabled = sink is not None
        self.detail = sink is not None and sink.detail
        self.execution_id = execution_id
        self.masker = masker
        self.ids = itertools.count(1)

    def next_id(self) -> int:
        """A message id unique within the execution."""
        return next(self.ids)

    def emit(
        self,
        event: str,
        actor: str,
        *,
        task: str | None = None,
        route: int | None = None,
        item: int | None = None,
        attempt: int | None = None,
        ctx_version: int | None = None,
        **fields: Any,
    ) -> None:
        """Write one trace line (no-op when disabled)."""
        if self.sink is None:
            return
        if self.masker:
            for name in _MASKED_FIELDS:
                if name in fields:
                    fields[name] = self.masker.data(fields[name])
        self.sink.log(
            event,
            ts=time.time(),
            mono=time.monotonic(),
            execution=self.execution_id,
            actor=actor,
            task=task,
            route=route,
            item=item,
            attempt=attempt,
            ctx_version=ctx_version,
            **fields,
        )

    def failure(self, actor: str, kind: str, exc: BaseException, **where: Any) -> None:
        """Write an ``actor.failed`` line for ``exc``."""
        if self.sink is None:
            return
        self.emit(
            "actor.failed",
            actor,
            kind=kind,
            error_type=type(exc).__name__,
            error=str(exc),
            traceback="".join(traceback.format_exception(exc)),
            **where,
        )
