"""How a supervisor ends its execution: by the machine's decision, or on an engine bug.

:class:`Finishing` is the half of :class:`~actors.supervisor.WorkflowSupervisor` that ends
an execution. :meth:`Finishing._finish` builds the result, releases every timer, worker,
permit and child, and answers: it tells the parent (a sub-workflow), completes the
waiters' future and the progress listeners, then stops the actor. A durable execution first
journals its final status and result and answers only once the journal committed them, so
a caller never sees an end a crash could take back. :meth:`Finishing._crash` is the engine
bug path: the execution fails with an ``engine`` error and no task is left ``running``.

Misuse: only the supervisor's thread runs this; finish once (later calls do nothing).
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

import pykka
import structlog

from runtime.commands import ErrorRecord, WorkflowFinished
from runtime.masking import Masker
from runtime.results import ExecutionResult, build_result
from runtime.status import Outcome, WorkflowStatus
from runtime.values import thaw

from .cancellation import Cancellation, tell_ref
from .crew import Crew
from .durability import Durability
from .ending import ParentLink, close_open_runs, report_for_parent
from .listeners import Listeners
from .messages import Performed
from .pools import Pools
from .timers import ExecutionTimers
from .trace_projection import TraceProjection
from .tracing import Tracer

__all__ = ["Finishing"]

log = structlog.get_logger("troupe.supervisor")


class Finishing:
    """Ends an execution (mixed into the supervisor)."""

    execution_id: str
    state: Any
    events: list[Any]
    masker: Masker
    parent: ParentLink | None
    done: pykka.ThreadingFuture[Any]
    tracer: Tracer
    projection: TraceProjection
    timers: ExecutionTimers
    crew: Crew
    pools: Pools
    cancellation: Cancellation
    listeners: Listeners
    durable: Durability | None
    finished: bool
    answered: bool
    started_mono: float

    if TYPE_CHECKING:
        def stop(self) -> Any:
            """Stop the actor (pykka's own ``stop``)."""

    def _finish(self, command: WorkflowFinished, engine_error: str | None = None) -> None:
        """The execution ended: release everything, then answer (once it is durable).

        ``engine_error``: it ended on an engine bug, and runs still open are failed with it.
        """
        if self.finished:
            return
        self.finished = True
        result = build_result(self.state, command, self.masker, self.events)
        if engine_error is not None:
            result = close_open_runs(result, self.masker.text(engine_error))
        if self.tracer.enabled:
            self.projection.finished(command, time.monotonic() - self.started_mono)
        self._release()
        durable = self.durable
        if durable is None:
            self._answer(command, result)
            return
        durable.status(command.status.value, finished=True, result={
            "output": self.masker.data(thaw(command.output)),
            "errors": [{"kind": e.kind, "task": e.task, "message": e.message}
                       for e in result.errors],
            "reruns": result.reruns})
        durable.after(partial(self._answer, command, result))

    def _answer(self, command: WorkflowFinished, result: ExecutionResult) -> None:
        """Tell the parent, wake the waiters and the listeners, stop."""
        self.tracer.flush()  # its lines are in the file before its parent or waiters go on
        if self.parent is not None:
            tell_ref(self.parent.ref, report_for_parent(command, self.parent,
                                                        self.execution_id, self.masker))
        self.done.set(result)
        self.answered = True
        self.listeners.notify(command)
        self.stop()

    def _release(self) -> None:
        """Cancel the timers, stop the workers, give back the permits, stop the reaper."""
        self.timers.close()
        self.pools.close()
        self.cancellation.close()

    def _crash(self, exc: BaseException) -> None:
        """An engine bug: fail the execution loudly rather than hang its waiters."""
        log.error("supervisor crashed", execution=self.execution_id, exc_info=exc)
        if self.tracer.enabled:
            self.tracer.failure("wf", "supervisor", exc)
        message = f"{type(exc).__name__}: {exc}"
        if self.finished:
            if not self.answered:  # the end itself failed midway
                self._give_up(exc, message)
            return
        self.cancellation.abort(f"engine error: {message}")
        error = ErrorRecord(kind="engine", message=message)
        finished = WorkflowFinished(status=WorkflowStatus.FAILED, output={},
                                    errors=(*self.state.errors, error))
        try:
            self._finish(finished, engine_error=message)
        except Exception as second:  # the end failed too: still wake the waiters
            log.error("supervisor could not finish", execution=self.execution_id,
                      exc_info=second)
            self._give_up(second, message)

    def _give_up(self, exc: BaseException, message: str) -> None:
        """No result can be built: release everything, fail the parent's attempt, and give
        the waiters the exception."""
        self.answered = True
        self.cancellation.abort(f"engine error: {message}")
        self._release()
        if self.parent is not None:
            run, item, attempt = self.parent.key
            tell_ref(self.parent.ref, Performed(
                run=run, item=item, attempt=attempt, outcome=Outcome.FAILED,
                error=self.masker.text(f"sub-workflow {self.execution_id}: {message}"),
                worker="wf/child"))
        self.done.set_exception((type(exc), exc, exc.__traceback__))
        self.stop()
