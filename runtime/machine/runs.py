"""Task runs: from ready to finished, and what their end sets moving.

A run (one sequence entry: a task on a route) is dispatched when a transition makes it ready
(:func:`dispatch`): held while the workflow pauses, delayed if the task says so, else
started (:func:`start_run`: its action, input, timeout, retry count and items rendered, its
first attempt or first items sent). When an attempt reports (:func:`attempt_completed`) the
run retries or ends; a with-items run ends when its items say so (:func:`items_advanced`).
:func:`complete_run` records the end and follows the run's transitions (all that match fire):
the runs they make ready are dispatched in turn, a failure they remediate is marked handled,
and one nobody handles fails the workflow under a fail-fast policy. :func:`cancel_run` ends
an open run as canceled.

Whether the workflow as a whole is over is decided after each event
(:func:`runtime.machine.ending.settle`), not here.

Misuse: only the machine calls these, inside one :class:`~runtime.machine.tx.Tx`.
"""

from __future__ import annotations

from typing import Any

from pyrsistent import PMap

from runtime.commands import CancelTimer, ErrorRecord, SetTimer, TaskFinished, TaskStarted
from runtime.errors import ExpressionError
from runtime.events import TimerKey, TimerKind
from runtime.inquiries import ASK_ACTION, InquiryStatus
from runtime.status import TaskStatus, WorkflowStatus, is_abended
from runtime.values import freeze

from .asks import close_inquiry, open_ask, open_wait
from .attempts import cancel_attempt, forget_timeout, send_attempt
from .carry import carried_items
from .fields import TASK_RUNS_EXCEEDED, action_ref, expr_record, failure_record, number
from .items import expand_items, item_completed, items_outcome, release_items, send_item
from .retries import retry_decision, schedule_retry
from .state import ITEM_RUNNING, TaskRun
from .transitions import evaluate_transitions, take_edges
from .tx import ItemsWork, Tx, evolve, fail_workflow

__all__ = [
    "attempt_completed",
    "cancel_run",
    "complete_run",
    "dispatch",
    "end_empty_runs",
    "item_attempt_completed",
    "items_advanced",
    "retry_now",
    "start_if_running",
    "start_run",
]


def dispatch(tx: Tx, run: TaskRun) -> None:
    """Move a ready run on: hold it while paused, start its delay, or start it; past the
    execution's ``task_runs_max`` runs the workflow fails instead (``task_runs_exceeded``)."""
    cap = tx.limits.task_runs_max
    if cap and run.id >= cap:
        _too_many_runs(tx, run, cap)
        return
    if tx.status in (WorkflowStatus.PAUSING, WorkflowStatus.PAUSED):
        tx.update(run, status=TaskStatus.HELD)
        tx.held = tx.held.append(run.id)
        return
    task = tx.defn.task(run.task)
    if task.delay is not None and run.attempt == 0:
        try:
            delay = number(task.delay, tx.scope(run), "delay")
        except ExpressionError as exc:
            _fail_to_start(tx, run, exc)
            return
        if delay > 0:
            tx.update(run, status=TaskStatus.DELAYED, delayed_at=tx.at)
            tx.emit(SetTimer(key=TimerKey(kind=TimerKind.DELAY, run=run.id), delay=delay))
            return
    start_run(tx, run)


def start_run(tx: Tx, run: TaskRun) -> None:
    """Render the run's action and input and send its first attempt (or first items); a
    task that asks first (``wait_for``) opens its inquiry instead, and ``core.ask`` asks."""
    task = tx.defn.task(run.task)
    if task.wait_for is not None and run.id not in tx.inquiries:
        try:
            open_wait(tx, run, task.wait_for)
        except ExpressionError as exc:
            _fail_to_start(tx, run, exc)
        return
    scope = tx.scope(run)
    rendered: Any = None
    try:
        action = action_ref(task, scope)
        timeout = number(task.timeout, scope, "timeout") if task.timeout is not None else None
        retry_count = None
        if task.retry is not None:
            retry_count = int(number(task.retry.count, scope, "retry.count"))
        if task.iteration is not None:
            progress = carried_items(tx, run, expand_items(tx, task, scope))
        else:
            progress = None
            rendered = task.input.render(scope) if task.input is not None else None
    except ExpressionError as exc:
        _fail_to_start(tx, run, exc)
        return
    run = tx.update(
        run,
        status=TaskStatus.RUNNING,
        action=action,
        timeout=timeout or None,
        retry_count=retry_count,
        started_at=tx.at,
        items=progress,
        input=rendered,
    )
    tx.emit(TaskStarted(
        run=run.id,
        task=run.task,
        route=run.route,
        action=action,
        items=progress.total if progress is not None else None,
        concurrency=progress.concurrency if progress is not None else None,
    ))
    if progress is None:
        if action == ASK_ACTION:
            try:
                open_ask(tx, run)
            except ExpressionError as exc:
                _fail_to_start(tx, run, exc)
        else:
            send_attempt(tx, run, 1)
    elif progress.total == 0:  # ends after the step, not inside it (dsl.md 1.8)
        tx.empty_runs.append(run.id)
    else:
        work = tx.open_items(run.id)
        assert work is not None
        items_advanced(tx, work)


