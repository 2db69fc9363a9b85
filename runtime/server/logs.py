"""The progress logs the server keeps, kept up to date from the engine's journal commits.

:class:`LogCache` holds one :class:`~runtime.server.progress_log.ProgressLog` per execution
asked about (the finished ones up to a bound, least recently used first out) and wakes the
requests waiting for an execution's next events: the engine's journal tells every commit
(:meth:`runtime.engine.Engine.watch`) from its own thread; the cache moves it into the event
loop with ``call_soon_threadsafe`` and sets the :class:`asyncio.Event` of each waiter of the
executions the commit wrote. Nothing polls: a waiter sleeps until a commit concerns it.

Refreshing a log (reading the journal entries after its last one, replaying them) runs in
a worker thread, one refresh per execution at a time: a request that finds one under way
waits for it, then for one started after it asked, so it sees every commit before it asked.

Misuse: use a cache from its event loop only (:meth:`LogCache.attach` it first); register a
waiter before refreshing, or a commit between the two is missed.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from runtime.engine import Engine
from runtime.masking import Masker
from runtime.spec import load_workflow
from runtime.store import ExecutionRow

from .progress_log import ProgressLog

__all__ = ["LogCache"]


class LogCache:
    """Progress logs by execution id, and who waits for their next events."""

    def __init__(self, engine: Engine, limit: int = 256) -> None:
        self.engine = engine
        self.limit = limit
        self.logs: OrderedDict[str, ProgressLog] = OrderedDict()
        self.refreshing: dict[str, asyncio.Future[ProgressLog]] = {}
        self.waiters: dict[str, set[asyncio.Event]] = {}
        self.followers: set[Callable[[frozenset[str]], None]] = set()
        """Called in the loop with the executions of every commit (``GET /api/v1/events``)."""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._unwatch: Any = None

    def attach(self) -> None:
        """Start following the engine's commits (waiters are woken in the loop that
        registered the last one)."""
        if self._unwatch is None:
            self._unwatch = self.engine.watch(self._committed)

    def detach(self) -> None:
        """Stop following the engine's commits."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None

    def _committed(self, commit: Any) -> None:
        """The journal's thread: hand the commit's executions to the loop."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake, commit.executions)

    def _wake(self, executions: frozenset[str]) -> None:
        for follower in tuple(self.followers):
            follower(executions)
        for execution_id in executions & self.waiters.keys():
            for waiter in self.waiters[execution_id]:
                waiter.set()

    def wait_for(self, execution_id: str) -> asyncio.Event:
        """A new waiter for ``execution_id``'s commits (set when one comes)."""
        self.loop = asyncio.get_running_loop()
        waiter = asyncio.Event()
        self.waiters.setdefault(execution_id, set()).add(waiter)
        return waiter

    def follow_all(self, callback: Callable[[frozenset[str]], None]) -> Callable[[], None]:
        """Call ``callback`` (in this loop, it must not block) with the executions each
        commit wrote, until the function returned is called."""
        self.loop = asyncio.get_running_loop()
        self.followers.add(callback)
        return lambda: self.followers.discard(callback)

    def forget(self, execution_id: str, waiter: asyncio.Event) -> None:
        """Remove a waiter."""
        waiters = self.waiters.get(execution_id)
        if waiters is not None:
            waiters.discard(waiter)
            if not waiters:
                del self.waiters[execution_id]

    async def refreshed(self, row: ExecutionRow) -> ProgressLog:
        """The execution's log with every entry committed before this call."""
        pending = self.refreshing.get(row.id)
        if pending is not None:
            await asyncio.shield(pending)  # started before this call: may miss an entry
            pending = self.refreshing.get(row.id)
            if pending is not None:  # started after this call began
                return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ProgressLog] = loop.create_future()
        self.refreshing[row.id] = future
        try:
            log = await run_in_threadpool(self._refresh, row, self.logs.get(row.id))
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: those waiting get it, nobody else must
            raise
        finally:
            del self.refreshing[row.id]
        self._keep(log)
        future.set_result(log)
        return log

    def _refresh(self, row: ExecutionRow, log: ProgressLog | None) -> ProgressLog:
        """A worker thread: the log of ``row``, fed with the entries after its last."""
        if log is None:
            log = ProgressLog(row.id, load_workflow(row.text), self._masker(row))
        log.feed(self.engine.journal(row.id, after=log.seq))
        return log

    def _masker(self, row: ExecutionRow) -> Masker:
        """What hides an execution's secrets: its secret inputs' and its parents'."""
        known = self.logs.get(row.id)
        if known is not None:
            return known.masker
        masker = Masker.for_inputs(load_workflow(row.text).inputs, json.loads(row.parameters))
        parent = self.engine.record(row.parent) if row.parent else None
        return masker.combined(self._masker(parent)) if parent is not None else masker

    def _keep(self, log: ProgressLog) -> None:
        """Keep ``log``; drop the least recently used finished logs beyond the bound."""
        self.logs[log.execution_id] = log
        self.logs.move_to_end(log.execution_id)
        if len(self.logs) <= self.limit:
            return
        for execution_id in [i for i, kept in self.logs.items()
                             if kept.finished and i not in self.waiters]:
            if len(self.logs) <= self.limit:
                break
            del self.logs[execution_id]
