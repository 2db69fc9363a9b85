"""The item workers of an execution's with-items runs, and the permits they run on.

Each with-items run has a pool of item workers, grown up to the task's concurrency, one
worker per permit of the process's budget (:data:`~actors.capacity.WORKERS`). An item attempt
the machine dispatches goes to an idle worker of its pool, to a new one if the pool holds a
spare permit, or waits, in order, until a worker frees up or the budget grants more permits
(:class:`~actors.messages.WorkersGranted`). A waiting item has not started: its timeout timer
is held back and set when a worker takes it (the wait does not count), and when the workflow
pauses or lets running work finish, the waiting items go back to the machine unstarted.

:class:`Pools` owns all of it: pools, permits, waiting items and held-back timers. It calls
back its supervisor to send an attempt (``send``) and to set a timer (``set_timer``), and
starts workers through the :class:`~actors.crew.Crew`.

When a run ends its idle workers go back to the budget with its permits, and the budget
hands them to the next pools that ask (:class:`~actors.messages.WorkersGranted` ``workers``),
of this execution or another: a pool adopts those (:meth:`~actors.crew.Crew.adopt`) before it
starts a thread. A worker stopped for a cancel is never given back.

Misuse: only the supervisor's thread uses it; every permit granted is given back
(:meth:`Pools.release` when a run ends, :meth:`Pools.close` when the execution ends, which
also takes back grants still on their way); ask the budget at most once per pool at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.commands import RunAction
from runtime.events import TimerKey, TimerKind

from .cancellation import stop_ref
from .capacity import WORKERS
from .crew import Crew
from .messages import AttemptKey, WorkersGranted
from .tracing import Tracer

__all__ = ["Pools", "Send"]

Send = Callable[[Any, RunAction, Any, AttemptKey], None]
"""``send(worker, command, action, key)``: tell a worker to perform an attempt."""


@dataclass(slots=True)
class _Waiting:
    """An item attempt the machine dispatched that waits for a worker permit."""

    command: RunAction
    action: Any
    timeout: float | None = None
    """Its timeout timer, set when it is sent to a worker (the wait does not count)."""


@dataclass(slots=True)
class _Pool:
    """The item workers of one with-items run, and the permits they hold."""

    task: str
    route: int
    concurrency: int
    idle: list[Any] = field(default_factory=list)
    busy: dict[AttemptKey, Any] = field(default_factory=dict)
    spawned: int = 0
    permits: int = 0
    """Worker permits granted by the process's budget and not given back."""
    asked: bool = False
    """A request for permits is unanswered."""
    waiting: dict[AttemptKey, _Waiting] = field(default_factory=dict)
    """Attempts waiting for a worker, oldest first."""
    handed: list[Any] = field(default_factory=list)
    """Idle workers the budget handed over with permits, not taken on yet."""

    @property
    def actor(self) -> str:
        return f"wf/{self.task}@{self.route}"


