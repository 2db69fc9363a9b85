"""Task and item actors: the children that run action attempts.

A :class:`Worker` runs one attempt per :class:`Perform` message and always answers its
supervisor with :class:`Performed` (succeeded, failed or timed out), whatever the action did:
returned, raised, raised a ``BaseException``, or found the supervisor already gone. A task
actor serves one task run (its retries included); item actors serve a with-items run, at most
``concurrency`` of them, each reused for the next item when it reports.

A worker holds no state between attempts: each :class:`Perform` carries its
:class:`~actors.messages.Assignment` (supervisor, execution, path, kind, tracer), bound for
that attempt only and dropped when its report is sent. That is what lets an idle item worker
go back to the process's budget (:mod:`actors.capacity`) when its run ends and serve another
run or execution next, instead of a thread started per run.

Misuse: never ``ask`` a worker (it may be busy in an action for a long time); never hand a
worker to another run while it is busy (only a worker whose report arrived is idle); never
reuse a worker that was stopped for a cancel. Worker threads are daemons, so a hung action
cannot keep the process alive after its execution was cancelled.
"""

from __future__ import annotations

import time
from typing import Any

import pykka

from runtime.actions import Action, Call, idempotency_key, invoke
from runtime.errors import ActionFailed, ActionTimedOut
from runtime.status import Outcome

from .messages import Assignment, Perform, Performed, RegisterCanceller
from .observers import ATTEMPTS
from .tracing import Tracer

__all__ = ["Worker"]

_UNUSED_CALL = Call(execution_id="", task="")
"""Passed to actions that do not declare ``call`` (``invoke`` does not hand it over)."""


class Worker(pykka.ThreadingActor):
    """Runs action attempts for one task run and reports each one."""

    use_daemon_thread = True

    def __init__(self) -> None:
        super().__init__()
        self.bound: Assignment | None = None
        """The assignment of the attempt being performed (None between attempts)."""
        self.supervisor: Any = None
        self.path = ""
        self.kind = ""
        self.execution_id = ""
        self.tracer: Tracer | None = None
        self.trace_messages = False

    def on_stop(self) -> None:
        tracer = self.tracer
        if tracer is not None and tracer.enabled:  # stopped while bound (a cancel)
            tracer.emit("actor.stopped", self.path, kind=self.kind)
            tracer.flush()

    def on_failure(self, exc_type: Any, exc_value: Any, tb: Any) -> None:
        tracer = self.tracer
        if tracer is not None and tracer.enabled and exc_value is not None:
            tracer.failure(self.path, self.kind, exc_value)
            tracer.flush()

    def on_receive(self, message: Any) -> Any:
        if type(message) is Perform:
            self._bind(message.assignment)
            try:
                self.perform(message, message.action)
                if self.trace_messages:
                    self.tracer.flush()  # type: ignore[union-attr]  # this attempt's lines
            finally:
                self._bind(None)
        return None

    def _bind(self, assignment: Assignment | None) -> None:
        """Take on ``assignment`` for one attempt, or drop it (None) once it reported."""
        if assignment is self.bound:
            return
        self.bound = assignment
        if assignment is None:
            self.supervisor = self.tracer = None
            self.path = self.kind = self.execution_id = ""
            self.trace_messages = False
            return
        self.supervisor = assignment.supervisor
        self.path = assignment.path
        self.kind = assignment.kind
        self.execution_id = assignment.execution_id
        tracer: Tracer = assignment.tracer
        self.tracer = tracer
        self.trace_messages = tracer.enabled and (assignment.kind != "item" or tracer.detail)
        """Item workers' per-item message lines are written only at the debug trace level."""

    def perform(self, message: Perform, action: Action | None) -> None:
        """Run one attempt; report it to the supervisor whatever happens."""
        command = message.command
        tracer = self.tracer
        assert tracer is not None  # bound by on_receive
        started = time.monotonic()
        if self.trace_messages:
            tracer.emit("message.received", self.path, task=command.task, route=command.route,
                        item=command.item, attempt=command.attempt, msg="Perform",
                        msg_id=message.msg_id, sender="wf",
                        mailbox_wait=started - message.sent)
        key = (command.run, command.item, command.attempt)
        outcome = Outcome.FAILED
        result: Any = None
        error: str | None = "worker stopped before the action ended"
        try:
            if action is None:
                outcome, error = Outcome.SUCCEEDED, None
            else:
                call = self._call(command, key) if action.wants_call else _UNUSED_CALL
                result = invoke(action, command.input, call)
                outcome, error = Outcome.SUCCEEDED, None
        except ActionTimedOut as exc:
            outcome, result, error = Outcome.TIMED_OUT, exc.result, str(exc)
        except ActionFailed as exc:
            outcome, result, error = Outcome.FAILED, exc.result, str(exc)
        except BaseException as exc:  # reported as the attempt's failure, never re-raised
            outcome, result, error = Outcome.FAILED, None, f"{type(exc).__name__}: {exc}"
        finally:
            self._report(message, key, outcome, result, error, started)

    def _call(self, command: Any, key: tuple[int, int | None, int]) -> Call:
        """The invocation record an action asked for (built only for those that do)."""
        supervisor = self.supervisor

        def on_cancel(kill: Any) -> None:
            supervisor.tell(RegisterCanceller(key=key, kill=kill))

        return Call(
            execution_id=self.execution_id,
            task=command.task,
            route=command.route,
            item=command.item,
            attempt=command.attempt,
            action=command.action or "",
            timeout=command.timeout,
            idempotency_key=idempotency_key(self.execution_id, command.task, command.route,
                                            command.item, command.attempt, command.rerun),
            on_cancel=on_cancel,
        )

    def _report(self, message: Perform, key: tuple[int, int | None, int], outcome: Outcome,
                result: Any, error: str | None, started: float) -> None:
        now = time.monotonic()
        tracer = self.tracer
        assert tracer is not None  # bound by on_receive
        msg_id = tracer.next_id() if self.trace_messages else 0
        reply = Performed(run=key[0], item=key[1], attempt=key[2], outcome=outcome,
                          result=result, error=error, worker=self.path,
                          duration=now - started, wait=started - message.sent,
                          msg_id=msg_id, sent=now)
        if ATTEMPTS.observers and message.command.action:
            ATTEMPTS.tell(message.command.action, now - started, outcome)
        if self.trace_messages:
            command = message.command
            tracer.emit("message.handled", self.path, task=command.task, route=command.route,
                        item=command.item, attempt=command.attempt, msg="Perform",
                        msg_id=message.msg_id, duration=now - started)
            tracer.emit("message.sent", self.path, task=command.task, route=command.route,
                        item=command.item, attempt=command.attempt, msg="Performed",
                        msg_id=msg_id, to="wf")
        try:
            self.supervisor.tell(reply)
        except pykka.ActorDeadError:
            pass  # the execution already ended (cancelled); nobody waits for this attempt
