"""The workers of an execution's task runs, and the permits their attempts run on.

Every action attempt runs on a worker holding a permit of the process's budget
(:data:`~actors.capacity.WORKERS`), plain tasks and with-items items alike, so the budget
caps the attempts in flight across every execution of the process. Each task run has a
pool: a with-items run's grows up to the task's concurrency, a plain task run's holds one
worker. An attempt the machine dispatches goes to a new worker if the pool holds a spare
permit, or waits, in order, until a worker of the pool reports or the budget grants more
permits (:class:`~actors.messages.WorkersGranted`). A waiting attempt has not started: its
timeout timer is held back and set when a worker takes it (the wait does not count), and
when the workflow pauses or lets running work finish, the waiting items go back to the
machine unstarted (a waiting plain task attempt stays queued and runs when granted, as if
it had started before the pause).

An attempt is handed over when a worker is there for it: a non-idempotent attempt of a
durable execution is sent only once its start is journaled and durable (the supervisor's
``send`` does that, the worker staying reserved for it meanwhile), so an attempt that only
waited for a permit at a crash never started (``docs/durability.md``). Canceled between the
two, the attempt's reserved worker stays with its pool, free (:meth:`Pools.cancel`).

While the engine drains (:meth:`Pools.hold`), no attempt is handed over: dispatched ones
wait as if no permit were free, workers whose attempt reported go idle, and every permit no
attempt runs on goes back to the budget once the execution's journal made the reports
durable (the budget's :meth:`~actors.capacity.WorkerBudget.quiet` then means: every
attempt of the engine is over and journaled).

A worker whose attempt reported takes the oldest waiting attempt of its pool, or goes idle
in it; once the supervisor has fed the reports to the machine (which may dispatch the next
items to it), idle workers of a pool nothing waits in go back to the budget with their
permits (:meth:`Pools.settle`: the attempts are no longer in flight), and the budget hands
them to the next pool that asks
(:class:`~actors.messages.WorkersGranted` ``workers``), of this execution or another: a pool
adopts those (:meth:`~actors.crew.Crew.adopt`) before it starts a thread. A worker stopped
for a cancel is never given back (its permit is). A sub-workflow attempt runs in a child
supervisor, not on a worker, and holds no permit: a parent waiting for its child never
holds a permit the child's attempts wait for.

:class:`Pools` owns all of it: pools, permits, waiting attempts and held-back timers. It
calls back its supervisor to send an attempt (``send``) and to set a timer
(``set_timer``), and starts workers through the :class:`~actors.crew.Crew`.

Misuse: only the supervisor's thread uses it; every permit granted is given back
(:meth:`Pools.settle` after the reports are fed, :meth:`Pools.release` when a run ends,
:meth:`Pools.close` when the execution ends, which also takes back grants still on their
way); ask the budget at most once per pool at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from runtime.commands import RunAction
from runtime.events import TimerKey, TimerKind

from .cancellation import stop_ref
from .capacity import WORKERS
from .crew import Crew
from .messages import AttemptKey, WorkersGranted
from .tracing import Tracer

__all__ = ["Pools", "Send"]

Send = Callable[[Any, RunAction, Any, AttemptKey, bool], None]
"""``send(worker, command, action, key, fenced)``: hand an attempt to the worker reserved
for it (``fenced``: its start is journaled, and it is told once that is durable)."""

Later = Callable[[Callable[[], None]], None]
"""``later(call)``: call ``call`` once what the execution journaled so far is durable."""


@dataclass(slots=True)
class _Waiting:
    """An attempt the machine dispatched that waits for a worker permit."""

    command: RunAction
    action: Any
    fenced: bool = False
    """A non-idempotent attempt of a durable execution: its start is journaled when a
    worker takes it (:data:`Send`)."""
    timeout: float | None = None
    """Its timeout timer, set when it is sent to a worker (the wait does not count)."""


@dataclass(slots=True)
class _Pool:
    """The workers of one task run, and the permits they hold."""

    task: str
    route: int
    concurrency: int
    items: bool
    """A with-items run (else a plain task run: one worker, named after the task)."""
    busy: dict[AttemptKey, Any] = field(default_factory=dict)
    idle: list[Any] = field(default_factory=list)
    """Workers whose attempt reported, holding their permits until :meth:`Pools.settle`."""
    named: int = 0
    """Workers taken on so far (item workers are named ``w0``, ``w1``, ...)."""
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
    """Every task run's pool of one execution."""

    __slots__ = ("crew", "group", "held", "idle_runs", "later", "owner", "pools", "send",
                 "set_timer", "tracer")

    def __init__(self, *, owner: Any, crew: Crew, tracer: Tracer, send: Send,
                 set_timer: Callable[[TimerKey, float], None], group: str | None = None,
                 later: Later | None = None) -> None:
        """``group``: the engine the execution belongs to, for the budget's holds
        (:meth:`~actors.capacity.WorkerBudget.hold`); ``later``: how to wait for the
        execution's journal (permits given back while held wait for it)."""
        self.owner = owner
        self.crew = crew
        self.tracer = tracer
        self.send = send
        self.set_timer = set_timer
        self.group = group
        self.later: Later = later or _now
        self.held = False
        """The engine holds its attempts (:meth:`hold`): none is handed to a worker."""
        self.pools: dict[int, _Pool] = {}
        self.idle_runs: set[int] = set()
        """Runs whose pool has idle workers (for :meth:`settle`)."""

    def dispatch(self, command: RunAction, action: Any, key: AttemptKey,
                 fenced: bool = False) -> None:
        """Hand an attempt to a worker of its run's pool if the pool holds a spare permit,
        or queue it until the process's budget grants one (always, while held)."""
        pool = self.pools.get(command.run)
        if pool is None:
            items = command.item is not None
            pool = self.pools[command.run] = _Pool(
                task=command.task, route=command.route, items=items,
                concurrency=(command.concurrency or 1) if items else 1)
        if self.held:
            worker = None
        elif pool.idle:
            worker = pool.idle.pop()
        elif len(pool.busy) + len(pool.idle) < pool.permits:
            worker = self._take(pool)
        else:
            worker = None
        if worker is None:
            pool.waiting[key] = _Waiting(command=command, action=action, fenced=fenced)
            self._ask_permits(command.run, pool)
            return
        pool.busy[key] = worker
        self.send(worker, command, action, key, fenced)

    def reported(self, key: AttemptKey) -> None:
        """The attempt ``key`` reported: its worker takes the oldest waiting attempt, or
        goes idle (until :meth:`settle`)."""
        pool = self.pools.get(key[0])
        if pool is not None:
            worker = pool.busy.pop(key, None)
            if worker is not None:
                self._free(pool, key[0], worker)

    def _free(self, pool: _Pool, run: int, worker: Any) -> None:
        """``worker`` (still this pool's) has no attempt: it takes the oldest waiting one,
        or goes idle (until :meth:`settle`)."""
        if pool.waiting and not self.held:
            self._send_waiting(pool, worker)
        else:
            pool.idle.append(worker)
            self.idle_runs.add(run)

    def settle(self) -> None:
        """The reports were fed to the machine: idle workers of pools nothing waits in (of
        every pool, while held) go back to the budget with their permits (their attempts
        are over)."""
        for run in self.idle_runs:
            pool = self.pools.get(run)
            if pool is None or not pool.idle or (pool.waiting and not self.held):
                continue
            for worker in pool.idle:
                self.crew.forget(worker)
            pool.permits -= len(pool.idle)
            self._give_back(run, len(pool.idle), tuple(pool.idle))
            pool.idle.clear()
        self.idle_runs.clear()

    def hold(self) -> None:
        """The engine drains: hand no more attempts to workers (they wait as if no permit
        were free); give back the permits no attempt runs on. Attempts already handed over
        (a fenced one included) go on; nothing is journaled for it."""
        self.held = True
        for run, pool in self.pools.items():
            for worker in pool.idle:
                self.crew.forget(worker)
            spare = pool.permits - len(pool.busy)
            pool.permits -= spare
            self._give_back(run, spare, (*pool.idle, *pool.handed))
            pool.idle.clear()
            pool.handed.clear()
        self.idle_runs.clear()

    def _give_back(self, run: int, count: int, workers: tuple[Any, ...]) -> None:
        """Give permits and idle workers back to the budget: at once, or, while held, once
        the reports of their attempts are durable (so that an engine that closes when its
        held attempts are over, :meth:`~actors.capacity.WorkerBudget.quiet`, loses none)."""
        if self.held:
            self.later(partial(WORKERS.release, self.owner, run, count, workers))
        else:
            WORKERS.release(self.owner, run, count, workers)

    def hold_timeout(self, key: TimerKey, delay: float) -> bool:
        """Keep the timeout of an attempt waiting for a worker until one takes it; False if
        the attempt is not waiting (the timer is set now)."""
        if key.kind is not TimerKind.TIMEOUT:
            return False
        pool = self.pools.get(key.run)
        waiting = pool.waiting.get((key.run, key.item, key.attempt)) if pool else None
        if waiting is None:
            return False
        waiting.timeout = delay
        return True

    def cancel(self, key: AttemptKey, sent: bool = True) -> None:
        """Forget the attempt ``key``; stop its worker if it was running (its permit goes
        back: the attempt is over for the workflow). ``sent=False``: the worker reserved for
        it was never told (its start was not durable yet): it stays the pool's, free."""
        pool = self.pools.get(key[0])
        if pool is not None:
            pool.waiting.pop(key, None)
            worker = pool.busy.pop(key, None)
            if worker is None:
                return
            if not sent:
                self._free(pool, key[0], worker)
                return
            stop_ref(worker)
            pool.permits -= 1
            self._give_back(key[0], 1, ())

    def take_waiting(self) -> list[AttemptKey]:
        """Take every item attempt waiting for a worker (they go back to the machine
        unstarted)."""
        taken: list[AttemptKey] = []
        for pool in self.pools.values():
            if pool.items:
                taken.extend(pool.waiting)
                pool.waiting.clear()
        return taken

    def granted(self, message: WorkersGranted) -> None:
        """The budget granted permits: start workers for the waiting attempts, give back
        what is not needed any more."""
        pool = self.pools.get(message.run)
        if pool is None:  # the run ended
            self._give_back(message.run, message.count, message.workers)
            return
        pool.asked = False
        pool.permits += message.count
        pool.handed.extend(message.workers)
        granted_to = len(pool.waiting)
        while pool.waiting and pool.idle and not self.held:
            self._send_waiting(pool, pool.idle.pop())
        while (pool.waiting and not self.held
               and len(pool.busy) + len(pool.idle) < pool.permits):
            self._send_waiting(pool, self._take(pool))
        spare = pool.permits - len(pool.busy) - len(pool.idle)
        if spare > 0 and (self.held or not pool.waiting):
            # the attempts finished meanwhile (or are held): other executions may need them
            self._give_back(message.run, spare, tuple(pool.handed))
            pool.handed.clear()
            pool.permits -= spare
        if self.tracer.enabled and pool.items:
            self.tracer.emit("workers.granted", pool.actor, task=pool.task, route=pool.route,
                             run=message.run, count=message.count, held=pool.permits,
                             sent=min(granted_to, message.count), waiting=len(pool.waiting))
        if pool.waiting:
            self._ask_permits(message.run, pool)

    def release(self, run: int) -> None:
        """The run ended: give back its permits and the idle workers handed to it."""
        pool = self.pools.pop(run, None)
        if pool is not None:
            for ref in pool.busy.values():
                stop_ref(ref)  # still in an attempt: never reused
            for ref in pool.idle:
                self.crew.forget(ref)
            self._give_back(run, pool.permits, (*pool.idle, *pool.handed))

    def close(self, now: bool = False) -> None:
        """The execution is over: release every pool, and grants still on their way
        (``now``: the actor stops, so nothing waits for the journal any more)."""
        if now:
            self.held = False
        for run in list(self.pools):
            self.release(run)
        if self.held:
            self.later(partial(WORKERS.release_all, self.owner))
        else:
            WORKERS.release_all(self.owner)

    def _take(self, pool: _Pool) -> Any:
        """A worker for the pool: one the budget handed over, or a new one."""
        if pool.items:
            path, kind = f"{pool.actor}/w{pool.named}", "item"
        else:
            path, kind = pool.actor, "task"
        pool.named += 1
        if pool.handed:
            worker = pool.handed.pop()
            self.crew.adopt(worker, path, kind)
            return worker
        return self.crew.spawn(path, kind)

    def _ask_permits(self, run: int, pool: _Pool) -> None:
        want = pool.concurrency - pool.permits
        if pool.asked or want <= 0:
            return  # an answer is coming, or the pool's own workers will free up
        pool.asked = True
        WORKERS.request(self.owner, run, want, self.group)
        if self.tracer.enabled and pool.items:
            self.tracer.emit("workers.requested", pool.actor, task=pool.task, route=pool.route,
                             run=run, count=want, held=pool.permits, waiting=len(pool.waiting))

    def _send_waiting(self, pool: _Pool, worker: Any) -> None:
        """Give ``worker`` (busy no more) the oldest attempt waiting in ``pool``."""
        key = next(iter(pool.waiting))
        waiting = pool.waiting.pop(key)
        pool.busy[key] = worker
        self.send(worker, waiting.command, waiting.action, key, waiting.fenced)
        if waiting.timeout is not None:
            run, item, attempt = key
            self.set_timer(TimerKey(kind=TimerKind.TIMEOUT, run=run, item=item,
                                    attempt=attempt), waiting.timeout)


def _now(call: Callable[[], None]) -> None:
    """``later`` of an execution with no journal: nothing to wait for."""
    call()