class Pools:
    """Every with-items pool of one execution."""

    __slots__ = ("crew", "owner", "pools", "send", "set_timer", "tracer")

    def __init__(self, *, owner: Any, crew: Crew, tracer: Tracer, send: Send,
                 set_timer: Callable[[TimerKey, float], None]) -> None:
        self.owner = owner
        self.crew = crew
        self.tracer = tracer
        self.send = send
        self.set_timer = set_timer
        self.pools: dict[int, _Pool] = {}

    def dispatch(self, command: RunAction, action: Any, key: AttemptKey) -> None:
        """Send an item attempt to an idle or new worker of its run's pool, or queue it
        until the process's budget grants the pool another worker."""
        pool = self.pools.get(command.run)
        if pool is None:
            pool = self.pools[command.run] = _Pool(
                task=command.task, route=command.route, concurrency=command.concurrency or 1)
        if pool.idle:
            worker = pool.idle.pop()
        elif pool.spawned < pool.permits:
            worker = self._spawn(pool)
        else:
            pool.waiting[key] = _Waiting(command=command, action=action)
            self._ask_permits(command.run, pool)
            return
        pool.busy[key] = worker
        self.send(worker, command, action, key)

    def reported(self, key: AttemptKey) -> None:
        """The item attempt ``key`` reported: its worker takes the oldest waiting attempt,
        or goes idle."""
        pool = self.pools.get(key[0])
        if pool is not None:
            worker = pool.busy.pop(key, None)
            if worker is not None:
                if pool.waiting:
                    self._send_waiting(pool, worker)
                else:
                    pool.idle.append(worker)

    def hold_timeout(self, key: TimerKey, delay: float) -> bool:
        """Keep the timeout of an item waiting for a worker until one takes it; False if
        the item is not waiting (the timer is set now)."""
        if key.kind is not TimerKind.TIMEOUT or key.item is None:
            return False
        pool = self.pools.get(key.run)
        waiting = pool.waiting.get((key.run, key.item, key.attempt)) if pool else None
        if waiting is None:
            return False
        waiting.timeout = delay
        return True

    def cancel(self, key: AttemptKey) -> None:
        """Forget the item attempt ``key``; stop its worker if it was running."""
        pool = self.pools.get(key[0])
        if pool is not None:
            pool.waiting.pop(key, None)
            worker = pool.busy.pop(key, None)
            if worker is not None:
                stop_ref(worker)

    def take_waiting(self) -> list[AttemptKey]:
        """Take every attempt waiting for a worker (they go back to the machine unstarted)."""
        taken: list[AttemptKey] = []
        for pool in self.pools.values():
            taken.extend(pool.waiting)
            pool.waiting.clear()
        return taken

    def granted(self, message: WorkersGranted) -> None:
        """The budget granted permits: start workers for the waiting attempts, give back
        what is not needed any more."""
        pool = self.pools.get(message.run)
        if pool is None:  # the run ended
            WORKERS.release(self.owner, message.run, message.count, message.workers)
            return
        pool.asked = False
        pool.permits += message.count
        pool.handed.extend(message.workers)
        granted_to = len(pool.waiting)
        while pool.waiting and pool.spawned < pool.permits:
            self._send_waiting(pool, self._spawn(pool))
        spare = pool.permits - pool.spawned
        if spare > 0 and not pool.waiting:
            # the items finished meanwhile: other executions may need them
            WORKERS.release(self.owner, message.run, spare, tuple(pool.handed))
            pool.handed.clear()
            pool.permits -= spare
        if self.tracer.enabled:
            self.tracer.emit("workers.granted", pool.actor, task=pool.task, route=pool.route,
                             run=message.run, count=message.count, held=pool.permits,
                             sent=min(granted_to, message.count), waiting=len(pool.waiting))
        if pool.waiting:
            self._ask_permits(message.run, pool)

    def release(self, run: int) -> None:
        """The run ended: stop its workers and give back its permits."""
        pool = self.pools.pop(run, None)
        if pool is not None:
            for ref in pool.busy.values():
                stop_ref(ref)  # still in an attempt: never reused
            for ref in pool.idle:
                self.crew.forget(ref)
            WORKERS.release(self.owner, run, pool.permits, (*pool.idle, *pool.handed))

    def close(self) -> None:
        """The execution is over: release every pool, and grants still on their way."""
        for run in list(self.pools):
            self.release(run)
        WORKERS.release_all(self.owner)

    def _spawn(self, pool: _Pool) -> Any:
        """A worker for the pool: one the budget handed over, or a new one."""
        path = f"{pool.actor}/w{pool.spawned}"
        if pool.handed:
            worker = pool.handed.pop()
            self.crew.adopt(worker, path, "item")
        else:
            worker = self.crew.spawn(path, "item")
        pool.spawned += 1
        return worker

    def _ask_permits(self, run: int, pool: _Pool) -> None:
        want = pool.concurrency - pool.permits
        if pool.asked or want <= 0:
            return  # an answer is coming, or the pool's own workers will free up
        pool.asked = True
        WORKERS.request(self.owner, run, want)
        if self.tracer.enabled:
            self.tracer.emit("workers.requested", pool.actor, task=pool.task, route=pool.route,
                             run=run, count=want, held=pool.permits, waiting=len(pool.waiting))

    def _send_waiting(self, pool: _Pool, worker: Any) -> None:
        """Give ``worker`` (busy no more) the oldest attempt waiting in ``pool``."""
        key = next(iter(pool.waiting))
        waiting = pool.waiting.pop(key)
        pool.busy[key] = worker
        self.send(worker, waiting.command, waiting.action, key)
        if waiting.timeout is not None:
            run, item, attempt = key
            self.set_timer(TimerKey(kind=TimerKind.TIMEOUT, run=run, item=item,
                                    attempt=attempt), waiting.timeout)
