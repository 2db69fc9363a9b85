"""The worker actors of one execution: starting them, naming them.

A :class:`Crew` starts :class:`~actors.workers.Worker` actors for its supervisor's pools
(:mod:`actors.pools`) and knows each one's actor path (``wf/<task>@<route>`` for a task
actor, ``.../w<n>`` for an item worker), which the trace names them by.

Every worker the crew starts or adopts gets an :class:`~actors.messages.Assignment` (this
execution, its supervisor, the worker's path, the tracer), sent with each attempt
(:meth:`Crew.assignment_of`): workers keep nothing between attempts, so an item worker
handed over by the process's budget (:mod:`actors.capacity`) from another run or execution
is adopted (:meth:`Crew.adopt`) under its new path.

Misuse: only the supervisor's thread uses a crew; workers belong to their pool
(:mod:`actors.pools`), which stops them or gives them back, the crew only starts and names
them; forget a worker (:meth:`Crew.forget`) when its pool lets it go.
"""

from __future__ import annotations

from typing import Any

from .messages import Assignment
from .tracing import Tracer
from .workers import Worker

__all__ = ["Crew"]


class Crew:
    """Starts and names the workers of one execution."""

    __slots__ = ("assignments", "execution_id", "owner", "tracer")

    def __init__(self, owner: Any, execution_id: str, tracer: Tracer) -> None:
        self.owner = owner
        self.execution_id = execution_id
        self.tracer = tracer
        self.assignments: dict[str, Assignment] = {}
        """Actor URN -> what the worker performs attempts as (its path among them)."""

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