def _too_many_runs(tx: Tx, run: TaskRun, cap: int) -> None:
    """A loop with no exit or a fan-out self-loop: the run is not started; the workflow fails."""
    tx.error(ErrorRecord(
        kind=TASK_RUNS_EXCEEDED, task=run.task, route=run.route, run=run.id,
        message=(f"task {run.task!r}: the execution would start more than {cap} task runs "
                 f"(task_runs_max); a loop without an exit?"),
        result=freeze({"limit": cap, "limit_name": "task_runs_max"}),
    ))
    fail_workflow(tx)
    complete_run(tx, run, TaskStatus.FAILED, None, error="task_runs_max", transitions=False)


def end_empty_runs(tx: Tx) -> None:
    """End, succeeded with ``[]``, the with-items runs of no items this step started.

    Orquesta's caller reports such a task as a separate event, so every task the step made
    ready (the other start tasks, the other targets of one completion) is dispatched before
    one of them ends and, say, goes to ``fail``.
    """
    while tx.empty_runs:
        run = tx.run(tx.empty_runs.pop(0))
        if run.status is TaskStatus.RUNNING:
            complete_run(tx, run, TaskStatus.SUCCEEDED, freeze([]))


def _fail_to_start(tx: Tx, run: TaskRun, exc: ExpressionError) -> None:
    tx.error(expr_record(run, exc))
    if tx.policies.lenient_expressions:
        complete_run(tx, run, TaskStatus.FAILED, None, error=str(exc))
    else:
        fail_workflow(tx)
        complete_run(tx, run, TaskStatus.FAILED, None, error=str(exc), transitions=False)


def attempt_completed(
    tx: Tx, run: TaskRun, status: TaskStatus, result: Any, error: str | None,
    kind: str | None = None,
) -> None:
    """An attempt of a run without items ended with ``status``: retry it or end the run.

    ``kind``: the error record's kind when it does not follow the status
    (:func:`~runtime.machine.fields.failure_record`).
    """
    tx.inflight -= 1
    forget_timeout(tx, run, run.attempt)
    if is_abended(status):
        tx.error(failure_record(run, status, result, error, kind=kind))
    task = tx.defn.task(run.task)
    if task.retry is not None and tx.active():
        delay = retry_decision(tx, run, task, status, result, run.attempt)
        if delay is not None:
            run = tx.update(run, status=TaskStatus.RETRYING, result=result)
            if schedule_retry(tx, run, None, run.attempt, delay, status):
                send_attempt(tx, run, run.attempt + 1)
            return
    complete_run(tx, run, status, result, error=error)


def item_attempt_completed(
    tx: Tx, work: ItemsWork, item: int, attempt: int, status: TaskStatus, result: Any,
    error: str | None, kind: str | None = None,
) -> None:
    """An item's attempt ended: retry or end the item, then move the run's items on."""
    advanced = item_completed(tx, work, item, attempt, status, result, error, kind)
    if advanced is not None:
        items_advanced(tx, advanced)


def items_advanced(tx: Tx, work: ItemsWork) -> None:
    """After items ended or were sent: release the next ones; end the run if nothing is
    left to do."""
    release_items(tx, work)
    final = items_outcome(tx, work)
    if final is None:
        return
    run = tx.run(work.run.id)
    assert run.items is not None
    complete_run(tx, run, final, run.items.results, error=None)


def retry_now(tx: Tx, run: TaskRun, item: int | None, attempt: int) -> None:
    """Send the next attempt of a run, or of one of its items (its retry timer fired)."""
    if item is None:
        send_attempt(tx, run, attempt)
        return
    work = tx.open_items(run.id)
    if work is None:
        return
    send_item(tx, work, item, attempt)
    items_advanced(tx, work)  # its input may have failed to render


