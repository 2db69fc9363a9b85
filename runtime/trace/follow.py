"""Follow a growing trace file live, printing each new event as one compact line.

:func:`follow` reads complete lines as they are appended (an incomplete last line waits for
its newline), prints those passing the filters (``execution`` prefix, ``task`` name,
``status`` field) as ``time  execution  actor  event  key=value...`` (or the raw JSON), and
stops after ``max_lines`` printed lines, when the file is deleted or moved, or, with
``until_finished``, once every followed execution seen has written ``workflow.finished``
(checked when the reader has caught up with the file). Between reads it blocks on Linux
inotify (``IN_MODIFY | IN_CLOSE_WRITE`` on the file, through ctypes), so it costs nothing
while the trace is idle and wakes as soon as a line is written.

Misuse: do not follow a file that is rewritten in place by another tool (a truncation is
detected and reading restarts at the top, but edits in the middle are not); do not expect
``until_finished`` to stop for an execution whose lines never appear.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import select
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO

from runtime.trace.formatting import format_duration
from runtime.trace.reader import (
    DEFAULT_MAX_ERRORS,
    ErrorHandler,
    TraceEvent,
    TraceFilter,
    TraceFormatError,
    event_problem,
    parse_actor,
)

__all__ = ["follow", "format_event"]

IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_IGNORED = 0x00008000
IN_CLOEXEC = 0o2000000
_EVENT_HEADER = struct.Struct("iIII")
_GONE = IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED


class _Waiter(Protocol):
    def wait(self) -> bool:
        """Block until the file may have changed; False once it is gone."""
        ...

    def close(self) -> None:
        """Release what the waiter holds."""
        ...


class _Inotify:
    """Blocks on an inotify descriptor watching one file."""

    def __init__(self, path: str) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        init1 = libc.inotify_init1
        init1.argtypes = [ctypes.c_int]
        init1.restype = ctypes.c_int
        add_watch = libc.inotify_add_watch
        add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        add_watch.restype = ctypes.c_int
        fd = init1(IN_CLOEXEC)
        if fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
        mask = IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF
        if add_watch(fd, os.fsencode(path), mask) < 0:
            code = ctypes.get_errno()
            os.close(fd)
            raise OSError(code, os.strerror(code), path)
        self.fd = fd

    def wait(self) -> bool:
        while True:
            try:
                data = os.read(self.fd, 4096)  # blocks until the file changes
            except InterruptedError:
                continue
            break
        offset = 0
        while offset + _EVENT_HEADER.size <= len(data):
            _wd, mask, _cookie, length = _EVENT_HEADER.unpack_from(data, offset)
            offset += _EVENT_HEADER.size + length
            if mask & _GONE:
                return False
        return True

    def close(self) -> None:
        os.close(self.fd)


class _SelectTimeout:
    """Fallback where inotify is unavailable (not Linux, or no inotify instance/watch left).

    A regular file is always "ready" for select(), so this waits on select() with a timeout
    and lets the caller look at the file again: the only place this module re-checks on a
    timer, and only because the kernel offers no change notification here.
    """

    def __init__(self, path: str, timeout: float = 0.5) -> None:
        self.path = path
        self.timeout = timeout

    def wait(self) -> bool:
        select.select([], [], [], self.timeout)
        return os.path.exists(self.path)

    def close(self) -> None:
        return None


def _make_waiter(path: str) -> _Waiter:
    try:
        return _Inotify(path)
    except (AttributeError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT:
            raise
        return _SelectTimeout(path)


def _clock(ev: TraceEvent) -> str:
    ts = ev.get("ts")
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        return datetime.fromtimestamp(ts, tz=UTC).strftime("%H:%M:%S.%f")[:-3]
    return f"{float(ev['mono']):.3f}"


_KEYS: dict[str, tuple[str, ...]] = {
    "workflow.started": ("workflow", "dialect", "parent_execution", "parent_task"),
    "workflow.finished": ("status", "duration", "errors"),
    "actor.spawned": ("kind", "parent", "thread"),
    "actor.stopped": ("kind",),
    "actor.failed": ("kind", "error_type", "error"),
    "message.sent": ("msg", "msg_id", "to"),
    "message.received": ("msg", "msg_id", "sender", "mailbox_wait"),
    "message.handled": ("msg", "msg_id", "duration"),
    "timer.set": ("timer_id", "kind", "delay"),
    "timer.fired": ("timer_id", "kind"),
    "task.started": ("run", "action", "items", "concurrency"),
    "task.retrying": ("run", "delay", "reason"),
    "item.finished": ("run", "status", "duration"),
    "task.finished": ("run", "status", "attempts", "duration", "items", "items_failed", "error"),
    "transition.evaluated": ("run", "transition", "when", "result", "targets", "published"),
    "task.staged": ("run", "source", "join", "satisfied", "required", "ready"),
    "inquiry": ("run", "inquiry", "status", "prompt"),
}
_DURATIONS = frozenset({"duration", "delay", "mailbox_wait"})


def _value(key: str, value: Any) -> str:
    if key in _DURATIONS and isinstance(value, int | float) and not isinstance(value, bool):
        return format_duration(float(value))
    if key == "errors" and isinstance(value, list):
        return str(len(value))
    if key == "parent_execution" and isinstance(value, str):
        return value[:8]
    if isinstance(value, str):
        return value if value and " " not in value else json.dumps(value)
    return json.dumps(value, separators=(",", ":"), default=str)


def format_event(ev: TraceEvent) -> str:
    """One compact line: time, execution prefix, actor, event, key fields."""
    event = ev["event"]
    parts = [_clock(ev), str(ev["execution"])[:8], str(ev.get("actor") or "-"), event]
    task = ev.get("task")
    if isinstance(task, str) and event.startswith(("task.", "item.", "transition.", "inquiry")):
        route = ev.get("route")
        parts.append(f"{task}@{'?' if route is None else route}")
    for key in ("item", "attempt"):
        value = ev.get(key)
        if value is not None and not (key == "attempt" and not event.startswith("task.")):
            parts.append(f"{key}={value}")
    for key in _KEYS.get(event, ()):
        value = ev.get(key)
        if value is not None:
            parts.append(f"{key}={_value(key, value)}")
    return "  ".join(parts)


def _matches(ev: TraceEvent, filt: TraceFilter) -> bool:
    if not filt.execution_matches(ev["execution"]):
        return False
    if filt.task is not None:
        task = ev.get("task")
        if task is None and isinstance(ev.get("actor"), str):
            task = parse_actor(ev["actor"]).task
        if task != filt.task:
            return False
    return filt.status is None or ev.get("status") == filt.status


def _skip_to_end(handle: BinaryIO) -> tuple[int, int]:
    """Move past the last complete line; return (lines skipped, bytes of a partial tail)."""
    lines = 0
    last_newline = 0
    position = 0
    while True:
        chunk = handle.read(1 << 20)
        if not chunk:
            break
        count = chunk.count(b"\n")
        if count:
            lines += count
            last_newline = position + chunk.rindex(b"\n") + 1
        position += len(chunk)
    handle.seek(last_newline)
    return lines, position - last_newline


class _Printer:
    """Parses complete lines, tracks executions, prints what passes the filters."""

    def __init__(
        self,
        *,
        name: str,
        stream: TextIO,
        filt: TraceFilter,
        json_output: bool,
        max_lines: int | None,
        max_errors: int,
        on_error: ErrorHandler | None,
    ) -> None:
        self.name = name
        self.stream = stream
        self.filt = filt
        self.json_output = json_output
        self.max_lines = max_lines
        self.max_errors = max_errors
        self.on_error = on_error
        self.printed = 0
        self.errors = 0
        self.seen: set[str] = set()
        self.finished: set[str] = set()

    @property
    def all_finished(self) -> bool:
        """Every followed execution seen so far has written ``workflow.finished``."""
        return bool(self.seen) and self.seen <= self.finished

    def line(self, raw: bytes, lineno: int) -> bool:
        """Handle one complete line; True once ``max_lines`` lines were printed."""
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            reason: str | None = f"invalid JSON: {exc}"
        else:
            reason = event_problem(obj)
        if reason is not None:
            self.errors += 1
            if self.errors > self.max_errors:
                raise TraceFormatError(
                    f"more than {self.max_errors} malformed lines (last: {reason})",
                    path=self.name,
                    line=lineno,
                )
            if self.on_error is not None:
                self.on_error(TraceFormatError(reason, path=self.name, line=lineno))
            return False
        execution = obj["execution"]
        if self.filt.execution_matches(execution):
            self.seen.add(execution)
            if obj["event"] == "workflow.finished":
                self.finished.add(execution)
        if not _matches(obj, self.filt):
            return False
        text = json.dumps(obj) if self.json_output else format_event(obj)
        self.stream.write(text + "\n")
        self.stream.flush()
        self.printed += 1
        return self.max_lines is not None and self.printed >= self.max_lines


def follow(
    path: str | Path,
    *,
    stream: TextIO,
    filt: TraceFilter | None = None,
    json_output: bool = False,
    from_start: bool = False,
    until_finished: bool = False,
    max_lines: int | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_error: ErrorHandler | None = None,
) -> int:
    """Print new events of the trace at ``path`` as they are written; return lines printed.

    Raises :class:`OSError` if the file cannot be opened and :class:`TraceFormatError` past
    ``max_errors`` malformed lines.
    """
    name = str(path)
    printer = _Printer(
        name=name,
        stream=stream,
        filt=filt or TraceFilter(),
        json_output=json_output,
        max_lines=max_lines,
        max_errors=max_errors,
        on_error=on_error,
    )
    if max_lines is not None and max_lines <= 0:
        return 0
    with open(path, "rb") as handle:
        waiter = _make_waiter(name)  # watch first: no write between read and wait is lost
        try:
            lineno = _skip_to_end(handle)[0] if not from_start else 0
            buffer = b""
            while True:
                chunk = handle.read(1 << 16)
                if chunk:
                    buffer += chunk
                    *complete, buffer = buffer.split(b"\n")
                    for raw in complete:
                        lineno += 1
                        if raw.strip() and printer.line(raw, lineno):
                            return printer.printed
                    continue
                # Caught up with the writer.
                if until_finished and printer.all_finished:
                    return printer.printed
                if os.fstat(handle.fileno()).st_size < handle.tell():
                    handle.seek(0)  # truncated: start over
                    buffer, lineno = b"", 0
                    continue
                if not waiter.wait():
                    return printer.printed
        finally:
            waiter.close()
