"""Finishing work: attempts, items, retries, transitions, joins and the workflow itself.

When an attempt ends, :func:`attempt_completed` decides between a retry and the end of the run;
:func:`complete_run` evaluates the run's transitions (all that match fire), publishes into the
branch context, stages targets (new routes at split points, barriers at joins), applies the
failure policy, and :func:`settle` finishes the workflow once nothing is open.

Misuse: only the machine calls these, inside one :class:`Tx`.
"""

from __future__ import annotations

from typing import Any

from pyrsistent import PMap, pmap, pvector

from runtime.commands import (
    CancelAction,
    CancelTimer,
    ErrorRecord,
    SetTimer,
    TaskFinished,
    TaskRetrying,
    WorkflowFinished,
    WorkflowPaused,
)
from runtime.context import Context
from runtime.errors import ExpressionError
from runtime.events import TimerKey, TimerKind
from runtime.retry import retry_delay
from runtime.spec.model import TaskDef
from runtime.status import TaskStatus, WorkflowStatus, is_abended
from runtime.templating import Scope
from runtime.values import freeze, thaw

from .staging import evaluate_transitions, take_edges
from .starting import dispatch, end_item, release_items, send_attempt, send_item
from .state import ITEM_RUNNING, ItemsProgress, TaskRun
from .tx import ItemsWork, Tx, evolve, fail_workflow

__all__ = [
    "attempt_completed",
    "cancel_run",
    "complete_run",
    "fail_workflow",
    "item_completed",
    "item_returned",
    "items_advanced",
    "settle",
]

PSEUDO = frozenset({"continue", "noop", "fail"})


def _failure_record(run: TaskRun, status: TaskStatus, result: Any, error: str | None,
                    item: int | None = None) -> ErrorRecord:
    kind = "action_timed_out" if status is TaskStatus.TIMED_OUT else "action_failed"
    default = "Action timed out." if status is TaskStatus.TIMED_OUT else "Execution failed."
    return ErrorRecord(
        kind=kind,
        message=error or default,
        task=run.task,
        route=run.route,
        run=run.id,
        item=item,
        result=result,
    )


def attempt_completed(
    tx: Tx, run: TaskRun, status: TaskStatus, result: Any, error: str | None
) -> None:
    """An attempt of a run without items ended with ``status``."""
    tx.inflight -= 1
    if run.timeout:
        tx.emit(CancelTimer(key=TimerKey(kind=TimerKind.TIMEOUT, run=run.id, attempt=run.attempt)))
    if is_abended(status):
        tx.error(_failure_record(run, status, result, error))
    task = tx.defn.task(run.task)
    if task.retry is not None and tx.active():
        delay = _retry_decision(tx, run, task, status, result, run.attempt)
        if delay is not None:
            run = tx.update(run, status=TaskStatus.RETRYING, result=result)
            _schedule_retry(tx, run, None, run.attempt, delay, status)
            return
    complete_run(tx, run, status, result, error=error)


def item_completed(
    tx: Tx,
    work: ItemsWork,
    item: int,
    attempt: int,
    status: TaskStatus,
    result: Any,
    error: str | None,
) -> None:
    """Item ``item`` of a with-items run ended its attempt with ``status``."""
    tx.inflight -= 1
    run = work.run
    if run.timeout:
        key = TimerKey(kind=TimerKind.TIMEOUT, run=run.id, item=item, attempt=attempt)
        tx.emit(CancelTimer(key=key))
    if is_abended(status):
        tx.error(_failure_record(run, status, result, error, item=item))
    task = work.task
    if task.retry is not None and status is not TaskStatus.CANCELED and tx.active():
        run = tx.run(run.id)  # the retry path works on the run's record
        delay = _retry_decision(tx, run, task, status, result, attempt, item=item)
        if delay is not None:
            _schedule_retry(tx, run, item, attempt, delay, status)
            return
        reopened = tx.open_items(run.id)
        assert reopened is not None
        work = reopened
    end_item(tx, work, item, status, result)
    items_advanced(tx, work)


