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
import os
import time
import traceback
import weakref
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import structlog

from runtime.masking import NO_MASK, Masker
from runtime.values import json_default

__all__ = ["TraceSink", "Tracer"]

_MASKED_FIELDS = ("inputs", "output", "error", "errors", "traceback")


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=json_default)


def _render(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> str:
    return _ENCODER.encode(event_dict)


class _LineWriter:
    """structlog's final logger: appends each rendered line with one ``write(2)``.

    The file is opened with ``O_APPEND`` and every line goes out in a single system call, so
    lines written by different actor threads never interleave (Linux appends to a regular
    file atomically) and no lock is needed; nothing is buffered, so ``troupe trace follow``
    sees each line as soon as it is written and readers never need a flush.
    """

    __slots__ = ("__weakref__", "closed", "fd")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.closed = False

    def info(self, line: str) -> None:
        if not self.closed:  # late lines of actors still stopping after the end are dropped
            os.write(self.fd, (line + "\n").encode("utf-8"))

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
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._writer = _LineWriter(fd)
        # The descriptor is closed only when nothing can write any more (no actor holds the
        # sink): closing it earlier could let a late line land in a file that reused the fd.
        weakref.finalize(self._writer, os.close, fd)
        self._logger = structlog.wrap_logger(
            self._writer,
            processors=[_render],
            context_class=dict,
            cache_logger_on_first_use=True,
            wrapper_class=structlog.make_filtering_bound_logger(0),
        ).bind()
        self.log = self._logger.info
        """Write one line: ``log(event, **fields)`` (the structlog bound method)."""

    def close(self) -> None:
        """Stop writing: lines logged afterwards are dropped."""
        self._writer.closed = True


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