def complete_run(
    tx: Tx,
    run: TaskRun,
    status: TaskStatus,
    result: Any,
    *,
    error: str | None = None,
    transitions: bool = True,
) -> None:
    """End ``run`` with ``status``; follow its transitions (unless ``transitions`` is False)."""
    progress = run.items
    run = tx.update(
        run,
        status=status,
        result=result,
        error=error,
        finished_at=tx.at,
        attempt=max(run.attempt, 1) if not run.pseudo else 0,
    )
    tx.open_runs -= 1
    tx.emit(TaskFinished(
        run=run.id,
        task=run.task,
        route=run.route,
        status=status,
        attempts=run.attempt,
        result=result,
        error=error,
        items=progress.total if progress is not None else None,
        items_failed=progress.failed if progress is not None else None,
    ))
    if not tx.policies.branch_context:
        record = {"result": result, "status": status.value}
        if isinstance(result, PMap):
            record = {**dict(result.items()), **record}
        tx.tasks_ns = tx.tasks_ns.set(run.task, freeze(record))
    if transitions and status is not TaskStatus.CANCELED:
        _follow_transitions(tx, run, status, result)
    if tx.status is not WorkflowStatus.RUNNING or not tx.defn.task(run.task).transitions:
        tx.update(tx.run(run.id), terminal=True)


def _follow_transitions(tx: Tx, run: TaskRun, status: TaskStatus, result: Any) -> None:
    task = tx.defn.task(run.task)
    if not task.transitions:
        if is_abended(status):
            _unhandled(tx)
        return
    fired = evaluate_transitions(tx, run, task, status, result)
    arrivals = take_edges(tx, run, fired)
    if arrivals.manual_fail:
        fail_workflow(tx)
        for staged_run in arrivals.ready:
            tx.update(tx.run(staged_run.id), run_on_fail=True)
    if is_abended(status):
        if arrivals.remediated:
            _mark_handled(tx, run, arrivals.handled_by)
        else:
            _unhandled(tx)
    for staged_run in arrivals.ready:
        current = tx.run(staged_run.id)
        if tx.active() or current.run_on_fail or tx.status in (
            WorkflowStatus.PAUSING, WorkflowStatus.PAUSED
        ):
            dispatch(tx, current)
        else:
            _drop(tx, current)


def _mark_handled(tx: Tx, run: TaskRun, handled_by: str | None) -> None:
    """The failures of ``run`` (its attempts', its items', an input that did not render)
    were remediated by a transition."""
    errors = tx.errors
    for index in range(len(errors) - 1, -1, -1):
        record = errors[index]
        if record.run == run.id and record.handled_by is None:
            errors = errors.set(index, evolve(record, {"handled_by": handled_by}))
    tx.errors = errors


def _unhandled(tx: Tx) -> None:
    tx.unhandled_failure = True
    if tx.policies.fail_fast:
        fail_workflow(tx)


def _drop(tx: Tx, run: TaskRun) -> None:
    """A run staged after the workflow failed: it never starts."""
    tx.update(run, status=TaskStatus.CANCELED, finished_at=tx.at)
    tx.open_runs -= 1


def cancel_run(tx: Tx, run: TaskRun) -> None:
    """End an open run as canceled, stopping its attempts and timers."""
    if run.status is TaskStatus.RUNNING and run.items is None:
        cancel_attempt(tx, run, run.attempt)
        if run.timeout:
            tx.emit(CancelTimer(key=TimerKey(kind=TimerKind.TIMEOUT, run=run.id,
                                             attempt=run.attempt)))
    elif run.items is not None:
        for index, status in enumerate(run.items.statuses):
            if status == ITEM_RUNNING:
                cancel_attempt(tx, run, run.items.attempt_of(index), index)
    if run.status is TaskStatus.PENDING:
        close_inquiry(tx, run.id, InquiryStatus.CANCELED)
    if run.status is TaskStatus.DELAYED:
        tx.emit(CancelTimer(key=TimerKey(kind=TimerKind.DELAY, run=run.id)))
    if run.status is TaskStatus.RETRYING:
        tx.emit(CancelTimer(key=TimerKey(kind=TimerKind.RETRY, run=run.id,
                                         attempt=run.attempt + 1)))
    tx.update(run, status=TaskStatus.CANCELED, finished_at=tx.at, terminal=True)
    tx.open_runs -= 1
    tx.emit(TaskFinished(run=run.id, task=run.task, route=run.route,
                         status=TaskStatus.CANCELED, attempts=run.attempt))


def start_if_running(tx: Tx, run: TaskRun) -> None:
    """Start ``run``, which was waiting (a delay, an inquiry), if the workflow still starts
    work; hold it while the workflow is pausing or paused (a resume starts it); cancel it
    when the workflow is ending."""
    if tx.active() or run.run_on_fail:
        start_run(tx, run)
    elif tx.status in (WorkflowStatus.PAUSING, WorkflowStatus.PAUSED):
        tx.update(run, status=TaskStatus.HELD)
        tx.held = tx.held.append(run.id)
    else:
        complete_run(tx, run, TaskStatus.CANCELED, None, transitions=False)