def item_returned(tx: Tx, work: ItemsWork, item: int, attempt: int) -> None:
    """Item ``item``'s attempt went back unstarted: it waits to be released again."""
    tx.inflight -= 1
    run = work.run
    if run.timeout:
        key = TimerKey(kind=TimerKind.TIMEOUT, run=run.id, item=item, attempt=attempt)
        tx.emit(CancelTimer(key=key))
    work.statuses[item] = None
    work.active -= 1
    work.returned = work.returned.append(item)
    items_advanced(tx, work)


def items_advanced(tx: Tx, work: ItemsWork) -> None:
    """After items ended or were sent: release the next ones; end the run if nothing is
    left to do."""
    release_items(tx, work)
    if work.active:
        return
    exhausted = work.next_index >= work.total and not work.returned
    stopped = work.failed and tx.policies.items_stop_on_failure
    if exhausted or stopped or not tx.active():
        if tx.status in (WorkflowStatus.PAUSING, WorkflowStatus.PAUSED) and not (
            exhausted or stopped
        ):
            return
        final = TaskStatus.FAILED if work.failed else TaskStatus.SUCCEEDED
        if not (exhausted or stopped) and final is TaskStatus.SUCCEEDED:
            final = TaskStatus.CANCELED
        run = tx.run(work.run.id)
        assert run.items is not None
        complete_run(tx, run, final, run.items.results, error=None)


def _retry_decision(
    tx: Tx,
    run: TaskRun,
    task: TaskDef,
    status: TaskStatus,
    result: Any,
    attempt: int,
    item: int | None = None,
) -> float | None:
    """Return the delay before the next attempt, or None if there is none."""
    retry = task.retry
    assert retry is not None
    count = run.retry_count if run.retry_count is not None else 0
    if attempt > count:
        return None
    if retry.when is not None:
        scope = tx.scope(
            run,
            status=status.value,
            result=result,
            has_result=True,
            item=run.items.values[item] if (item is not None and run.items) else None,
            index=item,
            has_item=item is not None,
        )
        try:
            wanted = bool(retry.when.render(scope))
        except ExpressionError as exc:
            tx.error(ErrorRecord(kind="expression", message=str(exc), task=run.task,
                                 route=run.route, run=run.id, field="retry.when"))
            if not tx.policies.lenient_expressions:
                fail_workflow(tx)
            return None
    else:
        wanted = status.value in retry.on_status
    if not wanted:
        return None
    base = 0.0
    if retry.delay is not None:
        value = retry.delay.render(tx.scope(run))
        base = float(value) if isinstance(value, (int, float, str)) and value != "" else 0.0
    return retry_delay(retry.backoff, base, attempt, retry.max_delay)


def _schedule_retry(
    tx: Tx, run: TaskRun, item: int | None, attempt: int, delay: float, status: TaskStatus
) -> None:
    tx.emit(
        TaskRetrying(
            run=run.id,
            task=run.task,
            route=run.route,
            attempt=attempt + 1,
            delay=delay,
            reason=status.value,
            item=item,
        )
    )
    if item is not None:
        progress = run.items
        assert progress is not None
        run = tx.update(
            run, items=_with_attempt(progress, item, attempt + 1)
        )
    if delay > 0:
        key = TimerKey(kind=TimerKind.RETRY, run=run.id, item=item, attempt=attempt + 1)
        tx.emit(SetTimer(key=key, delay=delay))
        return
    retry_now(tx, run, item, attempt + 1)


def _with_attempt(progress: ItemsProgress, item: int, attempt: int) -> ItemsProgress:
    return evolve(progress, {"attempts": progress.attempts.set(item, attempt)})


