"""The workflow supervisor: one actor per execution, owning its state machine and context.

The supervisor turns messages into events for :func:`runtime.machine.advance` through a
table keyed by message type (:data:`_HANDLERS`), and carries out the commands it gets back
(:class:`~actors.execution.CommandExecution`, a table keyed by command type). Item reports
waiting in its mailbox are fed to the machine in one step (:mod:`actors.mailbox`). When the
machine says the workflow finished, the supervisor completes its future, tells its parent
(if it is a sub-workflow, :mod:`actors.ending`), stops its children and itself.

A sub-workflow's supervisor masks its own secret inputs and its parent's (a parent's secret
passed down stays masked). An exception escaping a step is an engine bug (:meth:`_crash`):
the execution fails with an ``engine`` error, every open task run is reported failed, and
every attempt, worker, timer and permit is released; the parent is told.

Misuse: never ``ask`` a supervisor from another actor (it would block a mailbox); the API
thread may ask for :class:`Inspect` and :class:`~actors.actor_tree.ActorTree`, the engine's
for :class:`Hold` (a drain). Never touch ``state`` from outside the actor.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pykka
import structlog

from runtime.commands import Command, RunAction, sub_execution_id
from runtime.errors import StoreError
from runtime.events import (
    ActionCompleted,
    AttemptReturned,
    CancelRequested,
    Event,
    PauseRequested,
    ResumeRequested,
    TimerFired,
    WorkflowRequested,
)
from runtime.machine import WorkflowState, advance, advance_many, initial_state
from runtime.masking import Masker
from runtime.spec.model import WorkflowDef
from runtime.spec.subworkflows import SubWorkflow
from runtime.status import WorkflowStatus
from runtime.store import ExecutionRow
from runtime.store.replaying import Journaled
from runtime.store.rows import execution_row
from runtime.values import freeze

from .actor_tree import ActorTree, answer_tree
from .asking import Answer, Asking
from .cancellation import Cancellation, Reaper, stop_ref
from .config import SupervisorConfig
from .crew import Crew
from .durability import Durability
from .ending import ParentLink
from .execution import CommandExecution
from .finishing import Finishing
from .journal import Committed
from .listeners import Listeners
from .mailbox import BatchingActor
from .messages import (
    AttemptKey,
    Cancel,
    Hold,
    Inspect,
    Pause,
    Performed,
    RegisterCanceller,
    Resume,
    Start,
    TimerDue,
    WorkersGranted,
)
from .pause_report import ChildPaused, on_child_paused, status_changed
from .pools import Pools
from .resume import resume
from .timers import ExecutionTimers
from .trace_projection import TraceProjection
from .tracing import Tracer

__all__ = ["Inspect", "ParentLink", "Reaper", "SupervisorConfig", "WorkflowSupervisor"]

log = structlog.get_logger("troupe.supervisor")

_MAX_BATCH = 64
"""Most reports fed to the machine in one step."""


def _any_report(message: Any) -> bool:
    return type(message) is Performed


def _item_report(message: Any) -> bool:
    return type(message) is Performed and message.item is not None


class WorkflowSupervisor(Asking, Finishing, CommandExecution, BatchingActor):
    """Owns one execution: its state machine, its context, its children."""

    use_daemon_thread = True

    def __init__(self, *, defn: WorkflowDef, parameters: Any, execution_id: str,
                 config: SupervisorConfig, done: pykka.ThreadingFuture[Any], masker: Masker,
                 parent: ParentLink | None = None, base_dir: Path | None = None,
                 row: ExecutionRow | None = None, recovered: Journaled | None = None) -> None:
        """``row``: a new durable execution's record; ``recovered``: its journal read back."""
        super().__init__()
        self.defn = defn
        self.parameters = freeze(parameters or {})
        self.execution_id = execution_id
        self.config = config
        self.done = done
        self.masker = masker
        self.parent = parent
        self.depth = parent.depth if parent is not None else 0
        self.base_dir = base_dir or config.workflows.base_dir
        """Where this workflow's relative sub-workflow references resolve from."""
        self.tracer = tracer = Tracer(config.sink, execution_id, masker)
        self.projection = TraceProjection(tracer)
        self.state: WorkflowState = initial_state(defn)
        self.events: list[Event] = []
        self.crew = Crew(self.actor_ref, execution_id, tracer)
        self.cancellation = Cancellation()
        self.timers = ExecutionTimers(self.actor_ref)
        self.listeners = Listeners(config.listeners, execution_id, masker)
        self.recovered = recovered
        self.durable: Durability | None = None
        if config.durable is not None:
            self.durable = Durability(
                journal=config.durable.journal, owner=self.actor_ref, execution_id=execution_id,
                seq=recovered.seq if recovered is not None else 0, new_row=row)
        self.pools = Pools(
            owner=self.actor_ref, crew=self.crew, tracer=tracer, send=self._send,
            set_timer=self._set_timer,
            group=config.durable.journal.actor_urn if config.durable is not None else None,
            later=self.durable.after if self.durable is not None else None)
        self.resolved: dict[str, tuple[Any, SubWorkflow | None]] = {}
        """Action reference -> (action, sub-workflow); the registry is shared, this is ours."""
        self.batchable = _item_report if tracer.enabled else _any_report  # fed in one step
        self._executors = self._executors_table()
        self.quiet = not config.listeners and config.sink is None
        """No progress listener and no trace: item notices need no handling."""
        self.finished = False
        self.answered = False
        """The waiters got the result (or the error the end could not be built for)."""
        self.started_mono = time.monotonic()

    # ---- lifecycle ----------------------------------------------------------------------

    def on_start(self) -> None:
        try:
            if self.tracer.enabled:
                parent = self.parent
                self.projection.started(
                    workflow=self.defn.name or self.defn.file or "<inline>",
                    dialect=self.defn.dialect.value, parent=parent is not None,
                    parent_execution=parent.execution if parent else None,
                    parent_task=parent.task if parent else None,
                    inputs=dict(self.parameters.items()),
                    thread=threading.current_thread().name)
            if self.recovered is not None:
                resume(self, self.recovered)
            else:
                self._feed(WorkflowRequested(execution_id=self.execution_id,
                                             parameters=self.parameters,
                                             limits=self.config.limits, kv=self.config.kv,
                                             at=time.time(),
                                             environment=self.config.environment))
        except Exception as exc:  # an engine bug: the execution fails with an `engine` error
            self._crash(exc)
        finally:
            if self.durable is not None:
                self.durable.send()
            self.tracer.flush()

    def on_failure(self, exc_type: Any, exc_value: Any, tb: Any) -> None:
        try:
            if exc_value is not None and not self.finished:
                self._crash(exc_value)
        finally:
            self.tracer.flush()

    def on_stop(self) -> None:
        self._close_attempts()  # stopped from outside before it finished, or grants late
        self.config.inquiries.ended(self.execution_id, self.state.status.value)
        if not self.finished:  # abandoned (an engine closing): its children are too
            for child in self.cancellation.children.values():
                stop_ref(child)
        if self.tracer.enabled:
            self.tracer.emit("actor.stopped", "wf", kind="supervisor")
            self.tracer.flush()
        if self.parent is None and self.config.sink is not None:
            self.config.sink.close()  # lines of workers still stopping are dropped

    # ---- messages -----------------------------------------------------------------------

    def on_receive(self, message: Any) -> Any:
        kind = type(message)
        query = _QUERIES.get(kind)
        if query is not None:
            return query(self, message)
        handler = _HANDLERS.get(kind, WorkflowSupervisor._ignore)
        tracer = self.tracer
        if not tracer.enabled:
            try:
                handler(self, message)
            except Exception as exc:  # an engine bug: the execution fails (`engine`)
                self._crash(exc)
            if self.durable is not None:
                self.durable.send()
            return None
        received = time.monotonic()
        traced = tracer.detail or not (kind is Performed and message.item is not None)
        if traced:
            self.projection.received(message, received, self.state)
        try:
            handler(self, message)
        except Exception as exc:  # an engine bug: the execution fails with an `engine` error
            self._crash(exc)
        if traced:
            self.projection.handled(message, received, self.state)
        if self.durable is not None:
            self.durable.send()
        tracer.flush()  # this handling's lines, in one write
        return None

    def _inspect(self, message: Inspect) -> tuple[str, int]:
        return (self.state.status.value, len(self.events))

    def _hold(self, message: Hold) -> Any:
        """The engine drains: start no new attempt (:meth:`actors.pools.Pools.hold`; it
        journals nothing). Asked: an exception goes back to the engine that asked."""
        return self._hold_attempts()

    def _on_performed(self, message: Performed) -> None:
        """Feed an attempt's report, and the reports waiting behind it, in one step."""
        reports = [message]
        if not self.tracer.detail:
            reports.extend(self.take_waiting(self.batchable, _MAX_BATCH - 1))
        events: list[Event] = []
        now = time.time()
        tracing = self.tracer.enabled
        ended = self.cancellation.ended
        reported = self._reported
        masker = self.masker
        for report in reports:
            run, item, attempt = report.run, report.item, report.attempt
            key = (run, item, attempt)
            ended(key)
            reported(key)
            if item is not None and tracing:
                self.projection.reported(report)
            error = report.error
            events.append(ActionCompleted(
                run=run, item=item, attempt=attempt, outcome=report.outcome,
                result=report.result, error=masker.text(error) if error else None, at=now))
        self._feed(*events)

    def _on_granted(self, message: WorkersGranted) -> None:
        if not self.finished:  # else the budget took back everything when it finished
            self.pools.granted(message)

    def _on_timer(self, message: TimerDue) -> None:
        if not self.timers.due(message):
            return
        if self.tracer.enabled:
            self.projection.timer_fired(message, self.state)
        self._feed(TimerFired(key=message.key, at=time.time()))

    def _on_register(self, message: RegisterCanceller) -> None:
        self.cancellation.register(message.key, message.kill)

    def _on_cancel(self, message: Cancel) -> None:
        self.cancellation.cascade(Cancel(reason=message.reason, force=message.force))
        self._feed(CancelRequested(reason=message.reason, force=message.force, at=time.time()))
        self._return_waiting()

    def _on_pause(self, message: Pause) -> None:
        self.cancellation.cascade(Pause())
        self._feed(PauseRequested(at=time.time()))
        self._return_waiting()

    def _on_resume(self, message: Resume) -> None:
        self.cancellation.cascade(Resume())
        self._feed(ResumeRequested(at=time.time()))

    def _on_committed(self, message: Committed) -> None:
        """The journal made entries durable: release what waited; a failed write fails the
        execution (it can no longer keep its promises)."""
        durable = self.durable
        if durable is None:
            return
        durable.committed_upto(message)
        if message.error is not None and not self.finished:
            self._crash(StoreError(url="journal", problem=message.error))

    def _ignore(self, message: Any) -> None:
        """Nothing to do (:class:`Start`: the execution began in :meth:`on_start`)."""

    def _return_waiting(self) -> None:
        """The workflow no longer starts work (pausing, or a cancel that lets running
        attempts finish): attempts still waiting for a worker never started, so they go
        back to the machine unstarted, to be sent again after a resume."""
        if self.state.status not in (WorkflowStatus.PAUSING, WorkflowStatus.CANCELING):
            return
        returned: list[Event] = []
        for run, item, attempt in self._take_waiting():
            assert item is not None
            self.cancellation.returned((run, item, attempt))
            returned.append(AttemptReturned(run=run, item=item, attempt=attempt,
                                            at=time.time()))
        if returned:
            self._feed(*returned)

    # ---- the machine --------------------------------------------------------------------

    def _feed(self, *events: Event) -> None:
        """Advance the machine with ``events`` (one step) and carry out its commands.

        Commands may produce events of their own (an action-less task completes at once);
        those are fed next, in order.
        """
        if self.finished:
            return  # late reports after the end are not part of the execution
        notices = not self.quiet
        follow_ups: deque[Event] = deque()
        durable = self.durable
        before = self.state.status
        if self.config.journal:
            self.events.extend(events)
        if durable is not None:
            for event in events:
                durable.record(event, event.at)
        self._carry_out(advance_many(self.state, events, item_notices=notices), follow_ups)
        while follow_ups:
            current = follow_ups.popleft()
            if self.config.journal:
                self.events.append(current)
            if durable is not None:
                durable.record(current, current.at)
            self._carry_out(advance(self.state, current, item_notices=notices), follow_ups)
        if self.state.status is not before:  # journaled, and told to a parent if paused
            status_changed(self, before)
        self._settle()  # after the machine sent the next attempts to idle workers

    def _carry_out(self, step: tuple[WorkflowState, Sequence[Command]],
                   follow_ups: deque[Event]) -> None:
        """Take the machine's new state and carry out its commands, in order."""
        self.state, commands = step
        for command in commands:
            follow_up = self._execute(command)
            if follow_up is not None:
                follow_ups.append(follow_up)

    def _start_child(self, sub: SubWorkflow, command: RunAction, key: AttemptKey) -> None:
        """Start a supervisor for the sub-workflow attempt; it masks its own secrets too."""
        child_id = sub_execution_id(self.execution_id, command)
        parameters = freeze(command.input or {})
        masker = Masker.for_inputs(sub.defn.inputs, parameters).combined(self.masker)
        row = recovered = None
        durable = self.config.durable
        if durable is not None:  # a child recovered with its parent continues its journal
            recovered = durable.recovering.get(child_id)
            if recovered is None:
                row = execution_row(
                    execution_id=child_id, defn=sub.defn,
                    text=durable.texts.get(sub.defn.file or "", ""), parameters=parameters,
                    parent=self.execution_id, parent_task=command.task,
                    base_dir=sub.base_dir)
        ref = WorkflowSupervisor.start(
            defn=sub.defn, parameters=parameters, execution_id=child_id, config=self.config,
            done=pykka.ThreadingFuture(), masker=masker, base_dir=sub.base_dir,
            parent=ParentLink(ref=self.actor_ref, key=key, execution=self.execution_id,
                              task=command.task, depth=self.depth + 1), row=row,
            recovered=recovered)
        self.cancellation.started(key, ref)


_QUERIES: dict[type, Callable[[WorkflowSupervisor, Any], Any]] = {
    Inspect: WorkflowSupervisor._inspect, Hold: WorkflowSupervisor._hold,
    ActorTree: answer_tree,
}
"""Asks answered with a value (not traced)."""

_HANDLERS: dict[type, Callable[[WorkflowSupervisor, Any], None]] = {
    Performed: WorkflowSupervisor._on_performed,
    WorkersGranted: WorkflowSupervisor._on_granted,
    TimerDue: WorkflowSupervisor._on_timer,
    RegisterCanceller: WorkflowSupervisor._on_register,
    Cancel: WorkflowSupervisor._on_cancel, Pause: WorkflowSupervisor._on_pause,
    Resume: WorkflowSupervisor._on_resume, Start: WorkflowSupervisor._ignore,
    Committed: WorkflowSupervisor._on_committed, Answer: WorkflowSupervisor._on_answer,
    ChildPaused: on_child_paused,
}
"""Message type -> its handler (other messages are ignored)."""
