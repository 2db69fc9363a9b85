"""The process's budget of item workers, shared by every execution.

Each with-items run grows its own pool of item workers (one thread each) up to the task's
concurrency. A process running many executions at once would otherwise start thousands of
threads, each ~0.2 ms to start and all contending for one GIL (``perf/README.md``, section 5;
``shared/design/pykka-limits.md`` recommends at most ~1-2 k live actors per process).
:data:`WORKERS` hands out permits, one per item worker, first come first served: a
supervisor asks for the permits its pool lacks (:meth:`WorkerBudget.request`), is told
:class:`~actors.messages.WorkersGranted` when at least one is free, and gives them back
when the pool ends (:meth:`WorkerBudget.release`). A wait for a permit is a message, like
every other wait; the budget runs in its own thread and blocks on its inbox, so nothing
polls.

The budget books permits per holder (supervisor) and run, so an ending supervisor gives
back everything in one call (:meth:`WorkerBudget.release_all`), including grants still in
its mailbox, which pykka drops unread when an actor stops: permits are never lost.

The limit is ``TROUPE_MAX_WORKERS`` from the environment (default 256), or
:func:`runtime.api.set_worker_limit`; a task's own ``concurrency`` still applies within it.

Misuse: give back only permits that were granted and not given back; do not request again
for a pool while its request is unanswered (one outstanding request per pool, which keeps
the queue fair); after :meth:`WorkerBudget.release_all`, ignore grants still arriving (they
were already taken back); the target must be an actor ref (``tell`` and ``actor_urn`` are
all that is used).
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pykka
import structlog

from .messages import WorkersGranted

__all__ = ["DEFAULT_LIMIT", "WORKERS", "WorkerBudget"]

log = structlog.get_logger("troupe.capacity")

DEFAULT_LIMIT = 256
"""Item workers alive at once in one process, unless ``TROUPE_MAX_WORKERS`` says otherwise."""


@dataclass(frozen=True, slots=True)
class _Request:
    target: Any
    run: int
    count: int


@dataclass(frozen=True, slots=True)
class _Release:
    holder: str
    run: int
    count: int


@dataclass(frozen=True, slots=True)
class _ReleaseAll:
    holder: str


@dataclass(frozen=True, slots=True)
class _Limit:
    limit: int
    done: Any


@dataclass(frozen=True, slots=True)
class _Usage:
    done: Any


class WorkerBudget:
    """Grants permits for item workers, up to a process-wide limit."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the worker limit must be at least 1, got {limit}")
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, args=(limit,),
                                        name="troupe-workers", daemon=True)
        self._thread.start()

    def request(self, target: Any, run: int, count: int) -> None:
        """Ask for up to ``count`` permits; ``target`` is told :class:`WorkersGranted`."""
        self._inbox.put(_Request(target, run, max(count, 1)))

    def release(self, target: Any, run: int, count: int) -> None:
        """Give back ``count`` of the permits granted to ``target`` for ``run``."""
        if count:
            self._inbox.put(_Release(target.actor_urn, run, count))

    def release_all(self, target: Any) -> None:
        """Give back every permit granted to ``target`` and drop its unanswered requests."""
        self._inbox.put(_ReleaseAll(target.actor_urn))

    def set_limit(self, limit: int) -> None:
        """Change the limit (workers already alive above a lower limit finish their items)."""
        if limit < 1:
            raise ValueError(f"the worker limit must be at least 1, got {limit}")
        done: pykka.ThreadingFuture[None] = pykka.ThreadingFuture()
        self._inbox.put(_Limit(limit, done))
        done.get(timeout=10)

    def usage(self) -> tuple[int, int, int]:
        """``(permits in use, limit, requests waiting)``, as the budget sees them now."""
        done: pykka.ThreadingFuture[tuple[int, int, int]] = pykka.ThreadingFuture()
        self._inbox.put(_Usage(done))
        usage: tuple[int, int, int] = done.get(timeout=10)
        return usage

    def _loop(self, limit: int) -> None:
        ledger = _Ledger(limit)
        handlers = _HANDLERS
        while True:
            message = self._inbox.get()
            handlers[type(message)](ledger, message)
            ledger.grant()


class _Ledger:
    """The budget thread's books: permits in use, who holds them, who waits."""

    __slots__ = ("held", "limit", "used", "waiting")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.held: dict[str, dict[int, int]] = {}
        """holder (actor URN) -> run -> permits granted and not given back."""
        self.waiting: deque[_Request] = deque()

    def request(self, message: _Request) -> None:
        self.waiting.append(message)

    def release(self, message: _Release) -> None:
        runs = self.held.get(message.holder, {})
        count = min(message.count, runs.get(message.run, 0))
        if count < message.count:
            log.error("worker permits given back that were not held",
                      holder=message.holder, run=message.run, count=message.count)
        if count:
            runs[message.run] -= count
            self.used -= count

    def release_all(self, message: _ReleaseAll) -> None:
        self.used -= sum(self.held.pop(message.holder, {}).values())
        self.waiting = deque(r for r in self.waiting if r.target.actor_urn != message.holder)

    def set_limit(self, message: _Limit) -> None:
        self.limit = message.limit
        message.done.set(None)

    def usage(self, message: _Usage) -> None:
        message.done.set((self.used, self.limit, len(self.waiting)))

    def grant(self) -> None:
        """Answer waiting requests, oldest first, while permits are free."""
        waiting = self.waiting
        while waiting and self.used < self.limit:
            request = waiting.popleft()
            granted = min(request.count, self.limit - self.used)
            try:
                request.target.tell(WorkersGranted(run=request.run, count=granted))
            except pykka.ActorDeadError:
                continue  # the execution ended while it waited
            self.used += granted
            runs = self.held.setdefault(request.target.actor_urn, {})
            runs[request.run] = runs.get(request.run, 0) + granted


_HANDLERS: dict[type, Callable[[_Ledger, Any], None]] = {
    _Request: _Ledger.request,
    _Release: _Ledger.release,
    _ReleaseAll: _Ledger.release_all,
    _Limit: _Ledger.set_limit,
    _Usage: _Ledger.usage,
}
"""Budget request type -> how the ledger books it."""


def _limit_from_env() -> int:
    raw = os.environ.get("TROUPE_MAX_WORKERS", "")
    if not raw:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        log.warning("ignoring TROUPE_MAX_WORKERS: not a positive integer", value=raw,
                    default=DEFAULT_LIMIT)
        return DEFAULT_LIMIT
    return value


WORKERS = WorkerBudget(_limit_from_env())
"""The process's worker budget (started at import, under the import lock)."""