def retry_now(tx: Tx, run: TaskRun, item: int | None, attempt: int) -> None:
    """Send the next attempt of a run, or of one of its items."""
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
    """End ``run`` with ``status``; evaluate its transitions; settle the workflow."""
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
    tx.emit(
        TaskFinished(
            run=run.id,
            task=run.task,
            route=run.route,
            status=status.value,
            attempts=run.attempt,
            result=result,
            error=error,
            items=progress.total if progress is not None else None,
            items_failed=progress.failed if progress is not None else None,
        )
    )
    if not tx.policies.branch_context:
        record = {"result": result, "status": status.value}
        if isinstance(result, type(pmap())):
            record = {**dict(result.items()), **record}
        tx.tasks_ns = tx.tasks_ns.set(run.task, freeze(record))
    if transitions and status is not TaskStatus.CANCELED:
        _follow_transitions(tx, run, status, result)
    if tx.status is not WorkflowStatus.RUNNING or not tx.defn.task(run.task).transitions:
        tx.update(tx.run(run.id), terminal=True)
    settle(tx)


def _follow_transitions(tx: Tx, run: TaskRun, status: TaskStatus, result: Any) -> None:
    task = tx.defn.task(run.task)
    if not task.transitions:
        if is_abended(status):
            _unhandled(tx, run)
        return
    fired = evaluate_transitions(tx, run, task, status, result)
    arrivals = take_edges(tx, run, fired)
    if arrivals.manual_fail:
        fail_workflow(tx)
        for staged_run in arrivals.ready:
            tx.update(tx.run(staged_run.id), run_on_fail=True)
    if is_abended(status) and not arrivals.remediated:
        _unhandled(tx, run)
    for staged_run in arrivals.ready:
        current = tx.run(staged_run.id)
        if tx.active() or current.run_on_fail or tx.status in (
            WorkflowStatus.PAUSING, WorkflowStatus.PAUSED
        ):
            dispatch(tx, current)
        else:
            _drop(tx, current)


def _unhandled(tx: Tx, run: TaskRun) -> None:
    tx.unhandled_failure = True
    if tx.policies.fail_fast:
        fail_workflow(tx)


def _drop(tx: Tx, run: TaskRun) -> None:
    """A run staged after the workflow failed: it never starts."""
    tx.update(run, status=TaskStatus.CANCELED, finished_at=tx.at)
    tx.open_runs -= 1


def settle(tx: Tx) -> None:
    """Finish or pause the workflow if nothing is left that could change it."""
    if tx.status is WorkflowStatus.PAUSING and tx.inflight == 0:
        tx.status = WorkflowStatus.PAUSED
        tx.emit(WorkflowPaused())
        return
    if tx.status is WorkflowStatus.CANCELING:
        if tx.inflight == 0:
            for run in list(tx.all_runs()):
                if not run.pseudo and run.finished_at is None:
                    cancel_run(tx, run)
            finish(tx, WorkflowStatus.CANCELED)
        return
    if tx.status is WorkflowStatus.FAILING:
        _close_parked(tx)
    if tx.status not in (WorkflowStatus.RUNNING, WorkflowStatus.FAILING) or tx.open_runs:
        return
    for barrier in tx.joins.values():
        if not barrier.fired and tx.policies.routes:
            tx.error(ErrorRecord(
                kind="unreachable_join",
                message=f"join task {barrier.task!r} on route {barrier.route} is partially "
                f"satisfied ({len(barrier.arrived)} arrived) but can no longer be reached",
                task=barrier.task,
                route=barrier.route,
            ))
            tx.unhandled_failure = True
    failed = tx.unhandled_failure or tx.status is WorkflowStatus.FAILING
    finish(tx, WorkflowStatus.FAILED if failed else WorkflowStatus.SUCCEEDED)


