"""Task and item actors: the children that run action attempts.

A :class:`Worker` runs one attempt per :class:`Perform` message and always answers its
supervisor with :class:`Performed` (succeeded, failed or timed out), whatever the action did:
returned, raised, raised a ``BaseException``, or found the supervisor already gone. A task
actor serves one task run (its retries included); item actors serve a with-items run, at most
``concurrency`` of them, each reused for the next item when it reports.

Misuse: never ``ask`` a worker (it may be busy in an action for a long time); never share a
worker between executions. Worker threads are daemons, so a hung action cannot keep the
process alive after its execution was cancelled.
"""

from __future__ import annotations

import time
from typing import Any

import pykka

from runtime.actions import Action, Call, idempotency_key, invoke
from runtime.errors import ActionFailed, ActionTimedOut
from runtime.status import Outcome

from .messages import Perform, Performed, RegisterCanceller
from .observers import ATTEMPTS
from .tracing import Tracer

__all__ = ["Worker"]

_UNUSED_CALL = Call(execution_id="", task="")
"""Passed to actions that do not declare ``call`` (``invoke`` does not hand it over)."""


class Worker(pykka.ThreadingActor):
    """Runs action attempts for one task run and reports each one."""

    use_daemon_thread = True

    def __init__(
        self,
        *,
        supervisor: pykka.ActorRef[Any],
        path: str,
        kind: str,
        execution_id: str,
        tracer: Tracer,
    ) -> None:
        super().__init__()
        self.supervisor = supervisor
        self.path = path
        self.kind = kind
        self.execution_id = execution_id
        self.tracer = tracer
        self.trace_messages = tracer.enabled and (kind != "item" or tracer.detail)
        """Item workers' per-item message lines are written only at the debug trace level."""

    def on_stop(self) -> None:
        if self.tracer.enabled:
            self.tracer.emit("actor.stopped", self.path, kind=self.kind)
            self.tracer.flush()

    def on_failure(self, exc_type: Any, exc_value: Any, tb: Any) -> None:
        if self.tracer.enabled and exc_value is not None:
            self.tracer.failure(self.path, self.kind, exc_value)
            self.tracer.flush()

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Perform):
            self.perform(message, message.action)
            if self.trace_messages:
                self.tracer.flush()  # this attempt's lines, in one write
        return None

    def perform(self, message: Perform, action: Action | None) -> None:
        """Run one attempt; report it to the supervisor whatever happens."""
        command = message.command
        if self.kind == "task":
            self.path = f"wf/{command.task}@{command.route}"  # task actors serve runs in turn
        tracer = self.tracer
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
                                            command.item, command.attempt),
            on_cancel=on_cancel,
        )

    def _report(self, message: Perform, key: tuple[int, int | None, int], outcome: Outcome,
                result: Any, error: str | None, started: float) -> None:
        now = time.monotonic()
        tracer = self.tracer
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
