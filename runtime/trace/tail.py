"""A trace file read incrementally: the offset read so far and the aggregation built from it.

:class:`TraceTail` keeps, for one file, the byte offset of the first line it has not read,
the file's identity (device and inode) and a :class:`~runtime.trace.aggregate.TraceAggregator`
(with item details) fed every complete line up to that offset. :meth:`TraceTail.catch_up`
reads only what was appended since (a half-written last line waits for its newline); when
the file was replaced (another inode) or truncated (smaller than the offset), it starts
over from the top. :meth:`TraceTail.loaded` is what :func:`runtime.trace.model.load_execution`
answers, for an execution of the file and its descendants, from the state kept.

Misuse: a tail is not thread-safe: one caller at a time (the server hands it to one request
at a time, :mod:`runtime.server.trace_views`); it keeps every execution of its file (a
daemon's trace file holds one top execution and its sub-workflows: do not point it at a
file that gathers thousands); edits in the middle of a file of the same size and inode are
not noticed.
"""

from __future__ import annotations

import json
import os

from runtime.trace.aggregate import TraceAggregator
from runtime.trace.model import LoadedExecution
from runtime.trace.reader import event_problem

__all__ = ["TraceTail"]


class TraceTail:
    """The incremental reading of one trace file (see the module docstring)."""

    __slots__ = ("aggregator", "identity", "malformed", "offset", "path", "reads")

    def __init__(self, path: str) -> None:
        self.path = path
        self.identity: tuple[int, int] | None = None
        self.offset = 0
        """Bytes read and fed (always the end of a complete line)."""
        self.malformed = 0
        """Complete lines skipped because they are not trace events."""
        self.reads = 0
        """Times something new was read (a cache of views built from it keys on this)."""
        self.aggregator = TraceAggregator(item_details=True)

    def _restart(self, identity: tuple[int, int]) -> None:
        self.identity = identity
        self.offset = 0
        self.malformed = 0
        self.aggregator = TraceAggregator(item_details=True)

    def catch_up(self) -> bool:
        """Read the lines appended since the last call (all of them the first time, or after
        the file was replaced or truncated); True if anything was read. Raises
        :class:`OSError` when the file cannot be opened."""
        with open(self.path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            identity = (stat.st_dev, stat.st_ino)
            if identity != self.identity or stat.st_size < self.offset:
                self._restart(identity)
            if stat.st_size == self.offset:
                return False
            handle.seek(self.offset)
            start = self.offset
            for raw in handle:
                if not raw.endswith(b"\n"):
                    break  # still being written: read again once it is complete
                self.offset += len(raw)
                self._line(raw)
        if self.offset == start:
            return False
        self.reads += 1
        return True

    def _line(self, raw: bytes) -> None:
        if not raw.strip():
            return
        try:
            event = json.loads(raw)
        except ValueError:
            self.malformed += 1
            return
        if event_problem(event) is not None:
            self.malformed += 1
            return
        self.aggregator.feed(event)

    def loaded(self, execution_id: str) -> LoadedExecution | None:
        """``execution_id`` (an exact id) and its descendants as read so far (None: it is
        not in the part of the file read)."""
        records = {record.execution: record for record in self.aggregator.records()}
        if execution_id not in records:
            return None
        wanted = {execution_id}
        todo = [execution_id]
        children: dict[str, list[str]] = {}
        for record in records.values():
            if record.parent_execution is not None:
                children.setdefault(record.parent_execution, []).append(record.execution)
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in wanted:
                    wanted.add(child)
                    todo.append(child)
        return LoadedExecution(root=execution_id,
                               records={key: records[key] for key in records if key in wanted})
