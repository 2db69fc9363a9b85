"""Theory of operation: the workflow state machine, events in, commands out.

``advance(state, event) -> (state, commands)`` is the whole interface. The next step is chosen
by a table keyed by the workflow's status and the event's type (``_TABLE``); a pair that is not
in the table is ignored (a late completion after a cancel, a resume while running). Every
handler works on a :class:`~runtime.machine.tx.Tx`, and after each one
:func:`~runtime.machine.ending.settle` decides whether the workflow paused or is over; the
table never branches on dialect names, only on :class:`~runtime.spec.model.Policies`.

The machine is grouped by concept, each module importing only those below it: ``state``
(the records) and ``tx`` (one step's working copy); ``fields``, ``attempts``, ``inputs``,
``sizes`` (results and publishes against the size limits) and ``transitions`` (conditions,
publishes, routes, joins); ``retries``; ``items`` (one item's life); ``asks`` (opening and
closing inquiries); ``runs`` (one run's life, and what its end sets moving); ``ending`` (the
workflow's end and output); ``control`` (outside requests), ``inquiries`` (answers) and
``timers``; ``core``.

Replaying the events an execution consumed from :func:`initial_state` rebuilds its state
exactly (:func:`replay`): the machine reads no clock, no randomness and no globals. A replay
knows the reports to come, so it skips rendering the inputs of the item attempts they name
(``reported``: :mod:`~runtime.machine.reported`), which only the actions read.

Misuse: do not call handlers directly; do not feed one state two different next events (states
are values: the caller keeps the latest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from runtime.commands import Command, ErrorRecord, WorkflowStarted
from runtime.errors import RESULT_LOST, WORKER_LOST, ExpressionError, ParameterError
from runtime.events import (
    ActionCompleted,
    AttemptReturned,
    CancelRequested,
    Event,
    InquiryAnswered,
    PauseRequested,
    RerunRequested,
    ResumeRequested,
    SubworkflowPaused,
    TimerFired,
    WorkflowRequested,
)
from runtime.spec.model import WorkflowDef
from runtime.status import Outcome, TaskStatus, WorkflowStatus
from runtime.values import NotJson, freeze, json_data

from .asks import pause_for_ask
from .control import on_cancel, on_pause
from .ending import finish, settle
from .fields import BAD_RESULT, OUTCOME_UNKNOWN, RESULT_TOO_LARGE
from .inputs import check_parameters, render_inputs
from .inquiries import on_answer
from .items import item_returned
from .reported import NO_REPORTS, Reported, reported_items
from .rerun import on_rerun
from .runs import (
    attempt_completed,
    dispatch,
    end_empty_runs,
    item_attempt_completed,
    items_advanced,
)
from .sizes import result_guard
from .state import ITEM_RUNNING, TaskRun, WorkflowState
from .subpauses import on_resume_requested, on_sub_paused, pause_if_dormant
from .timers import on_timer
from .tx import Tx, create_run

__all__ = ["advance", "advance_many", "initial_state", "replay"]

_OUTCOME_KINDS = {Outcome.UNKNOWN.value: OUTCOME_UNKNOWN, Outcome.WORKER_LOST.value: WORKER_LOST,
                  Outcome.RESULT_LOST.value: RESULT_LOST}
"""Outcome value -> the error kind it gives its record (others follow the task status)."""

Handler = Callable[[Tx, Event], None]


def initial_state(defn: WorkflowDef) -> WorkflowState:
    """The state of an execution of ``defn`` before its first event."""
    return WorkflowState(defn=defn)


def advance(
    state: WorkflowState, event: Event, *, item_notices: bool = True,
    reported: Reported = NO_REPORTS,
) -> tuple[WorkflowState, tuple[Command, ...]]:
    """Consume one event; return the next state and the commands it decided.

    ``item_notices=False`` leaves the per-item ``ItemFinished`` notices out of the commands
    (for a driver that neither traces nor reports progress); the state is the same.
    ``reported``: for a replay, the item attempts its journal shows reported, sent without
    rendering their inputs (:mod:`runtime.machine.reported`); the state is the same.
    """
    handler = _TABLE.get((state.status._value_, type(event)))
    if handler is None:
        return state, ()
    tx = Tx(state, event.at, item_notices=item_notices, reported=reported)
    handler(tx, event)
    return tx.commit(), tuple(tx.commands)


def advance_many(
    state: WorkflowState, events: Sequence[Event], *, item_notices: bool = True,
    reported: Reported = NO_REPORTS,
) -> tuple[WorkflowState, tuple[Command, ...]]:
    """Consume several events in one step; the same as folding :func:`advance` over them.

    A driver that finds many completions waiting (a with-items task with a busy supervisor)
    feeds them together and pays for opening and committing the step once.
    """
    if len(events) == 1:
        return advance(state, events[0], item_notices=item_notices, reported=reported)
    tx = Tx(state, events[0].at if events else 0.0, item_notices=item_notices,
            reported=reported)
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


def replay(defn: WorkflowDef, events: Iterable[Event], *,
           shortcut: bool = True) -> WorkflowState:
    """Rebuild an execution's state from the events it consumed.

    The events are fed in batches (:func:`advance_many`, without item notices: nobody
    reads the commands), the same as feeding them one by one. ``shortcut``: item attempts
    the events report on are not rendered again (:mod:`runtime.machine.reported`); the
    state is the same either way."""
    events = tuple(events)
    reported = reported_items(events) if shortcut else NO_REPORTS
    state = initial_state(defn)
    for start in range(0, len(events), _REPLAY_BATCH):
        state, _ = advance_many(state, events[start:start + _REPLAY_BATCH],
                                item_notices=False, reported=reported)
    return state


_REPLAY_BATCH = 256
"""Events per step of a replay (the step's fixed cost is paid once per batch)."""


# ---- handlers ----------------------------------------------------------------------------


def _on_requested(tx: Tx, event: Event) -> None:
    assert isinstance(event, WorkflowRequested)
    tx.execution_id = event.execution_id
    tx.limits = event.limits
    tx.kv = event.kv
    tx.started_at = event.at
    tx.status = WorkflowStatus.RUNNING
    params = freeze(event.parameters)
    try:
        check_parameters(tx.defn, params)
        inputs = render_inputs(tx, params, event.environment)
    except ParameterError as exc:
        tx.error(ErrorRecord(kind="parameters", message=str(exc)))
        finish(tx, WorkflowStatus.FAILED)
        return
    except ExpressionError as exc:
        tx.error(ErrorRecord(kind="expression", message=str(exc), field=exc.field,
                             expression=exc.expression or None))
        finish(tx, WorkflowStatus.FAILED)
        return
    tx.emit(WorkflowStarted(execution_id=tx.execution_id, inputs=inputs))
    for name in tx.defn.graph.starts:
        run = create_run(tx, name, 0, tx.root)
        dispatch(tx, tx.run(run.id))


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
        outcome = event.outcome
        status, result, error = outcome.task_status, event.result, event.error
        kind = _OUTCOME_KINDS.get(outcome.value)
        if result is not None:
            status, result, error, kind = _accept(tx, run, None, status, result, error, kind)
        attempt_completed(tx, run, status, result, error, kind)
        return
    work = tx.open_items(event.run)
    if work is None:
        return
    if not 0 <= item < work.total or work.statuses[item] != ITEM_RUNNING:
        return
    if event.attempt != work.progress.attempt_of(item):
        return
    outcome = event.outcome
    status, result, error = outcome.task_status, event.result, event.error
    kind = _OUTCOME_KINDS.get(outcome.value)
    if result is not None:  # a no-op's None costs nothing more
        status, result, error, kind = _accept(tx, work.run, item, status, result, error, kind)
    item_attempt_completed(tx, work, item, event.attempt, status, result, error, kind)


def _accept(tx: Tx, run: TaskRun, item: int | None, status: TaskStatus, result: Any,
            error: str | None, kind: str | None) -> tuple[TaskStatus, Any, str | None, str | None]:
    """An attempt's result at the boundary: JSON data, frozen, within the size limits; or the
    attempt fails (``bad_result`` when JSON cannot hold it, ``result_too_large``)."""
    try:
        result = json_data(result)
    except NotJson as exc:
        return TaskStatus.FAILED, None, f"the action's result is not JSON data: {exc}", BAD_RESULT
    refused = result_guard(tx, run, item, result)
    if refused is not None:
        return TaskStatus.FAILED, refused[1], refused[0], RESULT_TOO_LARGE
    return status, freeze(result), error, kind


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
    items_advanced(tx, work)


def _settled(handler: Handler) -> Handler:
    """``handler``, then :func:`settle`: after every event, the workflow may be over."""

    def handle(tx: Tx, event: Event) -> None:
        handler(tx, event)
        end_empty_runs(tx)
        if tx.asked:  # per event: a batch's later events did not open the ask
            tx.asked = False
            pause_for_ask(tx)
        pause_if_dormant(tx)
        settle(tx)

    handle.__name__ = handler.__name__
    return handle


_ACTIVE = (WorkflowStatus.RUNNING, WorkflowStatus.PAUSING, WorkflowStatus.FAILING,
           WorkflowStatus.CANCELING)
# Keyed by the status's value: str hashes are cached, Enum.__hash__ runs Python code.
_LIVE = (*_ACTIVE, WorkflowStatus.PAUSED)
_TABLE: dict[tuple[str, type], Handler] = {
    (WorkflowStatus.REQUESTED.value, WorkflowRequested): _settled(_on_requested),
    **{(s.value, ActionCompleted): _settled(_on_completed) for s in _LIVE},
    **{(s.value, AttemptReturned): _settled(_on_returned) for s in _LIVE},
    **{(s.value, TimerFired): _settled(on_timer) for s in _LIVE},
    **{(s.value, CancelRequested): _settled(on_cancel) for s in _LIVE},
    **{(s.value, InquiryAnswered): _settled(on_answer) for s in _LIVE},
    **{(s.value, SubworkflowPaused): _settled(on_sub_paused) for s in _LIVE},
    (WorkflowStatus.RUNNING.value, PauseRequested): _settled(on_pause),
    (WorkflowStatus.PAUSING.value, ResumeRequested): _settled(on_resume_requested),
    (WorkflowStatus.PAUSED.value, ResumeRequested): _settled(on_resume_requested),
    **{(s.value, RerunRequested): _settled(on_rerun) for s in
       (WorkflowStatus.SUCCEEDED, WorkflowStatus.FAILED, WorkflowStatus.CANCELED)},
}
