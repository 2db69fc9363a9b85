"""The daemon's trace files read incrementally, for the views of their executions.

:class:`TraceViews` keeps a :class:`runtime.trace.tail.TraceTail` per trace file (the offset
read so far and the aggregation built from it) in an LRU of :data:`TAILS_KEPT` files: a
request for a running execution's timeline reads only the lines appended since the last
one (a file replaced or truncated is read again from the top, as the tail tells). A view
built from a tail that has not moved and that does not depend on the time (a finished
execution's, an actor tree) is kept with the tail and answered again.

No lock: the LRU and the "busy" marks are touched only on the event loop (Starlette runs
every async handler on one loop thread, so between two awaits nothing else touches them).
A request takes its file's tail out of the LRU, hands it to one worker thread
(``run_in_threadpool``, which does not give up on a thread when the request is cancelled:
the thread finishes first) and puts it back; a second request for the same file meanwhile
waits on the first one's future: the tail is request-serialised per file, and only ever in
one thread.

Misuse: call :meth:`TraceViews.view` from the event loop only (never from a worker thread);
``build`` runs in a worker thread and must not keep the :class:`LoadedExecution` it gets.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from runtime.trace.model import LoadedExecution
from runtime.trace.tail import TraceTail

__all__ = ["TAILS_KEPT", "Build", "TraceViews"]

TAILS_KEPT = 4
"""Trace files whose reading is kept (the least recently asked is dropped)."""

Build = Callable[[LoadedExecution], tuple[Any, bool]]
"""Builds a view from what was read: (the view, whether it may be answered again while the
file does not grow)."""


class _Entry:
    """A tail and the views built from its current reading."""

    __slots__ = ("reads", "tail", "views")

    def __init__(self, path: str) -> None:
        self.tail = TraceTail(path)
        self.reads = 0
        self.views: dict[tuple[str, str], Any] = {}

    def view(self, execution_id: str, name: str, build: Build) -> Any:
        """A worker thread (the entry is this request's alone): catch up, build."""
        try:
            self.tail.catch_up()
        except OSError:
            return None
        if self.reads != self.tail.reads:
            self.reads = self.tail.reads
            self.views.clear()
        key = (execution_id, name)
        if key in self.views:
            return self.views[key]
        loaded = self.tail.loaded(execution_id)
        if loaded is None:
            return None
        made, keep = build(loaded)
        if keep:
            self.views[key] = made
        return made


class TraceViews:
    """The LRU of trace tails (see the module docstring)."""

    def __init__(self, size: int = TAILS_KEPT) -> None:
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._busy: dict[str, asyncio.Future[None]] = {}

    def kept(self) -> list[str]:
        """The files whose reading is kept, least recently asked first."""
        return list(self._entries)

    def tail_of(self, path: Path) -> TraceTail | None:
        """The kept reading of ``path`` (None: not kept, or a request has it now)."""
        entry = self._entries.get(str(path))
        return None if entry is None else entry.tail

    async def view(self, path: Path, execution_id: str, name: str, build: Build) -> Any:
        """The view ``name`` of ``execution_id`` from the trace at ``path`` (None: no such
        file, or the execution is not in it yet)."""
        key = str(path)
        while (busy := self._busy.get(key)) is not None:
            await asyncio.shield(busy)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._busy[key] = done
        entry = self._entries.pop(key, None) or _Entry(key)
        try:
            return await run_in_threadpool(entry.view, execution_id, name, build)
        finally:
            if entry.tail.identity is not None:  # a file that was never there is not kept
                self._entries[key] = entry
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            del self._busy[key]
            done.set_result(None)
