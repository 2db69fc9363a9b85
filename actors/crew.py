"""The worker actors of one execution: starting them, naming them, reusing task actors.

A :class:`Crew` starts :class:`~actors.workers.Worker` actors for its supervisor and knows
each one's actor path (``wf/<task>@<route>`` for a task actor, ``.../w<n>`` for an item
worker), which the trace names them by. A task actor serves one task run (its retries
included); when the run finishes it waits, idle, for the next task run (threads are dear:
``perf/README.md``), up to :data:`IDLE_TASK_WORKERS` of them.

Misuse: only the supervisor's thread uses a crew; item workers belong to their pool
(:mod:`actors.pools`), which stops them, the crew only starts and names them.
"""

from __future__ import annotations

from typing import Any

from runtime.commands import RunAction

from .cancellation import stop_ref
from .tracing import Tracer
from .workers import Worker

__all__ = ["IDLE_TASK_WORKERS", "Crew"]

IDLE_TASK_WORKERS = 8
"""How many idle task actors a supervisor keeps for reuse."""


class Crew:
    """Starts and names the workers of one execution; owns its task actors."""

    __slots__ = ("execution_id", "idle", "owner", "paths", "task_workers", "tracer")

    def __init__(self, owner: Any, execution_id: str, tracer: Tracer) -> None:
        self.owner = owner
        self.execution_id = execution_id
        self.tracer = tracer
        self.paths: dict[str, str] = {}
        """Actor URN -> actor path."""
        self.task_workers: dict[int, Any] = {}
        """Run -> the task actor serving it."""
        self.idle: list[Any] = []
        """Task actors whose run finished, reused by the next task runs."""

    def spawn(self, path: str, kind: str) -> Any:
        """Start a worker called ``path`` (``kind``: ``task`` or ``item``)."""
        ref = Worker.start(supervisor=self.owner, path=path, kind=kind,
                           execution_id=self.execution_id, tracer=self.tracer.for_actor())
        self.paths[ref.actor_urn] = path
        if self.tracer.enabled:
            self.tracer.emit("actor.spawned", path, kind=kind, parent="wf", thread=path)
        return ref

    def path_of(self, worker: Any) -> str:
        """The actor path of ``worker``."""
        return self.paths.get(worker.actor_urn, "?")

    def task_worker(self, command: RunAction) -> Any:
        """The task actor of the attempt's run: its own, an idle one, or a new one."""
        worker = self.task_workers.get(command.run)
        if worker is None:
            base = f"wf/{command.task}@{command.route}"
            if self.idle:
                worker = self.idle.pop()
                self.paths[worker.actor_urn] = base
                if self.tracer.enabled:
                    self.tracer.emit("actor.spawned", base, kind="task", parent="wf",
                                     thread=base, reused=True)
            else:
                worker = self.spawn(base, "task")
            self.task_workers[command.run] = worker
        return worker

    def run_ended(self, run: int, *, recycle: bool = True) -> None:
        """The task run ``run`` finished: its task actor waits for the next run, or stops."""
        worker = self.task_workers.pop(run, None)
        if worker is None:
            return
        if recycle and len(self.idle) < IDLE_TASK_WORKERS:
            self.idle.append(worker)
            if self.tracer.enabled:
                self.tracer.emit("actor.stopped", self.path_of(worker), kind="task",
                                 recycled=True)
        else:
            stop_ref(worker)

    def cancel_task(self, run: int) -> None:
        """Stop the task actor of ``run`` (its attempt was canceled: it may be stuck in it)."""
        worker = self.task_workers.pop(run, None)
        if worker is not None:
            stop_ref(worker)

    def close(self) -> None:
        """The execution is over: stop every task actor."""
        for run in list(self.task_workers):
            self.run_ended(run, recycle=False)
        for worker in self.idle:
            stop_ref(worker)
        self.idle.clear()
