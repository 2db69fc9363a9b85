"""The supervisor's trace lines: the machine's notices and the messages it handles.

:class:`TraceProjection` turns each notice command of the state machine (task started,
retrying, item finished, task finished, transition evaluated, task staged, workflow paused
or resumed) into its trace line through a table keyed by the command's type, and writes the
supervisor's message, timer and workflow lines (``docs/trace-format.md``). It keeps what
item lines need from earlier messages: when each attempt was sent and the report that ended
it (its worker and mailbox wait). It writes through the :class:`~actors.tracing.Tracer`
interface only.

Misuse: call it only when the tracer is enabled (every method assumes lines are wanted,
and the supervisor checks ``tracer.enabled`` first, off the hot path); pass the state the
notice came with, not an older one (lines read the run's context version and times).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from runtime.commands import (
    Command,
    InquiryChanged,
    ItemFinished,
    RunAction,
    SizeWarning,
    TaskFinished,
    TaskRetrying,
    TaskStaged,
    TaskStarted,
    TransitionEvaluated,
    WorkflowFinished,
    WorkflowPaused,
    WorkflowRerun,
    WorkflowResumed,
)
from runtime.events import TimerKey
from runtime.machine import WorkflowState

from .messages import AttemptKey, Performed, TimerDue, WorkersGranted
from .tracing import Tracer

__all__ = ["TraceProjection"]

_Line = Callable[["TraceProjection", Any, WorkflowState], None]


def run_fields(state: WorkflowState, run_id: int, item: int | None = None,
               attempt: int | None = None) -> dict[str, Any]:
    """The fields naming run ``run_id`` (and an item and attempt of it) in a line."""
    if run_id >= len(state.runs):
        return {}
    run = state.run(run_id)
    return {"task": run.task, "route": run.route, "item": item, "attempt": attempt,
            "ctx_version": run.ctx.version}


def _where_performed(message: Performed, state: WorkflowState) -> dict[str, Any]:
    return run_fields(state, message.run, message.item, message.attempt)


def _where_timer(message: TimerDue, state: WorkflowState) -> dict[str, Any]:
    return run_fields(state, message.key.run, message.key.item, message.key.attempt)


_WHERE: dict[type, Callable[[Any, WorkflowState], dict[str, Any]]] = {
    Performed: _where_performed,
    TimerDue: _where_timer,
}
"""Message type -> the run fields of its lines."""

_SENDERS: dict[type, str] = {TimerDue: "timers", WorkersGranted: "workers"}
"""Message type -> who sends it, when the message does not say (default: the API)."""


class TraceProjection:
    """Writes the supervisor's trace lines."""

    __slots__ = ("dispatched_at", "reports", "tracer")

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self.dispatched_at: dict[AttemptKey, float] = {}
        """When each attempt was sent (monotonic), for its item line's duration."""
        self.reports: dict[tuple[int, int | None], Performed] = {}
        """Item reports being handled (item lines get their worker and wait)."""

    # ---- notices (the machine's commands) ---------------------------------------------

    def notice(self, command: Command, state: WorkflowState) -> None:
        """The trace line of a notice command (none for commands without one)."""
        line = _NOTICES.get(type(command))
        if line is not None:
            line(self, command, state)

    def _task_started(self, command: TaskStarted, state: WorkflowState) -> None:
        run = state.run(command.run)
        self.tracer.emit("task.started", f"wf/{command.task}@{command.route}",
                         task=command.task, route=command.route, attempt=1,
                         ctx_version=run.ctx.version, run=command.run, action=command.action,
                         items=command.items, concurrency=command.concurrency)

    def _task_retrying(self, command: TaskRetrying, state: WorkflowState) -> None:
        self.tracer.emit("task.retrying", f"wf/{command.task}@{command.route}",
                         task=command.task, route=command.route, item=command.item,
                         attempt=command.attempt, run=command.run, delay=command.delay,
                         reason=command.reason)

    def _item_finished(self, command: ItemFinished, state: WorkflowState) -> None:
        progress = state.run(command.run).items
        assert progress is not None
        key = (command.run, command.item, progress.attempt_of(command.item))
        started = self.dispatched_at.pop(key, None)
        duration = time.monotonic() - started if started is not None else 0.0
        report = self.reports.pop((command.run, command.item), None)
        remote: dict[str, Any] = ({"key": report.idempotency_key}
                                  if report is not None and report.idempotency_key else {})
        self.tracer.emit("item.finished", f"wf/{command.task}@{command.route}",
                         task=command.task, route=command.route, item=command.item,
                         attempt=key[2], run=command.run, status=command.status,
                         duration=duration, worker=report.worker if report else None,
                         mailbox_wait=report.wait if report else None, **remote)

    def _task_finished(self, command: TaskFinished, state: WorkflowState) -> None:
        run = state.run(command.run)
        duration = (run.finished_at or 0) - (run.started_at or run.finished_at or 0)
        self.tracer.emit("task.finished", f"wf/{command.task}@{command.route}",
                         task=command.task, route=command.route, attempt=command.attempts,
                         ctx_version=run.ctx.version, run=command.run, status=command.status,
                         attempts=command.attempts, duration=duration, items=command.items,
                         items_failed=command.items_failed, error=command.error,
                         pseudo=run.pseudo)

    def _transition(self, command: TransitionEvaluated, state: WorkflowState) -> None:
        self.tracer.emit("transition.evaluated", "wf", task=command.task, route=command.route,
                         run=command.run, transition=command.transition, when=command.when,
                         result=command.result, targets=list(command.targets),
                         published=list(command.published), error=command.error)

    def _task_staged(self, command: TaskStaged, state: WorkflowState) -> None:
        self.tracer.emit("task.staged", "wf", task=command.task, route=command.route,
                         run=command.source_run, source=command.source, join=command.join,
                         satisfied=command.satisfied, required=command.required,
                         ready=command.ready, target_run=command.run)

    def _size_warning(self, command: SizeWarning, state: WorkflowState) -> None:
        self.tracer.emit("size.warning", f"wf/{command.task}@{command.route}",
                         task=command.task, route=command.route, item=command.item,
                         run=command.run, size=command.size, limit=command.limit,
                         measure=command.measure)

    def _paused(self, command: WorkflowPaused, state: WorkflowState) -> None:
        self.tracer.emit("workflow.paused", "wf")

    def _resumed(self, command: WorkflowResumed, state: WorkflowState) -> None:
        self.tracer.emit("workflow.resumed", "wf")

    def _rerun(self, command: WorkflowRerun, state: WorkflowState) -> None:
        self.tracer.emit("workflow.rerun", "wf", number=command.number,
                         runs=[{"task": task, "run": run, "rerun_of": first}
                               for task, run, first in zip(command.tasks, command.runs,
                                                           command.rerun_of, strict=True)])

    def _inquiry(self, command: InquiryChanged, state: WorkflowState) -> None:
        inquiry = command.inquiry
        self.tracer.emit("inquiry", f"wf/{inquiry.task}@{inquiry.route}", task=inquiry.task,
                         route=inquiry.route, run=inquiry.run, inquiry=inquiry.id,
                         status=inquiry.status, prompt=inquiry.prompt,
                         expires_at=inquiry.expires_at)

    # ---- the supervisor's own lines ---------------------------------------------------

    def started(self, *, workflow: str, dialect: str, parent: bool,
                parent_execution: str | None, parent_task: str | None, inputs: Any,
                thread: str) -> None:
        """The supervisor started, and its workflow with it."""
        self.tracer.emit("actor.spawned", "wf", kind="supervisor",
                         parent="parent" if parent else None, thread=thread)
        self.tracer.emit("workflow.started", "wf", workflow=workflow, dialect=dialect,
                         parent_execution=parent_execution, parent_task=parent_task,
                         inputs=inputs)

    def finished(self, command: WorkflowFinished, duration: float) -> None:
        """The workflow finished."""
        self.tracer.emit("workflow.finished", "wf", status=command.status, duration=duration,
                         errors=[{"kind": e.kind, "task": e.task, "route": e.route,
                                  "message": e.message} for e in command.errors],
                         output=command.output)

    def received(self, message: Any, received: float, state: WorkflowState) -> None:
        """A message came out of the supervisor's mailbox."""
        sent = getattr(message, "sent", 0.0)
        sender = getattr(message, "worker", "") or _SENDERS.get(type(message), "api")
        remote = getattr(message, "idempotency_key", None)
        self.tracer.emit("message.received", "wf", msg=type(message).__name__,
                         msg_id=getattr(message, "msg_id", 0), sender=sender,
                         mailbox_wait=received - sent if sent else 0.0,
                         **self._where(message, state), **({"key": remote} if remote else {}))

    def handled(self, message: Any, received: float, state: WorkflowState) -> None:
        """The supervisor handled a message."""
        self.tracer.emit("message.handled", "wf", msg=type(message).__name__,
                         msg_id=getattr(message, "msg_id", 0),
                         duration=time.monotonic() - received, **self._where(message, state))

    def sending(self, key: AttemptKey, command: RunAction, to: str, now: float,
                state: WorkflowState, idempotency_key: str | None = None) -> int:
        """An attempt is sent to worker ``to`` (or submitted to the remote executor ``to``,
        with its ``idempotency_key``); its message id (0: the send has no line)."""
        tracer = self.tracer
        self.dispatched_at[key] = now
        if not (tracer.detail or command.item is None):
            return 0
        msg_id = tracer.next_id()
        remote = {"key": idempotency_key} if idempotency_key else {}
        tracer.emit("message.sent", "wf", msg="Perform", msg_id=msg_id, to=to,
                    task=command.task, route=command.route, item=command.item,
                    attempt=command.attempt, ctx_version=state.run(command.run).ctx.version,
                    **remote)
        return msg_id

    def reported(self, message: Performed) -> None:
        """An item report is being handled (its item line is written from it)."""
        self.reports[(message.run, message.item)] = message

    def timer_set(self, key: TimerKey, timer_id: int, delay: float,
                  state: WorkflowState) -> None:
        """A timer was set."""
        self.tracer.emit("timer.set", "wf", timer_id=timer_id, kind=key.kind.value,
                         delay=delay, **run_fields(state, key.run, key.item))

    def timer_fired(self, message: TimerDue, state: WorkflowState) -> None:
        """A timer went off."""
        self.tracer.emit("timer.fired", "wf", timer_id=message.timer_id,
                         kind=message.key.kind.value,
                         **run_fields(state, message.key.run, message.key.item))

    @staticmethod
    def _where(message: Any, state: WorkflowState) -> dict[str, Any]:
        where = _WHERE.get(type(message))
        return where(message, state) if where is not None else {}


_NOTICES: dict[type, _Line] = {
    TaskStarted: TraceProjection._task_started,
    TaskRetrying: TraceProjection._task_retrying,
    ItemFinished: TraceProjection._item_finished,
    TaskFinished: TraceProjection._task_finished,
    TransitionEvaluated: TraceProjection._transition,
    TaskStaged: TraceProjection._task_staged,
    SizeWarning: TraceProjection._size_warning,
    WorkflowPaused: TraceProjection._paused,
    WorkflowResumed: TraceProjection._resumed,
    WorkflowRerun: TraceProjection._rerun,
    InquiryChanged: TraceProjection._inquiry,
}
"""Notice type -> the method writing its line."""
