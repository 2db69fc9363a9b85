"""The actor trace: every actor event of an execution as one JSON line, through structlog.

A :class:`TraceSink` owns one trace file (shared by an execution and its sub-workflows); a
:class:`Tracer` is one actor's writer of lines for one execution. Each tracer has its own
structlog logger whose processor chain is the pipeline of a line: the ``ts`` and ``mono``
stamps, masking (:class:`runtime.masking.Masker`: secret values become ``***``) and JSON
rendering (fields and their order in ``docs/trace-format.md``). The rendered lines go into
the tracer's own buffer, which the actor flushes when it has handled a message
(:meth:`Tracer.flush`): the lines of one message handling go out in one ``write(2)``. A
supervisor handling a batch of item reports thus makes one system call, not one per line
(each ``write`` releases the GIL mid-batch to the 32 workers waiting for it). With no sink
the tracer is disabled and every call returns at its first check. structlog's global
configuration (the application's own logs) is neither read nor changed.

Misuse: call ``Tracer.enabled`` before building expensive fields; never pass secret values
(the tracer masks ``inputs``, ``output``, ``error``, ``errors``, ``traceback`` and
``prompt`` fields, nothing else); never share a tracer between actors
(:meth:`Tracer.for_actor` makes each its own); flush before the actor waits for its next
message, or its lines wait with it.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import traceback
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import structlog
from structlog.typing import EventDict, Processor

from runtime.masking import NO_MASK, Masker
from runtime.values import json_default

__all__ = ["TraceSink", "Tracer"]

_MASKED_FIELDS = ("inputs", "output", "error", "errors", "traceback", "prompt")

_ENCODER = json.JSONEncoder(separators=(",", ":"), default=json_default)


def _serialize(event_dict: Any, **_dumps_kw: Any) -> str:
    """``json.dumps`` through one reused encoder (with options it would build one per call).

    :class:`structlog.processors.JSONRenderer` passes its fallback ``default``; the encoder has
    its own (:func:`runtime.values.json_default`), so the keywords are ignored.
    """
    return _ENCODER.encode(event_dict)


_STAMP_TS = structlog.processors.TimeStamper(fmt=None, utc=True, key="ts")
"""``ts``: wall-clock epoch seconds (fills the slot bound first, see :meth:`TraceSink.logger`)."""

_RENDER = structlog.processors.JSONRenderer(serializer=_serialize)


def _stamp_mono(_logger: Any, _name: str, event_dict: EventDict) -> EventDict:
    """``mono``: ``time.monotonic()`` seconds, for durations and ordering across actors."""
    event_dict["mono"] = time.monotonic()
    return event_dict


class _Mask:
    """structlog processor: secret values of the fields that carry user data become ``***``."""

    __slots__ = ("masker",)

    def __init__(self, masker: Masker) -> None:
        self.masker = masker

    def __call__(self, _logger: Any, _name: str, event_dict: EventDict) -> EventDict:
        for name in _MASKED_FIELDS:
            if name in event_dict:
                event_dict[name] = self.masker.data(event_dict[name])
        return event_dict


class _LineWriter:
    """Appends rendered lines to the trace file, each batch with one ``write(2)``.

    The file is opened with ``O_APPEND`` and every batch of whole lines goes out in a single
    system call, so lines written by different actor threads never interleave (Linux appends
    to a regular file atomically) and no lock is needed; nothing is kept after the call, so
    ``troupe trace follow`` sees a handled message's lines as soon as the handling ends.
    """

    __slots__ = ("__weakref__", "closed", "fd")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.closed = False

    def write(self, data: bytes) -> None:
        if not self.closed:  # late lines of actors still stopping after the end are dropped
            os.write(self.fd, data)


class _Lines:
    """structlog's final logger for one actor: keeps rendered lines until :meth:`flush`."""

    __slots__ = ("lines", "out")

    def __init__(self, out: _LineWriter) -> None:
        self.out = out
        self.lines: list[str] = []

    def info(self, line: str) -> None:
        self.lines.append(line)

    msg = info

    def flush(self) -> None:
        if self.lines:
            data = ("\n".join(self.lines) + "\n").encode("utf-8")
            self.lines.clear()
            self.out.write(data)


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

    def logger(self, execution_id: str, masker: Masker) -> tuple[Callable[..., Any], _Lines]:
        """A structlog log method of one actor and execution, and the buffer it writes into.

        The processor chain is this logger's own (structlog's global configuration, which the
        application's logs use, is not read or changed): ``ts`` and ``mono`` stamps, masking
        when ``masker`` knows secrets, JSON rendering. ``ts``, ``mono`` and ``execution`` are
        bound first so they lead every line in that order (the stamps fill their slots).
        """
        processors: list[Processor] = [_STAMP_TS, _stamp_mono]
        if masker:
            processors.append(_Mask(masker))
        processors.append(_RENDER)
        lines = _Lines(self._writer)
        logger = structlog.wrap_logger(
            lines,
            processors=processors,
            context_class=dict,
            cache_logger_on_first_use=True,
            wrapper_class=structlog.make_filtering_bound_logger(0),
        ).bind(ts=None, mono=None, execution=execution_id)
        log: Callable[..., Any] = logger.info
        return log, lines

    def close(self) -> None:
        """Stop writing: lines flushed afterwards are dropped."""
        self._writer.closed = True


class Tracer:
    """One actor's writer of trace lines for one execution."""

    __slots__ = ("_lines", "_log", "detail", "enabled", "execution_id", "ids", "masker", "sink")

    def __init__(self, sink: TraceSink | None, execution_id: str,
                 masker: Masker = NO_MASK, *, ids: Iterator[int] | None = None) -> None:
        self.sink = sink
        self.enabled = sink is not None
        self.detail = sink is not None and sink.detail
        self.execution_id = execution_id
        self.masker = masker
        self.ids = ids if ids is not None else itertools.count(1)
        """Message ids, shared by every actor of the execution (``next`` is atomic)."""
        self._log: Callable[..., Any] | None = None
        self._lines: _Lines | None = None
        if sink is not None:
            self._log, self._lines = sink.logger(execution_id, masker)

    def remask(self, masker: Masker) -> None:
        """Mask ``masker``'s secrets from the next line on (secrets learnt while running:
        an inquiry's secret answer); the lines emitted so far are flushed as they were."""
        self.flush()
        self.masker = masker
        if self.sink is not None:
            self._log, self._lines = self.sink.logger(self.execution_id, masker)

    def for_actor(self) -> Tracer:
        """A tracer for another actor of the same execution (its own buffer, the same ids)."""
        return Tracer(self.sink, self.execution_id, self.masker, ids=self.ids)

    def flush(self) -> None:
        """Write the lines emitted since the last flush (one system call)."""
        if self._lines is not None:
            self._lines.flush()

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
        """Add one trace line to this actor's buffer (no-op when disabled)."""
        log = self._log
        if log is None:
            return
        log(
            event,
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
