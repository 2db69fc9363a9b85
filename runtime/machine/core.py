"""Theory of operation: the workflow state machine, events in, commands out.

``advance(state, event) -> (state, commands)`` is the whole interface. The next step is chosen
by a table keyed by the workflow's status and the event's type (``_TABLE``); a pair that is not
in the table is ignored (a late completion after a cancel, a resume while running). Every
handler works on a :class:`~runtime.machine.tx.Tx` and the table never branches on dialect
names, only on :class:`~runtime.spec.model.Policies`.

Replaying the events an execution consumed from :func:`initial_state` rebuilds its state
exactly (:func:`replay`): the machine reads no clock, no randomness and no globals.

Misuse: do not call handlers directly; do not feed one state two different next events (states
are values: the caller keeps the latest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from pyrsistent import pvector

from runtime.commands import (
    CancelAction,
    Command,
    ErrorRecord,
    WorkflowResumed,
    WorkflowStarted,
)
from runtime.errors import ExpressionError, ParameterError
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
from runtime.spec.model import WorkflowDef
from runtime.status import TaskStatus, WorkflowStatus
from runtime.values import freeze

from .finishing import (
    attempt_completed,
    cancel_run,
    complete_run,
    finish,
    item_completed,
    item_returned,
    items_advanced,
    retry_now,
    settle,
)
from .starting import (
    check_parameters,
    create_run,
    dispatch,
    render_inputs,
    start_run,
)
from .state import ITEM_RUNNING, TaskRun, WorkflowState
from .tx import Tx

__all__ = ["advance", "advance_many", "initial_state", "replay"]

Handler = Callable[[Tx, Event], None]


def initial_state(defn: WorkflowDef) -> WorkflowState:
    """The state of an execution of ``defn`` before its first event."""
    return WorkflowState(defn=defn)


def advance(
    state: WorkflowState, event: Event, *, item_notices: bool = True
) -> tuple[WorkflowState, tuple[Command, ...]]:
    """Consume one event; return the next state and the commands it decided.

    ``item_notices=False`` leaves the per-item ``ItemFinished`` notices out of the commands
    (for a driver that neither traces nor reports progress); the state is the same.
    """
    handler = _TABLE.get((state.status._value_, type(event)))
    if handler is None:
        return state, ()
    tx = Tx(state, event.at, item_notices=item_notices)
    handler(tx, event)
    return tx.commit(), tuple(tx.commands)


def advance_many(
    state: WorkflowState, events: Sequence[Event], *, item_notices: bool = True
) -> tuple[WorkflowState, tuple[Command, ...]]:
    """Consume several events in one step; the same as folding :func:`advance` over them.

    A driver that finds many completions waiting (a with-items task with a busy supervisor)
    feeds them together and pays for opening and committing the step once.
    """
    if len(events) == 1:
        return advance(state, events[0], item_notices=item_notices)
    tx = Tx(state, events[0].at if events else 0.0, item_notices=item_notices)
    consumed = 0
    for event in events:
        handler = _TABLE.get((tx.status._value_, type(event)))
        if handler is None:
            continue
        tx.at = event.at
        handler(tx, event)
        consumed += 1
    if not consumed:
        return state, ()
    return tx.commit(consumed), tuple(tx.commands)


def replay(defn: WorkflowDef, events: Iterable[Event]) -> WorkflowState:
    """Rebuild an execution's state from the events it consumed."""
    state = initial_state(defn)
    for event in events:
        state, _ = advance(state, event)
    return state


# ---- handlers ----------------------------------------------------------------------------


