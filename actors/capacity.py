"""The process's budget of workers running action attempts, shared by every execution.

Every action attempt, a plain task's or a with-items item's, runs on a worker (one thread)
holding one permit of :data:`WORKERS`: the budget caps the attempts in flight across every
execution of the process (issue 12's global cap), and the threads a process starts
(``perf/README.md``, section 5; ``shared/design/pykka-limits.md`` recommends at most ~1-2 k
live actors per process). Permits are handed out first come first served: a supervisor asks
for the permits a run's pool lacks (:meth:`WorkerBudget.request`), is told
:class:`~actors.messages.WorkersGranted` when at least one is free, and gives them back when
an attempt reports with nothing waiting behind it, or when the run ends
(:meth:`WorkerBudget.release`). Nothing is refused: a request waits, in order, until permits
free. A wait for a permit is a message, like every other wait; the budget runs in its own
thread and blocks on its inbox, so nothing polls. A sub-workflow attempt holds no permit
(its child supervisor is not a worker), so a parent never holds a permit its child's
attempts wait for, even under a limit of 1.

The budget books permits per holder (supervisor) and run, so an ending supervisor gives
back everything in one call (:meth:`WorkerBudget.release_all`), including grants still in
its mailbox, which pykka drops unread when an actor stops: permits are never lost.

**Idle workers are kept.** A worker whose attempt reported with nothing waiting in its pool
goes back with its permit (:meth:`WorkerBudget.release`); the budget keeps it, idle, while the
permits in use plus the idle workers stay within the limit (so the threads alive never
exceed it), and hands them out with the next grants (:class:`WorkersGranted` ``workers``)
before any pool starts a new thread: a with-items run, or an execution, no longer pays
~32 thread starts. A worker holds no state between attempts (:mod:`actors.workers`); one
stopped since it was parked (``pykka.ActorRegistry.stop_all``) is skipped.
:meth:`WorkerBudget.stop_idle` stops the idle ones (``Engine.close``; they are daemon
threads, so a process that exits without it leaks nothing either).

:func:`snapshot` returns a :class:`Capacity` record (limit, in flight, queued, idle) for
``/metrics`` and ``Engine.capacity()``.

**Holds.** An engine that drains holds its group (:meth:`WorkerBudget.hold`; a request
names its holder's engine): the group's requests keep their places and get nothing, the
other groups' are answered past them; :meth:`WorkerBudget.quiet` is a future set once the
group holds no permit any more, what ``Engine.close`` waits for after ``Engine.hold``.

The limit is ``TROUPE_MAX_WORKERS`` from the environment (default 256),
:func:`runtime.api.set_worker_limit`, or ``Engine(max_attempts=N)`` (all three set the same
one limit of the process); a task's own ``concurrency`` still applies within it.

Misuse: give back only idle workers (their report arrived; never one stopped for a cancel);
give back only permits that were granted and not given back; do not request again
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

from runtime.records import record

from .cancellation import stop_ref
from .messages import WorkersGranted

__all__ = ["DEFAULT_LIMIT", "WORKERS", "Capacity", "WorkerBudget", "snapshot"]

log = structlog.get_logger("troupe.capacity")

DEFAULT_LIMIT = 256
"""Attempts in flight (workers busy) at once in one process, unless ``TROUPE_MAX_WORKERS``
says otherwise."""


@record
class Capacity:
    """The process's budget at one moment (read-only: a snapshot, for metrics)."""

    limit: int
    """Workers allowed at once (``TROUPE_MAX_WORKERS``)."""
    in_flight: int
    """Permits granted and not given back (workers busy or reserved by a pool)."""
    queued: int
    """Requests waiting for a permit."""
    idle: int
    """Idle workers kept for the next runs."""


@dataclass(frozen=True, slots=True)
class _Request:
    target: Any
    run: int
    count: int
    group: str | None = None


@dataclass(frozen=True, slots=True)
class _Hold:
    group: str
    done: Any


@dataclass(frozen=True, slots=True)
class _Quiet(_Hold):
    pass


@dataclass(frozen=True, slots=True)
class _Release:
    holder: str
    run: int
    count: int
    workers: tuple[Any, ...] = ()


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


