"""The workflow supervisor: one actor per execution, owning its state machine and context.

The supervisor turns messages into events for :func:`runtime.machine.advance` and the
commands it gets back into messages: ``RunAction`` becomes a :class:`Perform` to a task actor,
to an item actor of the run's pool, or a child supervisor for a sub-workflow; timers go to the
process's :data:`TIMERS`; notices go to progress listeners and the trace. When the machine
says the workflow finished, the supervisor completes its future, tells its parent (if it is a
sub-workflow), stops its children and itself.

Misuse: never ``ask`` a supervisor from another actor (it would block a mailbox); the API
thread may ask for :class:`Inspect`. Never touch ``state`` from outside the actor.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pykka
import structlog

from runtime.actions import ActionRegistry
from runtime.commands import (
    CancelAction,
    CancelTimer,
    Command,
    ErrorRecord,
    ItemFinished,
    RunAction,
    SetTimer,
    TaskFinished,
    TaskRetrying,
    TaskStaged,
    TaskStarted,
    TransitionEvaluated,
    WorkflowFinished,
    WorkflowPaused,
    WorkflowResumed,
)
from runtime.errors import ActionNotFound, TroupeError
from runtime.events import (
    ActionCompleted,
    AttemptReturned,
    CancelRequested,
    Event,
    PauseRequested,
    ResumeRequested,
    TimerFired,
    TimerKey,
    TimerKind,
    WorkflowRequested,
)
from runtime.machine import WorkflowState, advance, advance_many, initial_state
from runtime.masking import Masker
from runtime.progress import ProgressEvent, progress_of
from runtime.records import record
from runtime.spec.model import WorkflowDef
from runtime.status import WORKFLOW_DONE, Outcome, WorkflowStatus
from runtime.values import freeze

from .capacity import WORKERS
from .messages import (
    AttemptKey,
    Cancel,
    Kill,
    Pause,
    Perform,
    Performed,
    RegisterCanceller,
    Resume,
    Start,
    TimerDue,
    WorkersGranted,
)
from .timers import TIMERS
from .tracing import Tracer, TraceSink
from .workers import Worker

__all__ = ["Inspect", "Reaper", "SupervisorConfig", "WorkflowSupervisor"]

log = structlog.get_logger("troupe.supervisor")


_MAX_BATCH = 64
"""Most reports fed to the machine in one step."""

_IDLE_TASK_WORKERS = 8
"""How many idle task actors a supervisor keeps for reuse."""


@record
class Inspect:
    """Ask: return ``(status value, number of events consumed)``."""


@dataclass(slots=True, kw_only=True)
class SupervisorConfig:
    """Everything a supervisor needs besides the workflow and its parameters."""

    registry: ActionRegistry
    workflows: dict[str, WorkflowDef] = field(default_factory=dict)
    """Action references that name workflows (sub-workflows), already loaded."""
    sink: TraceSink | None = None
    listeners: tuple[Callable[[ProgressEvent], None], ...] = ()
    journal: bool = True
    """Keep the events consumed (for replay and, later, persistence)."""
    base_dir: Path | None = None
    """Where relative sub-workflow paths are resolved from."""


class Reaper(pykka.ThreadingActor):
    """Runs kill functions (process-group kills may wait for a grace period)."""

    use_daemon_thread = True

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Kill):
            try:
                message.kill()
            except Exception:  # logged: the attempt is over anyway, nobody waits for the kill
                log.warning("kill failed", exc_info=True)
        return None


@dataclass(slots=True)
class _Waiting:
    """An item attempt the machine dispatched that waits for a worker permit."""

    command: RunAction
    action: Any
    timeout: float | None = None
    """Its timeout timer, set when it is sent to a worker (the wait does not count)."""


@dataclass(slots=True)
class _Pool:
    """The item workers of one with-items run, and the permits they hold."""

    concurrency: int
    idle: list[Any] = field(default_factory=list)
    busy: dict[AttemptKey, Any] = field(default_factory=dict)
    spawned: int = 0
    permits: int = 0
    """Worker permits granted by the process's budget (:data:`WORKERS`) and not given back."""
    asked: bool = False
    """A request for permits is unanswered."""
    waiting: dict[AttemptKey, _Waiting] = field(default_factory=dict)
    """Attempts waiting for a worker, oldest first."""