def _on_requested(tx: Tx, event: Event) -> None:
    assert isinstance(event, WorkflowRequested)
    tx.execution_id = event.execution_id
    tx.started_at = event.at
    tx.status = WorkflowStatus.RUNNING
    params = freeze(event.parameters)
    try:
        check_parameters(tx.defn, params)
        inputs = render_inputs(tx, params)
    except ParameterError as exc:
        tx.error(ErrorRecord(kind="parameters", message=str(exc)))
        finish(tx, WorkflowStatus.FAILED)
        return
    except ExpressionError as exc:
        tx.error(ErrorRecord(kind="expression", message=str(exc), field=exc.field))
        finish(tx, WorkflowStatus.FAILED)
        return
    tx.emit(WorkflowStarted(execution_id=tx.execution_id, inputs=inputs))
    for name in tx.defn.graph.starts:
        run = create_run(tx, name, 0, tx.root)
        dispatch(tx, tx.run(run.id))
    settle(tx)


def _on_completed(tx: Tx, event: Event) -> None:
    assert isinstance(event, ActionCompleted)
    if event.run >= len(tx.runs):
        return
    item = event.item
    if item is None:
        run = tx.run(event.run)
        if run.status is not TaskStatus.RUNNING or run.items is not None:
            return
        if event.attempt != run.attempt:
            return
        attempt_completed(tx, run, event.outcome.task_status, freeze(event.result), event.error)
        return
    work = tx.open_items(event.run)
    if work is None:
        return
    if not 0 <= item < work.total or work.statuses[item] != ITEM_RUNNING:
        return
    if event.attempt != work.progress.attempt_of(item):
        return
    item_completed(tx, work, item, event.attempt, event.outcome.task_status,
                   freeze(event.result), event.error)
    if tx.status is WorkflowStatus.PAUSING:
        settle(tx)  # the last item in flight of a pausing workflow: now it is paused


def _on_returned(tx: Tx, event: Event) -> None:
    assert isinstance(event, AttemptReturned)
    if event.run >= len(tx.runs):
        return
    work = tx.open_items(event.run)
    if work is None:
        return
    item = event.item
    if not 0 <= item < work.total or work.statuses[item] != ITEM_RUNNING:
        return
    if event.attempt != work.progress.attempt_of(item):
        return
    item_returned(tx, work, item, event.attempt)
    settle(tx)  # the last attempt in flight of a pausing or canceling workflow


def _on_timer(tx: Tx, event: Event) -> None:
    assert isinstance(event, TimerFired)
    key = event.key
    if key.run >= len(tx.runs):
        return
    run = tx.run(key.run)
    if key.kind is TimerKind.DELAY:
        if run.status is not TaskStatus.DELAYED:
            return
        if tx.active() or run.run_on_fail:
            start_run(tx, run)
        elif tx.status in (WorkflowStatus.PAUSING, WorkflowStatus.PAUSED):
            tx.update(run, status=TaskStatus.HELD)
            tx.held = tx.held.append(run.id)
        else:
            complete_run(tx, run, TaskStatus.CANCELED, None, transitions=False)
    elif key.kind is TimerKind.RETRY:
        _retry_timer(tx, run, key)
    else:
        _timeout_timer(tx, run, key)
    settle(tx)


def _retry_timer(tx: Tx, run: TaskRun, key: TimerKey) -> None:
    if key.item is None:
        if run.status is not TaskStatus.RETRYING or run.attempt + 1 != key.attempt:
            return
        if tx.active():
            retry_now(tx, run, None, key.attempt)
        else:
            complete_run(tx, run, TaskStatus.CANCELED, run.result, transitions=False)
        return
    progress = run.items
    if progress is None or progress.attempt_of(key.item) != key.attempt:
        return
    if tx.active():
        retry_now(tx, run, key.item, key.attempt)
        return
    work = tx.open_items(run.id)
    if work is not None:
        tx.inflight += 1  # the attempt that will not be sent counts as reported now
        item_completed(tx, work, key.item, key.attempt, TaskStatus.CANCELED, None,
                       "not retried")


