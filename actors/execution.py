"""How a workflow supervisor carries out the commands of its state machine.

:class:`CommandExecution` is the half of :class:`~actors.supervisor.WorkflowSupervisor`
that turns commands into work, through a table keyed by the command's type
(:meth:`CommandExecution._executors_table`): ``RunAction`` goes to a worker of its run's
pool (:mod:`actors.pools`, on a permit of the process's budget; a non-idempotent attempt of
a durable execution once a worker is there for it and its start is durable), or to a child
supervisor for a sub-workflow (looked up in the
:class:`~runtime.spec.subworkflows.SubWorkflows` resolved when the workflow was loaded);
``CancelAction`` stops an attempt (:mod:`actors.cancellation`); timers go to the
execution's :class:`~actors.timers.ExecutionTimers` (a waiting item's timeout is held back
by its pool); notices go to the progress listeners and the trace
(:mod:`actors.trace_projection`); ``WorkflowFinished`` ends the execution.

The supervisor owns the parts this class uses (they are declared below) and the two
actor-specific steps: starting a child supervisor and finishing.

Misuse: only the supervisor's thread runs this; carry out commands in the order the machine
gave them (a ``SetTimer`` may refer to the ``RunAction`` just before it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.actions import is_idempotent
from runtime.commands import (
    CancelAction,
    CancelTimer,
    Command,
    InquiryChanged,
    RunAction,
    SetTimer,
    TaskFinished,
    WorkflowFinished,
)
from runtime.errors import ActionNotFound
from runtime.events import ActionCompleted, Event, TimerKey
from runtime.machine import WorkflowState
from runtime.spec.model import WorkflowDef
from runtime.spec.subworkflows import SubWorkflow
from runtime.status import Outcome
from runtime.store.entries import AttemptStarted, TimerArmed, TimerCleared

from .cancellation import Cancellation
from .crew import Crew
from .durability import Durability
from .listeners import Listeners
from .messages import AttemptKey, Perform
from .pools import Pools
from .remote import RemoteAttempts
from .timers import ExecutionTimers
from .trace_projection import TraceProjection
from .tracing import Tracer

if TYPE_CHECKING:
    from .config import SupervisorConfig

__all__ = ["CommandExecution"]


Executor = Callable[[Any], Event | None]


class CommandExecution:
    """Carries out the state machine's commands (mixed into the supervisor)."""

    config: SupervisorConfig
    defn: WorkflowDef
    execution_id: str
    state: WorkflowState
    tracer: Tracer
    projection: TraceProjection
    crew: Crew
    pools: Pools
    cancellation: Cancellation
    timers: ExecutionTimers
    listeners: Listeners
    durable: Durability | None
    base_dir: Path
    resolved: dict[str, tuple[Any, SubWorkflow | None]]
    finished: bool
    depth: int
    """How deep this execution nests as a sub-workflow (0: a top-level execution)."""
    _executors: dict[type, Executor]
    remote: RemoteAttempts | None = None
    """The attempts sent to a remote executor (made at the first attempt)."""

    def _executors_table(self) -> dict[type, Executor]:
        """Command type -> how it is carried out (others are notices: :meth:`_notice`)."""
        return {
            RunAction: self._run_action,
            CancelAction: self._cancel_attempt,
            SetTimer: self._set_timer_command,
            CancelTimer: self._cancel_timer,
            WorkflowFinished: self._finish,
            TaskFinished: self._task_finished,
            InquiryChanged: self._inquiry_changed,
        }

    def _start_child(self, sub: SubWorkflow, command: RunAction, key: AttemptKey) -> None:
        """Start a child supervisor for a sub-workflow attempt (the supervisor's own)."""
        raise NotImplementedError

    def _finish(self, command: WorkflowFinished, engine_error: str | None = None) -> None:
        """End the execution (the supervisor's own)."""
        raise NotImplementedError

    def _inquiry_changed(self, command: InquiryChanged) -> None:
        """List and report an inquiry (:class:`~actors.asking.Asking`'s)."""
        raise NotImplementedError

    def _execute(self, command: Command) -> Event | None:
        """Carry out one command; an event to feed next, if it completed at once."""
        return self._executors.get(type(command), self._notice)(command)

    def _run_action(self, command: RunAction) -> Event | None:
        key = (command.run, command.item, command.attempt)
        if command.action is None:
            return ActionCompleted(run=command.run, item=command.item, attempt=command.attempt,
                                   outcome=Outcome.SUCCEEDED, at=time.time())
        try:
            action, sub = self._resolve(command.action, command.task)
        except ActionNotFound as exc:
            return ActionCompleted(run=command.run, item=command.item, attempt=command.attempt,
                                   outcome=Outcome.FAILED, error=str(exc), at=time.time())
        if sub is not None:
            cap = self.config.limits.subworkflow_depth_max
            if cap and self.depth + 1 > cap:  # itself, or two calling each other, end here
                return ActionCompleted(
                    run=command.run, item=command.item, attempt=command.attempt,
                    outcome=Outcome.FAILED, at=time.time(),
                    error=(f"task {command.task!r}: sub-workflow {command.action!r} would "
                           f"nest {self.depth + 1} deep, over the limit of {cap} "
                           f"(subworkflow_depth_max)"))
            self._start_child(sub, command, key)
            return None
        self.cancellation.started(key)
        remote = self.remote or self._remote_attempts()
        if command.task in remote.tasks:  # placed on Ray: no local worker, no permit
            return remote.dispatch(command, action, key, is_idempotent(action, command.input))
        fenced = self.durable is not None and not is_idempotent(action, command.input)
        self.pools.dispatch(command, action, key, fenced)  # it may wait for a permit
        return None

    def _remote_attempts(self) -> RemoteAttempts:
        durable = self.config.durable
        self.remote = RemoteAttempts(
            owner=self.pools.owner, execution_id=self.execution_id, defn=self.defn,
            default=self.config.executor, cancellation=self.cancellation, durable=self.durable,
            group=durable.journal.actor_urn if durable is not None else None,
            sending=self._remote_sending if self.tracer.enabled else None,
            threshold=self.config.ray_result_threshold)
        return self.remote

    def _remote_sending(self, key: AttemptKey, command: RunAction, executor: str,
                        idempotency_key: str) -> None:
        """Trace the submission of a remote attempt (its ``message.sent``)."""
        self.projection.sending(key, command, executor, time.monotonic(), self.state,
                                idempotency_key)

    # ---- both kinds of attempts: local (pools) and remote -------------------------------

    def _hold_attempts(self) -> Any:
        """The engine drains: start no attempt; a future of the remote attempts in flight
        (:meth:`RemoteAttempts.hold`), or None."""
        self.pools.hold()
        return self.remote.hold() if self.remote is not None else None

    def _reported(self, key: AttemptKey) -> None:
        self.pools.reported(key)
        if self.remote is not None:
            self.remote.reported(key)

    def _take_waiting(self) -> list[AttemptKey]:
        """The item attempts that wait (for a permit, or held back from the executor)."""
        waiting = self.pools.take_waiting()
        return waiting + self.remote.take_waiting() if self.remote is not None else waiting

    def _settle(self) -> None:
        self.pools.settle()
        if self.remote is not None:
            self.remote.settle()

    def _close_attempts(self) -> None:
        """The actor stops: release everything at once."""
        self.pools.close(now=True)
        if self.remote is not None:
            self.remote.close()

    def _cancel_attempt(self, command: CancelAction) -> None:
        key = (command.run, command.item, command.attempt)
        # canceled after a worker took it but before its start was durable: never sent
        sent = self.durable is None or not self.durable.unfence(key)
        self.cancellation.cancel(key, command.reason)
        self.pools.cancel(key, sent=sent)
        if self.remote is not None:
            self.remote.reported(key)

    def _set_timer_command(self, command: SetTimer) -> None:
        key, delay = command.key, command.delay
        if not self.pools.hold_timeout(key, delay) and not (
                self.remote is not None and self.remote.hold_timeout(key, delay)):
            self._set_timer(key, delay)

    def _cancel_timer(self, command: CancelTimer) -> None:
        self.timers.cancel(command.key)
        if self.durable is not None:
            now = time.time()
            self.durable.record(TimerCleared(key=command.key, at=now), now)

    def _set_timer(self, key: TimerKey, delay: float) -> None:
        if self.durable is not None:
            now = time.time()
            self.durable.record(TimerArmed(key=key, deadline=now + delay, at=now), now)
        timer_id = self.timers.set(key, delay)
        if self.tracer.enabled:
            self.projection.timer_set(key, timer_id, delay, self.state)

    def _send(self, worker: Any, command: RunAction, action: Any, key: AttemptKey,
              fenced: bool) -> None:
        """Hand the attempt to ``worker``, reserved for it by its pool; a ``fenced`` one
        once its start is journaled and durable (the fence: after a crash an attempt that
        may have run is known to have started, and one that only waited for a worker is
        known not to have)."""
        durable = self.durable
        if fenced and durable is not None:
            now = time.time()
            durable.record(AttemptStarted(run=command.run, item=command.item,
                                          attempt=command.attempt, at=now), now)
            durable.fence(key, partial(self._perform, worker, command, action, key))
            return
        self._perform(worker, command, action, key)

    def _perform(self, worker: Any, command: RunAction, action: Any, key: AttemptKey) -> None:
        """Tell ``worker`` to perform the attempt (and trace the message)."""
        if self.finished:
            return  # a fence released after the end: its worker was stopped with the rest
        now = time.monotonic()
        msg_id = 0
        if self.tracer.enabled:
            msg_id = self.projection.sending(key, command, self.crew.path_of(worker), now,
                                             self.state)
        worker.tell(Perform(command=command, assignment=self.crew.assignment_of(worker),
                            action=action, msg_id=msg_id, sent=now))

    def _resolve(self, ref: str, task: str) -> tuple[Any, SubWorkflow | None]:
        """(action, None) for an action, (None, sub-workflow) for a sub-workflow; cached."""
        known = self.resolved.get(ref)
        if known is None:
            sub = self.config.workflows.find(self.base_dir, ref)
            action = None if sub is not None else self.config.registry.resolve(ref, task=task)
            known = self.resolved[ref] = (action, sub)
        return known

    # ---- notices ------------------------------------------------------------------------

    def _notice(self, command: Command) -> None:
        if self.durable is None or not self.listeners.listeners:
            self.listeners.notify(command)
        else:  # a caller is told only what a crash cannot take back
            self.durable.after(partial(self.listeners.notify, command))
        if self.tracer.enabled:
            self.projection.notice(command, self.state)

    def _task_finished(self, command: TaskFinished) -> None:
        """Free the permits of the finished run."""
        self.pools.release(command.run)
        self._notice(command)