@dataclass(frozen=True, slots=True)
class _Snapshot:
    done: Any


@dataclass(frozen=True, slots=True)
class _StopIdle:
    done: Any


class WorkerBudget:
    """Grants permits for workers running attempts, up to a process-wide limit."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the worker limit must be at least 1, got {limit}")
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, args=(limit,),
                                        name="troupe-workers", daemon=True)
        self._thread.start()

    def request(self, target: Any, run: int, count: int, group: str | None = None) -> None:
        """Ask for up to ``count`` permits; ``target`` is told :class:`WorkersGranted`.
        ``group``: the engine ``target`` runs for (:meth:`hold`)."""
        self._inbox.put(_Request(target, run, max(count, 1), group))

    def hold(self, group: str) -> list[Any]:
        """Grant no more permits to ``group`` (an engine draining: its requests wait for
        good); its holders that hold permits now (to be told to start nothing on them)."""
        done: pykka.ThreadingFuture[list[Any]] = pykka.ThreadingFuture()
        self._inbox.put(_Hold(group, done))
        return list(done.get(timeout=10))

    def quiet(self, group: str) -> pykka.ThreadingFuture[None]:
        """A future set once ``group`` holds no permit (after :meth:`hold`: once every
        attempt it ran reported, and its holders gave the permits back)."""
        done: pykka.ThreadingFuture[None] = pykka.ThreadingFuture()
        self._inbox.put(_Quiet(group, done))
        return done

    def release(self, target: Any, run: int, count: int,
                workers: tuple[Any, ...] = ()) -> None:
        """Give back ``count`` of the permits granted to ``target`` for ``run``, and idle
        ``workers`` to keep for the next grants."""
        if count or workers:
            self._inbox.put(_Release(target.actor_urn, run, count, workers))

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

    def snapshot(self) -> Capacity:
        """The budget now, as a :class:`Capacity` record."""
        done: pykka.ThreadingFuture[Capacity] = pykka.ThreadingFuture()
        self._inbox.put(_Snapshot(done))
        capacity: Capacity = done.get(timeout=10)
        return capacity

    def stop_idle(self) -> int:
        """Stop the idle workers kept for reuse (they are started again on demand); how
        many were stopped."""
        done: pykka.ThreadingFuture[list[Any]] = pykka.ThreadingFuture()
        self._inbox.put(_StopIdle(done))
        stopped: list[Any] = done.get(timeout=10)
        for ref in stopped:
            try:
                ref.stop(block=True, timeout=10)
            except pykka.ActorDeadError:
                pass  # stopped meanwhile
        return len(stopped)

    def _loop(self, limit: int) -> None:
        ledger = _Ledger(limit)
        handlers = _HANDLERS
        while True:
            message = self._inbox.get()
            handlers[type(message)](ledger, message)
            ledger.grant()
            if ledger.quiet:
                ledger.wake_quiet()


class _Ledger:
    """The budget thread's books: permits in use, who holds them, who waits."""

    __slots__ = ("groups", "held", "holds", "idle", "lent", "limit", "quiet", "refs", "used",
                 "waiting")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.held: dict[str, dict[int, int]] = {}
        """holder (actor URN) -> run -> permits granted and not given back."""
        self.waiting: deque[_Request] = deque()
        self.idle: list[Any] = []
        """Idle workers given back, handed out with the next grants (newest first)."""
        self.lent: dict[str, dict[str, Any]] = {}
        """holder -> idle workers handed to it (URN -> ref) and not given back yet."""
        self.groups: dict[str, tuple[str | None, Any]] = {}
        """holder -> (its group, its ref), from its requests."""
        self.holds: set[str] = set()
        """Groups granted nothing any more (engines that drain)."""
        self.quiet: list[_Quiet] = []
        """Waits for a group to hold no permit."""

    def request(self, message: _Request) -> None:
        self.groups[message.target.actor_urn] = (message.group, message.target)
        self.waiting.append(message)

    def hold(self, message: _Hold) -> None:
        self.holds.add(message.group)
        message.done.set([ref for holder, (group, ref) in self.groups.items()
                          if group == message.group and self.holding(holder)])

    def holding(self, holder: str) -> bool:
        """Whether ``holder`` holds permits (or workers lent with them)."""
        return any(self.held.get(holder, {}).values()) or bool(self.lent.get(holder))

    def wake_quiet(self) -> None:
        """Set the waits of groups that hold no permit any more."""
        busy = {self.groups[h][0] for h in self.groups if self.holding(h)}
        for wait in [q for q in self.quiet if q.group not in busy]:
            self.quiet.remove(wait)
            wait.done.set(None)

    def release(self, message: _Release) -> None:
        runs = self.held.get(message.holder, {})
        count = min(message.count, runs.get(message.run, 0))
        if count < message.count:
            log.error("worker permits given back that were not held",
                      holder=message.holder, run=message.run, count=message.count)
        if count:
            runs[message.run] -= count
            self.used -= count
        lent = self.lent.get(message.holder)
        if lent:
            for worker in message.workers:
                lent.pop(worker.actor_urn, None)
        self.park(message.workers)

    def park(self, workers: tuple[Any, ...]) -> None:
        """Keep idle workers while permits in use plus idle stay within the limit."""
        idle = self.idle
        for worker in workers:
            if self.used + len(idle) < self.limit:
                idle.append(worker)
            else:
                stop_ref(worker)

    def release_all(self, message: _ReleaseAll) -> None:
        self.groups.pop(message.holder, None)
        self.used -= sum(self.held.pop(message.holder, {}).values())
        for worker in self.lent.pop(message.holder, {}).values():
            stop_ref(worker)  # in a grant never read, or stopped by a cancel already
        self.waiting = deque(r for r in self.waiting if r.target.actor_urn != message.holder)

    def set_limit(self, message: _Limit) -> None:
        self.limit = message.limit
        while self.idle and self.used + len(self.idle) > self.limit:
            stop_ref(self.idle.pop())
        message.done.set(None)

    def usage(self, message: _Usage) -> None:
        message.done.set((self.used, self.limit, len(self.waiting)))

    def snapshot(self, message: _Snapshot) -> None:
        message.done.set(Capacity(limit=self.limit, in_flight=self.used,
                                  queued=len(self.waiting), idle=len(self.idle)))

    def stop_idle(self, message: _StopIdle) -> None:
        stopped, self.idle = self.idle, []
        message.done.set(stopped)

    def hand_out(self, count: int) -> tuple[Any, ...]:
        """Up to ``count`` idle workers still alive."""
        idle = self.idle
        handed: list[Any] = []
        while idle and len(handed) < count:
            worker = idle.pop()
            if worker.is_alive():
                handed.append(worker)
        return tuple(handed)

    def grant(self) -> None:
        """Answer waiting requests, oldest first, while permits are free (those of held
        groups keep their places)."""
        waiting = self.waiting
        kept: deque[_Request] = deque()
        while waiting and self.used < self.limit:
            request = waiting.popleft()
            if request.group is not None and request.group in self.holds:
                kept.append(request)
                continue
            granted = min(request.count, self.limit - self.used)
            workers = self.hand_out(granted)
            try:
                request.target.tell(WorkersGranted(run=request.run, count=granted,
                                                   workers=workers))
            except pykka.ActorDeadError:
                self.idle.extend(workers)
                continue  # the execution ended while it waited
            if workers:
                lent = self.lent.setdefault(request.target.actor_urn, {})
                lent.update((worker.actor_urn, worker) for worker in workers)
            self.used += granted
            runs = self.held.setdefault(request.target.actor_urn, {})
            runs[request.run] = runs.get(request.run, 0) + granted
        if kept:
            kept.extend(waiting)
            self.waiting = kept


_HANDLERS: dict[type, Callable[[_Ledger, Any], None]] = {
    _Request: _Ledger.request,
    _Release: _Ledger.release,
    _ReleaseAll: _Ledger.release_all,
    _Limit: _Ledger.set_limit,
    _Usage: _Ledger.usage,
    _Snapshot: _Ledger.snapshot,
    _StopIdle: _Ledger.stop_idle,
    _Hold: _Ledger.hold,
    _Quiet: lambda ledger, message: ledger.quiet.append(message),
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


def snapshot() -> Capacity:
    """The process's budget now (for ``/metrics`` and ``Engine.capacity()``)."""
    return WORKERS.snapshot()
