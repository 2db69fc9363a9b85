"""The worker actors of one execution: starting them, naming them, reusing task actors.

A :class:`Crew` starts :class:`~actors.workers.Worker` actors for its supervisor and knows
each one's actor path (``wf/<task>@<route>`` for a task actor, ``.../w<n>`` for an item
worker), which the trace names them by. A task actor serves one task run (its retries
included); when the run finishes it waits, idle, for the next task run (threads are dear:
``perf/README.md``), up to :data:`IDLE_TASK_WORKERS` of them.

Every worker the crew starts or adopts gets an :class:`~actors.messages.Assignment` (this
execution, its supervisor, the worker's path, the tracer), sent with each attempt
(:meth:`Crew.assignment_of`): workers keep nothing between attempts, so an item worker
handed over by the process's budget (:mod:`actors.capacity`) from another run or execution
is adopted (:meth:`Crew.adopt`) under its new path.

Misuse: only the supervisor's thread uses a crew; item workers belong to their pool
(:mod:`actors.pools`), which stops them or gives them back, the crew only starts and names
them; forget an item worker (:meth:`Crew.forget`) when its pool lets it go.
"""

from __future__ import annotations

from typing import Any

from runtime.commands import RunAction

from .cancellation import stop_ref
from .messages import Assignment
from .tracing import Tracer
from .workers import Worker

__all__ = ["IDLE_TASK_WORKERS", "Crew"]

IDLE_TASK_WORKERS = 8
"""How many idle task actors a supervisor keeps for reuse."""


class Crew:
    """Starts and names the workers of one execution; owns its task actors."""

    __slots__ = ("assignments", "execution_id", "idle", "owner", "task_workers", "tracer")

    def __init__(self, owner: Any, execution_id: str, tracer: Tracer) -> None:
        self.owner = owner
        self.execution_id = execution_id
        self.tracer = tracer
        self.assignments: dict[str, Assignment] = {}
        """Actor URN -> what the worker performs attempts as (its path among them)."""
        self.task_workers: dict[int, Any] = {}
        """Run -> the task actor serving it."""
        self.idle: list[Any] = []
        """Task actors whose run finished, reused by the next task runs."""

    def spawn(self, path: str, kind: str) -> Any:
        """Start a worker called ``path`` (``kind``: ``task`` or ``item``)."""
        ref = Worker.start()
        self._assign(ref, path, kind)
        if self.tracer.enabled:
            self.tracer.emit("actor.spawned", path, kind=kind, parent="wf", thread=path)
        return ref

    def adopt(self, worker: Any, path: str, kind: str) -> None:
        """Take on an idle ``worker`` (from another run or execution) as ``path``."""
        self._assign(worker, path, kind)
        if self.tracer.enabled:
            self.tracer.emit("actor.spawned", path, kind=kind, parent="wf", thread=path,
                             reused=True)

    def forget(self, worker: Any) -> None:
        """``worker`` left this execution (given back to the process's budget)."""
        assignment = self.assignments.pop(worker.actor_urn, None)
        if assignment is not None and self.tracer.enabled:
            self.tracer.emit("actor.stopped", assignment.path, kind=assignment.kind,
                             recycled=True)

    def assignment_of(self, worker: Any) -> Assignment:
        """What ``worker`` performs this execution's attempts as."""
        return self.assignments[worker.actor_urn]

    def path_of(self, worker: Any) -> str:
        """The actor path of ``worker``."""
        assignment = self.assignments.get(worker.actor_urn)
        return assignment.path if assignment is not None else "?"

    def _assign(self, worker: Any, path: str, kind: str) -> None:
        self.assignments[worker.actor_urn] = Assignment(
            supervisor=self.owner, execution_id=self.execution_id, path=path, kind=kind,
            tracer=self.tracer.for_actor())

    def task_worker(self, command: RunAction) -> Any:
        """The task actor of the attempt's run: its own, an idle one, or a new one."""
        worker = self.task_workers.get(command.run)
        if worker is None:
            base = f"wf/{command.task}@{command.route}"
            if self.idle:
                worker = self.idle.pop()
                self.adopt(worker, base, "task")
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