def _close_parked(tx: Tx) -> None:
    """End the runs a pause parked, once the workflow fails instead of resuming.

    A failing workflow accepts no resume and starts nothing new, so a run held by the pause
    starts only if it remediates the failure (``run_on_fail``) and is canceled otherwise,
    and a with-items run the pause stopped between items ends (as when it is resumed into a
    failing workflow). Without this, a failure while pausing would leave them open forever.
    """
    if tx.held:
        held, tx.held = tx.held, pvector()
        for run_id in held:
            run = tx.run(run_id)
            if run.run_on_fail:
                dispatch(tx, tx.update(run, status=TaskStatus.READY))
            else:
                complete_run(tx, run, TaskStatus.CANCELED, None, transitions=False)
    if tx.inflight or tx.status is not WorkflowStatus.FAILING:
        return  # a with-items run with items in flight ends when its last item reports
    for run in tx.all_runs():
        if run.items is not None and run.status is TaskStatus.RUNNING and not run.items.active:
            work = tx.open_items(run.id)
            if work is not None:  # None: a nested settle already ended it
                items_advanced(tx, work)


def finish(tx: Tx, status: WorkflowStatus) -> None:
    """Render the output and end the workflow with ``status``."""
    if status is WorkflowStatus.SUCCEEDED or tx.policies.output_on_failure:
        ok = _render_output(tx)
        if not ok and status is WorkflowStatus.SUCCEEDED and not tx.policies.lenient_expressions:
            status = WorkflowStatus.FAILED
    else:
        tx.output = pmap()
    tx.status = status
    tx.finished_at = tx.at
    ordered = {name: thaw(tx.output[name]) for name, _ in tx.defn.outputs if name in tx.output}
    tx.emit(WorkflowFinished(status=status.value, output=ordered, errors=tuple(tx.errors)))


def terminal_context(tx: Tx) -> Any:
    """The variables outputs are rendered with (Orquesta's terminal context)."""
    if not tx.policies.branch_context:
        return tx.store
    ctx: Context | None = None
    for run in tx.all_runs():
        if not run.terminal:
            continue
        ctx = run.ctx if ctx is None else ctx.merged_with(run.ctx)
    return (ctx or tx.root).view


def _render_output(tx: Tx) -> bool:
    view = terminal_context(tx)
    output: PMap = pmap()
    ok = True
    for name, node in tx.defn.outputs:
        scope = Scope(view, params=tx.params, tasks=tx.tasks_ns, system=tx.system())
        try:
            value = node.render(scope)
        except ExpressionError as exc:
            tx.error(ErrorRecord(kind="expression", message=str(exc), field=f"output.{name}"))
            ok = False
            continue
        output = output.set(name, value)
        if tx.policies.branch_context:
            view = view.set(name, value)
    tx.output = output
    return ok


def cancel_run(tx: Tx, run: TaskRun) -> None:
    """End an open run as canceled, stopping its attempts and timers."""
    if run.status is TaskStatus.RUNNING and run.items is None:
        tx.emit(CancelAction(run=run.id, attempt=run.attempt))
        if run.timeout:
            tx.emit(CancelTimer(key=TimerKey(kind=TimerKind.TIMEOUT, run=run.id,
                                             attempt=run.attempt)))
        tx.inflight -= 1
    elif run.items is not None:
        for index, status in enumerate(run.items.statuses):
            if status == ITEM_RUNNING:
                tx.emit(CancelAction(run=run.id, attempt=run.items.attempt_of(index), item=index))
                tx.inflight -= 1
    if run.status is TaskStatus.DELAYED:
        tx.emit(CancelTimer(key=TimerKey(kind=TimerKind.DELAY, run=run.id)))
    if run.status is TaskStatus.RETRYING:
        tx.emit(CancelTimer(key=TimerKey(kind=TimerKind.RETRY, run=run.id,
                                         attempt=run.attempt + 1)))
    tx.update(run, status=TaskStatus.CANCELED, finished_at=tx.at, terminal=True)
    tx.open_runs -= 1
    tx.emit(TaskFinished(run=run.id, task=run.task, route=run.route, status="canceled",
                         attempts=run.attempt))