def _timeout_timer(tx: Tx, run: TaskRun, key: TimerKey) -> None:
    timeout_error = f"timed out after {run.timeout:g} s" if run.timeout else "timed out"
    if key.item is None:
        if run.status is not TaskStatus.RUNNING or run.attempt != key.attempt:
            return
        tx.emit(CancelAction(run=run.id, attempt=key.attempt, reason="timeout"))
        attempt_completed(tx, run, TaskStatus.TIMED_OUT, None, timeout_error)
        return
    progress = run.items
    if progress is None or progress.statuses[key.item] != ITEM_RUNNING:
        return
    if progress.attempt_of(key.item) != key.attempt:
        return
    work = tx.open_items(run.id)
    if work is None:
        return
    tx.emit(CancelAction(run=run.id, attempt=key.attempt, item=key.item, reason="timeout"))
    item_completed(tx, work, key.item, key.attempt, TaskStatus.TIMED_OUT, None, timeout_error)


def _on_cancel(tx: Tx, event: Event) -> None:
    assert isinstance(event, CancelRequested)
    if tx.status is not WorkflowStatus.CANCELING:
        tx.error(ErrorRecord(kind="canceled", message=event.reason or "workflow canceled"))
    allow_finish = tx.defn.meta.get("cancellation_policy") == "allow_finish"
    if allow_finish and not event.force and tx.inflight:
        tx.status = WorkflowStatus.CANCELING
        for run in list(tx.all_runs()):
            if not run.pseudo and run.finished_at is None and run.status in (
                TaskStatus.DELAYED, TaskStatus.RETRYING, TaskStatus.HELD, TaskStatus.READY
            ):
                cancel_run(tx, run)
        tx.held = pvector()
        return
    for run in list(tx.all_runs()):
        if run.pseudo or run.finished_at is not None:
            continue
        cancel_run(tx, run)
    tx.held = pvector()
    finish(tx, WorkflowStatus.CANCELED)


def _on_pause(tx: Tx, event: Event) -> None:
    tx.status = WorkflowStatus.PAUSING
    settle(tx)


def _on_resume(tx: Tx, event: Event) -> None:
    failing = tx.unhandled_failure and tx.policies.fail_fast
    tx.status = WorkflowStatus.FAILING if failing else WorkflowStatus.RUNNING
    tx.emit(WorkflowResumed())
    held = tx.held
    tx.held = pvector()
    for run_id in held:
        run = tx.run(run_id)
        if tx.active() or run.run_on_fail:
            tx.update(run, status=TaskStatus.READY)
            dispatch(tx, tx.run(run_id))
        else:
            complete_run(tx, run, TaskStatus.CANCELED, None, transitions=False)
    for run in list(tx.all_runs()):
        if run.items is not None and run.status is TaskStatus.RUNNING:
            work = tx.open_items(run.id)
            assert work is not None
            items_advanced(tx, work)
    settle(tx)


_ACTIVE = (WorkflowStatus.RUNNING, WorkflowStatus.PAUSING, WorkflowStatus.FAILING,
           WorkflowStatus.CANCELING)
# Keyed by the status's value: str hashes are cached, Enum.__hash__ runs Python code.
_TABLE: dict[tuple[str, type], Handler] = {
    (WorkflowStatus.REQUESTED.value, WorkflowRequested): _on_requested,
    **{(s.value, ActionCompleted): _on_completed for s in (*_ACTIVE, WorkflowStatus.PAUSED)},
    **{(s.value, AttemptReturned): _on_returned for s in (*_ACTIVE, WorkflowStatus.PAUSED)},
    **{(s.value, TimerFired): _on_timer for s in (*_ACTIVE, WorkflowStatus.PAUSED)},
    **{(s.value, CancelRequested): _on_cancel for s in (*_ACTIVE, WorkflowStatus.PAUSED)},
    (WorkflowStatus.RUNNING.value, PauseRequested): _on_pause,
    (WorkflowStatus.PAUSING.value, ResumeRequested): _on_resume,
    (WorkflowStatus.PAUSED.value, ResumeRequested): _on_resume,
}