class WorkflowSupervisor(pykka.ThreadingActor):
    """Owns one execution: its state machine, its context, its children."""

    use_daemon_thread = True

    def __init__(
        self,
        *,
        defn: WorkflowDef,
        parameters: Any,
        execution_id: str,
        config: SupervisorConfig,
        done: pykka.ThreadingFuture[Any],
        masker: Masker,
        parent: pykka.ActorRef[Any] | None = None,
        parent_key: AttemptKey | None = None,
        parent_execution: str | None = None,
        parent_task: str | None = None,
    ) -> None:
        super().__init__()
        self.defn = defn
        self.parameters = freeze(parameters or {})
        self.execution_id = execution_id
        self.config = config
        self.done = done
        self.masker = masker
        self.parent = parent
        self.parent_key = parent_key
        self.parent_execution = parent_execution
        self.parent_task = parent_task
        self.tracer = Tracer(config.sink, execution_id, masker)
        self.state: WorkflowState = initial_state(defn)
        self.events: list[Event] = []
        self.task_workers: dict[int, Any] = {}
        self.idle_task_workers: list[Any] = []
        """Task actors whose run finished, reused by the next task runs (threads are dear)."""
        self.pools: dict[int, _Pool] = {}
        self.children: dict[AttemptKey, Any] = {}
        self.live: set[AttemptKey] = set()
        self.cancellers: dict[AttemptKey, Callable[[], None]] = {}
        self.cancelled: set[AttemptKey] = set()
        self.timers: dict[Any, int] = {}
        self.dispatched_at: dict[AttemptKey, float] = {}
        self.reaper: Any = None
        self.reports: dict[tuple[int, int | None], Performed] = {}
        """Reports being handled, when tracing (item lines get their worker and wait)."""
        self.paths: dict[str, str] = {}
        self.resolved: dict[str, tuple[Any, WorkflowDef | None]] = {}
        """Action reference -> (action, sub-workflow); the registry is shared, this is ours."""
        self.quiet = not config.listeners and config.sink is None
        """No progress listener and no trace: item notices need no handling."""
        self.finished = False
        self.started_mono = time.monotonic()

    # ---- lifecycle ----------------------------------------------------------------------

    def on_start(self) -> None:
        try:
            if self.tracer.enabled:
                self.tracer.emit("actor.spawned", "wf", kind="supervisor",
                                 parent=None if self.parent is None else "parent",
                                 thread=self._thread_name())
                self.tracer.emit("workflow.started", "wf",
                                 workflow=self.defn.name or self.defn.file or "<inline>",
                                 dialect=self.defn.dialect.value,
                                 parent_execution=self.parent_execution,
                                 parent_task=self.parent_task,
                                 inputs=dict(self.parameters.items()))
            self._feed(WorkflowRequested(execution_id=self.execution_id,
                                         parameters=self.parameters, at=time.time()))
        except Exception as exc:  # an engine bug: the execution fails with an `engine` error
            self._crash(exc)
        finally:
            self.tracer.flush()

    def on_failure(self, exc_type: Any, exc_value: Any, tb: Any) -> None:
        try:
            if exc_value is not None and not self.finished:
                self._crash(exc_value)
        finally:
            self.tracer.flush()

    def on_stop(self) -> None:
        WORKERS.release_all(self.actor_ref)  # stopped from outside before it finished
        if self.tracer.enabled:
            self.tracer.emit("actor.stopped", "wf", kind="supervisor")
            self.tracer.flush()
        if self.parent is None and self.config.sink is not None:
            self.config.sink.close()  # lines of workers still stopping are dropped

    @staticmethod
    def _thread_name() -> str:
        import threading

        return threading.current_thread().name

    # ---- messages -----------------------------------------------------------------------

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Inspect):
            return (self.state.status.value, len(self.events))
        tracer = self.tracer
        received = time.monotonic()
        traced = tracer.enabled and (
            tracer.detail or not (isinstance(message, Performed) and message.item is not None))
        if traced:
            self._trace_received(message, received)
        try:
            self._handle(message)
        except Exception as exc:  # an engine bug: the execution fails with an `engine` error
            self._crash(exc)
        if traced:
            tracer.emit("message.handled", "wf", msg=type(message).__name__,
                        msg_id=getattr(message, "msg_id", 0),
                        duration=time.monotonic() - received,
                        **self._where(message))
        if tracer.enabled:
            tracer.flush()  # this handling's lines, in one write
        return None

    def _handle(self, message: Any) -> None:
        if isinstance(message, Performed):
            reports = [message]
            if not self.tracer.detail:
                self._take_waiting_reports(reports)
            self._on_performed(reports)
        elif isinstance(message, WorkersGranted):
            self._on_granted(message)
        elif isinstance(message, TimerDue):
            self._on_timer(message)
        elif isinstance(message, RegisterCanceller):
            self._on_register(message)
        elif isinstance(message, Cancel):
            self._cascade(Cancel(reason=message.reason, force=message.force))
            self._feed(CancelRequested(reason=message.reason, force=message.force,
                                       at=time.time()))
            self._return_waiting()
        elif isinstance(message, Pause):
            self._cascade(Pause())
            self._feed(PauseRequested(at=time.time()))
            self._return_waiting()
        elif isinstance(message, Resume):
            self._cascade(Resume())
            self._feed(ResumeRequested(at=time.time()))
        elif isinstance(message, Start):
            pass

    def _take_waiting_reports(self, reports: list[Performed]) -> None:
        """Take the reports queued right behind this one, to feed them in one machine step.

        Only plain ``Performed`` tells at the head of the mailbox are taken, so the order of
        messages is kept: anything else (a cancel, a timer, an ask) stops the batch and is
        handled next, as it would have been. Only this actor's thread takes from its inbox.
        """
        waiting = self.actor_inbox.queue  # type: ignore[attr-defined]  # queue.Queue's deque
        tracing = self.tracer.enabled
        while waiting and len(reports) < _MAX_BATCH:
            envelope = waiting[0]
            message = envelope.message
            if type(message) is not Performed or envelope.reply_to is not None:
                return
            if tracing and message.item is None:
                return  # a task actor's report gets its own message lines in the trace
            self.actor_inbox.get_nowait()  # type: ignore[attr-defined]
            reports.append(envelope.message)

    def _on_performed(self, reports: list[Performed]) -> None:
        events: list[Event] = []
        now = time.time()
        tracing = self.tracer.enabled
        live = self.live
        pools = self.pools
        masker = self.masker
        for message in reports:
            run, item, attempt = message.run, message.item, message.attempt
            key = (run, item, attempt)
            live.discard(key)
            if self.cancellers:
                self.cancellers.pop(key, None)
            if self.cancelled:
                self.cancelled.discard(key)
            if self.children:
                self.children.pop(key, None)
            if item is not None:
                if tracing:
                    self.reports[(run, item)] = message
                pool = pools.get(run)
                if pool is not None:
                    worker = pool.busy.pop(key, None)
                    if worker is not None:
                        if pool.waiting:
                            self._send_waiting(pool, worker)
                        else:
                            pool.idle.append(worker)
            error = message.error
            events.append(ActionCompleted(
                run=run, item=item, attempt=attempt, outcome=message.outcome,
                result=message.result, error=masker.text(error) if error else None, at=now))
        self._feed(*events)

    def _on_timer(self, message: TimerDue) -> None:
        if self.timers.get(message.key) != message.timer_id:
            return
        del self.timers[message.key]
        if self.tracer.enabled:
            self.tracer.emit("timer.fired", "wf", timer_id=message.timer_id,
                             kind=message.key.kind.value, **self._run_fields(message.key.run,
                                                                             message.key.item))
        self._feed(TimerFired(key=message.key, at=time.time()))

    def _on_register(self, message: RegisterCanceller) -> None:
        if message.key in self.cancelled:
            self._reap(message.kill)
        elif message.key in self.live:
            self.cancellers[message.key] = message.kill

    # ---- the machine --------------------------------------------------------------------

    def _feed(self, *events: Event) -> None:
        """Advance the machine with ``events`` (one step) and carry out its commands.

        Commands may produce events of their own (an action-less task completes at once);
        those are fed next, in order.
        """
        if self.config.journal:
            self.events.extend(events)
        notices = not self.quiet
        self.state, commands = advance_many(self.state, events, item_notices=notices)
        follow_ups: deque[Event] = deque()
        for command in commands:
            follow_up = self._execute(command)
            if follow_up is not None:
                follow_ups.append(follow_up)
        while follow_ups:
            current = follow_ups.popleft()
            if self.config.journal:
                self.events.append(current)
            self.state, commands = advance(self.state, current, item_notices=notices)
            for command in commands:
                follow_up = self._execute(command)
                if follow_up is not None:
                    follow_ups.append(follow_up)

    def _execute(self, command: Command) -> Event | None:
        kind = type(command)
        if kind is RunAction:
            return self._run_action(command)  # type: ignore[arg-type]
        if isinstance(command, CancelAction):
            self._cancel_attempt(command)
        elif isinstance(command, SetTimer):
            key = command.key
            if key.kind is TimerKind.TIMEOUT and key.item is not None:
                pool = self.pools.get(key.run)
                waiting = pool.waiting.get((key.run, key.item, key.attempt)) if pool else None
                if waiting is not None:
                    waiting.timeout = command.delay  # set when a worker takes it
                    return None
            self._set_timer(key, command.delay)
        elif isinstance(command, CancelTimer):
            if command.key in self.timers:
                TIMERS.cancel(self.timers.pop(command.key))
        elif isinstance(command, WorkflowFinished):
            self._finish(command)
        else:
            self._notice(command)
        return None

    def _set_timer(self, key: TimerKey, delay: float) -> None:
        timer_id = TIMERS.set(delay, self.actor_ref,
                              lambda tid, key=key: TimerDue(key=key, timer_id=tid))
        self.timers[key] = timer_id
        if self.tracer.enabled:
            self.tracer.emit("timer.set", "wf", timer_id=timer_id, kind=key.kind.value,
                             delay=delay, **self._run_fields(key.run, key.item))

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
        self.live.add(key)
        if sub is not None:
            self._start_child(sub, command, key)
            return None
        if command.item is not None:
            self._dispatch_item(command, action, key)
            return None
        self._send(self._task_worker(command), command, action, key)
        return None

    def _send(self, worker: Any, command: RunAction, action: Any, key: AttemptKey) -> None:
        """Tell ``worker`` to perform the attempt (and trace the message)."""
        tracer = self.tracer
        traced = tracer.enabled and (tracer.detail or command.item is None)
        msg_id = tracer.next_id() if traced else 0
        now = time.monotonic()
        if tracer.enabled:
            self.dispatched_at[key] = now
        if traced:
            tracer.emit("message.sent", "wf", msg="Perform", msg_id=msg_id,
                        to=self._worker_path(worker), task=command.task, route=command.route,
                        item=command.item, attempt=command.attempt,
                        ctx_version=self.state.run(command.run).ctx.version)
        worker.tell(Perform(command=command, action=action, msg_id=msg_id, sent=now))

    def _resolve(self, ref: str, task: str) -> tuple[Any, WorkflowDef | None]:
        """(action, None) for an action, (None, definition) for a sub-workflow; cached."""
        known = self.resolved.get(ref)
        if known is None:
            sub = self._subworkflow(ref)
            action = None if sub is not None else self.config.registry.resolve(ref, task=task)
            known = self.resolved[ref] = (action, sub)
        return known

    def _worker_path(self, worker: Any) -> str:
        return self.paths.get(worker.actor_urn, "?")

    def _task_worker(self, command: RunAction) -> Any:
        """The task actor of the attempt's run: its own, an idle one, or a new one."""
        worker = self.task_workers.get(command.run)
        if worker is None:
            base = f"wf/{command.task}@{command.route}"
            if self.idle_task_workers:
                worker = self.idle_task_workers.pop()
                self.paths[worker.actor_urn] = base
                if self.tracer.enabled:
                    self.tracer.emit("actor.spawned", base, kind="task", parent="wf",
                                     thread=base, reused=True)
            else:
                worker = self._spawn(base, "task")
            self.task_workers[command.run] = worker
        return worker

    def _dispatch_item(self, command: RunAction, action: Any, key: AttemptKey) -> None:
        """Send an item attempt to an idle or new worker of its run's pool, or queue it
        until the process's budget grants the pool another worker."""
        pool = self.pools.get(command.run)
        if pool is None:
            pool = self.pools[command.run] = _Pool(concurrency=command.concurrency or 1)
        if pool.idle:
            worker = pool.idle.pop()
        elif pool.spawned < pool.permits:
            worker = self._spawn_item_worker(command, pool)
        else:
            pool.waiting[key] = _Waiting(command=command, action=action)
            self._ask_permits(command, pool)
            return
        pool.busy[key] = worker
        self._send(worker, command, action, key)

    def _spawn_item_worker(self, command: RunAction, pool: _Pool) -> Any:
        worker = self._spawn(f"wf/{command.task}@{command.route}/w{pool.spawned}", "item")
        pool.spawned += 1
        return worker

    def _ask_permits(self, command: RunAction, pool: _Pool) -> None:
        want = pool.concurrency - pool.permits
        if pool.asked or want <= 0:
            return  # an answer is coming, or the pool's own workers will free up
        pool.asked = True
        WORKERS.request(self.actor_ref, command.run, want)
        if self.tracer.enabled:
            self.tracer.emit("workers.requested", f"wf/{command.task}@{command.route}",
                             task=command.task, route=command.route, run=command.run,
                             count=want, held=pool.permits, waiting=len(pool.waiting))

    def _send_waiting(self, pool: _Pool, worker: Any) -> None:
        """Give ``worker`` (busy no more) the oldest attempt waiting in ``pool``."""
        key = next(iter(pool.waiting))
        waiting = pool.waiting.pop(key)
        pool.busy[key] = worker
        self._send(worker, waiting.command, waiting.action, key)
        if waiting.timeout is not None:
            run, item, attempt = key
            self._set_timer(TimerKey(kind=TimerKind.TIMEOUT, run=run, item=item,
                                     attempt=attempt), waiting.timeout)

    def _return_waiting(self) -> None:
        """The workflow no longer starts work (pausing, or a cancel that lets running
        attempts finish): attempts still waiting for a worker never started, so they go
        back to the machine unstarted, to be sent again after a resume."""
        if self.state.status not in (WorkflowStatus.PAUSING, WorkflowStatus.CANCELING):
            return
        returned: list[Event] = []
        for pool in self.pools.values():
            for run, item, attempt in pool.waiting:
                assert item is not None
                self.live.discard((run, item, attempt))
                returned.append(AttemptReturned(run=run, item=item, attempt=attempt,
                                                at=time.time()))
            pool.waiting.clear()
        if returned:
            self._feed(*returned)

    def _on_granted(self, message: WorkersGranted) -> None:
        pool = self.pools.get(message.run)
        if self.finished:
            return  # the budget took back everything when the execution finished
        if pool is None:
            WORKERS.release(self.actor_ref, message.run, message.count)  # the run ended
            return
        pool.asked = False
        pool.permits += message.count
        granted_to = len(pool.waiting)
        while pool.waiting and pool.spawned < pool.permits:
            command = next(iter(pool.waiting.values())).command
            self._send_waiting(pool, self._spawn_item_worker(command, pool))
        spare = pool.permits - pool.spawned
        if spare > 0 and not pool.waiting:
            # the items finished meanwhile: other executions may need them
            WORKERS.release(self.actor_ref, message.run, spare)
            pool.permits -= spare
        if self.tracer.enabled:
            run = self.state.run(message.run)
            self.tracer.emit("workers.granted", f"wf/{run.task}@{run.route}", task=run.task,
                             route=run.route, run=message.run, count=message.count,
                             held=pool.permits, sent=min(granted_to, message.count),
                             waiting=len(pool.waiting))
        if pool.waiting:
            self._ask_permits(next(iter(pool.waiting.values())).command, pool)

    def _spawn(self, path: str, kind: str) -> Any:
        ref = Worker.start(supervisor=self.actor_ref, path=path, kind=kind,
                           execution_id=self.execution_id, tracer=self.tracer.for_actor())
        self.paths[ref.actor_urn] = path
        if self.tracer.enabled:
            self.tracer.emit("actor.spawned", path, kind=kind, parent="wf",
                             thread=path)
        return ref

    def _subworkflow(self, ref: str) -> WorkflowDef | None:
        known = self.config.workflows.get(ref)
        if known is not None:
            return known
        if ref.endswith((".yaml", ".yml")):
            from runtime.spec import load_workflow

            base = self.config.base_dir or Path.cwd()
            path = Path(ref) if Path(ref).is_absolute() else base / ref
            try:
                defn = load_workflow(path)
            except (TroupeError, OSError):
                return None
            self.config.workflows[ref] = defn
            return defn
        return None

    def _start_child(self, defn: WorkflowDef, command: RunAction, key: AttemptKey) -> None:
        child_id = f"{self.execution_id}.{command.task}.{command.run}"
        if command.item is not None:
            child_id += f".{command.item}"
        if command.attempt > 1:
            child_id += f".a{command.attempt}"
        ref = WorkflowSupervisor.start(
            defn=defn,
            parameters=command.input or {},
            execution_id=child_id,
            config=self.config,
            done=pykka.ThreadingFuture(),
            masker=self.masker,
            parent=self.actor_ref,
            parent_key=key,
            parent_execution=self.execution_id,
            parent_task=command.task,
        )
        self.children[key] = ref

    def _cancel_attempt(self, command: CancelAction) -> None:
        key = (command.run, command.item, command.attempt)
        self.live.discard(key)
        kill = self.cancellers.pop(key, None)
        if kill is not None:
            self._reap(kill)
        else:
            self.cancelled.add(key)
        child = self.children.pop(key, None)
        if child is not None:
            self._tell_ref(child, Cancel(reason=command.reason, force=True))
        if command.item is None:
            worker = self.task_workers.pop(command.run, None)
        else:
            pool = self.pools.get(command.run)
            worker = None
            if pool is not None:
                pool.waiting.pop(key, None)
                worker = pool.busy.pop(key, None)
        if worker is not None:
            self._stop_ref(worker)

    def _reap(self, kill: Callable[[], None]) -> None:
        if self.reaper is None:
            self.reaper = Reaper.start()
        self.reaper.tell(Kill(kill=kill))

    def _cascade(self, message: Any) -> None:
        for child in list(self.children.values()):
            self._tell_ref(child, message)

    @staticmethod
    def _tell_ref(ref: Any, message: Any) -> None:
        try:
            ref.tell(message)
        except pykka.ActorDeadError:
            pass  # the child already finished; its report is in our mailbox or was handled

    @staticmethod
    def _stop_ref(ref: Any) -> None:
        try:
            ref.stop(block=False)
        except pykka.ActorDeadError:
            pass  # already stopped

    # ---- notices ------------------------------------------------------------------------

    def _notice(self, command: Command) -> None:
        if isinstance(command, TaskFinished):
            self._release_workers(command.run)
        self._notify_listeners(command)
        if self.tracer.enabled:
            self._trace_notice(command)

    def _notify_listeners(self, command: Command) -> None:
        listeners = self.config.listeners
        if not listeners:
            return
        event = progress_of(command, self.execution_id, self.masker)
        if event is None:
            return
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # logged: a broken listener must not stop the execution
                log.warning("progress listener failed", exc_info=True)

    def _release_workers(self, run: int, *, recycle: bool = True) -> None:
        """Free the workers of a finished run: task actors wait for the next task run."""
        worker = self.task_workers.pop(run, None)
        if worker is not None:
            if recycle and len(self.idle_task_workers) < _IDLE_TASK_WORKERS:
                self.idle_task_workers.append(worker)
                if self.tracer.enabled:
                    self.tracer.emit("actor.stopped", self.paths.get(worker.actor_urn, "?"),
                                     kind="task", recycled=True)
            else:
                self._stop_ref(worker)
        pool = self.pools.pop(run, None)
        if pool is not None:
            for ref in (*pool.idle, *pool.busy.values()):
                self._stop_ref(ref)
            WORKERS.release(self.actor_ref, run, pool.permits)

    def _trace_notice(self, command: Command) -> None:
        tracer = self.tracer
        state = self.state
        if isinstance(command, TaskStarted):
            run = state.run(command.run)
            tracer.emit("task.started", f"wf/{command.task}@{command.route}", task=command.task,
                        route=command.route, attempt=1, ctx_version=run.ctx.version,
                        run=command.run, action=command.action, items=command.items,
                        concurrency=command.concurrency)
        elif isinstance(command, TaskRetrying):
            tracer.emit("task.retrying", f"wf/{command.task}@{command.route}", task=command.task,
                        route=command.route, item=command.item, attempt=command.attempt,
                        run=command.run, delay=command.delay, reason=command.reason)
        elif isinstance(command, ItemFinished):
            progress = state.run(command.run).items
            assert progress is not None
            key = (command.run, command.item, progress.attempt_of(command.item))
            started = self.dispatched_at.pop(key, None)
            duration = time.monotonic() - started if started is not None else 0.0
            report = self.reports.pop((command.run, command.item), None)
            tracer.emit("item.finished", f"wf/{command.task}@{command.route}", task=command.task,
                        route=command.route, item=command.item, attempt=key[2],
                        run=command.run, status=command.status, duration=duration,
                        worker=report.worker if report else None,
                        mailbox_wait=report.wait if report else None)
        elif isinstance(command, TaskFinished):
            run = state.run(command.run)
            duration = (run.finished_at or 0) - (run.started_at or run.finished_at or 0)
            tracer.emit("task.finished", f"wf/{command.task}@{command.route}", task=command.task,
                        route=command.route, attempt=command.attempts,
                        ctx_version=run.ctx.version, run=command.run, status=command.status,
                        attempts=command.attempts, duration=duration, items=command.items,
                        items_failed=command.items_failed, error=command.error,
                        pseudo=run.pseudo)
        elif isinstance(command, TransitionEvaluated):
            tracer.emit("transition.evaluated", "wf", task=command.task, route=command.route,
                        run=command.run, transition=command.transition, when=command.when,
                        result=command.result, targets=list(command.targets),
                        published=list(command.published), error=command.error)
        elif isinstance(command, TaskStaged):
            tracer.emit("task.staged", "wf", task=command.task, route=command.route,
                        run=command.source_run, source=command.source, join=command.join,
                        satisfied=command.satisfied, required=command.required,
                        ready=command.ready, target_run=command.run)
        elif isinstance(command, (WorkflowPaused, WorkflowResumed)):
            tracer.emit(f"workflow.{type(command).__name__[8:].lower()}", "wf")

    def _trace_received(self, message: Any, received: float) -> None:
        sent = getattr(message, "sent", 0.0)
        sender = getattr(message, "worker", "") or (
            "timers" if isinstance(message, TimerDue)
            else "workers" if isinstance(message, WorkersGranted) else "api")
        self.tracer.emit("message.received", "wf", msg=type(message).__name__,
                         msg_id=getattr(message, "msg_id", 0), sender=sender,
                         mailbox_wait=received - sent if sent else 0.0,
                         **self._where(message))

    def _where(self, message: Any) -> dict[str, Any]:
        if isinstance(message, Performed):
            return self._run_fields(message.run, message.item, message.attempt)
        if isinstance(message, TimerDue):
            return self._run_fields(message.key.run, message.key.item, message.key.attempt)
        return {}

    def _run_fields(self, run_id: int, item: int | None = None,
                    attempt: int | None = None) -> dict[str, Any]:
        if run_id >= len(self.state.runs):
            return {}
        run = self.state.run(run_id)
        return {"task": run.task, "route": run.route, "item": item, "attempt": attempt,
                "ctx_version": run.ctx.version}

    # ---- the end ------------------------------------------------------------------------

    def _finish(self, command: WorkflowFinished) -> None:
        if self.finished:
            return
        self.finished = True
        from runtime.results import build_result

        result = build_result(self.state, command, self.masker, self.events)
        if self.tracer.enabled:
            self.tracer.emit("workflow.finished", "wf", status=command.status,
                             duration=time.monotonic() - self.started_mono,
                             errors=[{"kind": e.kind, "task": e.task, "route": e.route,
                                      "message": e.message} for e in command.errors],
                             output=command.output)
        for timer_id in self.timers.values():
            TIMERS.cancel(timer_id)
        self.timers.clear()
        for run in list(self.task_workers):
            self._release_workers(run, recycle=False)
        for run in list(self.pools):
            self._release_workers(run, recycle=False)
        WORKERS.release_all(self.actor_ref)  # and any grant still on its way
        for worker in self.idle_task_workers:
            self._stop_ref(worker)
        self.idle_task_workers.clear()
        if self.reaper is not None:
            self._stop_ref(self.reaper)
        if self.parent is not None and self.parent_key is not None:
            outcome = Outcome.SUCCEEDED if command.status == "succeeded" else Outcome.FAILED
            run, item, attempt = self.parent_key
            error = None if outcome is Outcome.SUCCEEDED else (
                f"sub-workflow {self.execution_id} {command.status}: "
                + "; ".join(e.message for e in command.errors[:3]))
            self._tell_ref(self.parent, Performed(run=run, item=item, attempt=attempt,
                                              outcome=outcome, result=command.output,
                                              error=error, worker="wf/child"))
        self.tracer.flush()  # the execution's lines are in the file when its waiters wake
        self.done.set(result)
        self._notify_listeners(command)
        self.stop()

    def _crash(self, exc: BaseException) -> None:
        """An engine bug: fail the execution loudly rather than hang its waiters."""
        log.error("supervisor crashed", execution=self.execution_id, exc_info=exc)
        if self.tracer.enabled:
            self.tracer.failure("wf", "supervisor", exc)
        if self.finished:
            return
        error = ErrorRecord(kind="engine", message=f"{type(exc).__name__}: {exc}")
        errors = (*self.state.errors, error)
        if self.state.status in WORKFLOW_DONE:
            return
        self._finish(WorkflowFinished(status="failed", output={}, errors=tuple(errors)))
