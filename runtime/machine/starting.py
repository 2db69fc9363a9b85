"""Starting work: the workflow's inputs, task runs, their attempts and their items.

Functions here turn a ready task run into commands: a delay timer, or the rendered action
input and one ``RunAction`` per attempt (per item for with-items, at most ``concurrency`` at a
time). Rendering failures end the run as failed with an ``expression`` error record.

Misuse: only :mod:`runtime.machine.core` and :mod:`runtime.machine.finishing` call these, inside
one :class:`Tx`.
"""

from __future__ import annotations

from typing import Any

from pyrsistent import PMap, pmap, pvector

from runtime.commands import ErrorRecord, ItemFinished, RunAction, SetTimer, TaskStarted
from runtime.context import Context
from runtime.errors import ExpressionError
from runtime.events import TimerKey, TimerKind
from runtime.parameters import check_parameters
from runtime.spec.model import TaskDef
from runtime.status import TaskStatus, WorkflowStatus
from runtime.templating import Node, Scope
from runtime.values import freeze

from .state import ITEM_RUNNING, ItemsProgress, TaskRun
from .tx import ItemsWork, Tx, fail_workflow

__all__ = [
    "check_parameters",
    "create_run",
    "dispatch",
    "end_item",
    "release_items",
    "render_inputs",
    "send_attempt",
    "send_item",
    "start_run",
]


def render_inputs(tx: Tx, params: PMap) -> PMap:
    """Render declared inputs in order (a default may use earlier inputs); set the root."""
    defn = tx.defn
    rolling: PMap = pmap()
    for spec in defn.inputs:
        if spec.name in params and params[spec.name] is not None:
            value = params[spec.name]
        elif spec.default is not None:
            value = spec.default.render(Scope(rolling, params=params))
        else:
            value = params.get(spec.name)
        rolling = rolling.set(spec.name, value)
    if not defn.policies.drop_undeclared_inputs:
        for key, value in params.items():
            if key not in rolling:
                rolling = rolling.set(key, value)
    tx.inputs = rolling
    root = rolling if defn.policies.branch_context else pmap()
    for name, node in defn.vars:
        root = root.set(name, node.render(Scope(root, params=rolling)))
    tx.root = Context.root(root)
    tx.store = root
    tx.params = rolling
    return rolling


def create_run(
    tx: Tx,
    task: str,
    route: int,
    ctx: Context,
    *,
    source_run: int | None = None,
    pseudo: bool = False,
    status: TaskStatus = TaskStatus.READY,
    run_on_fail: bool = False,
) -> TaskRun:
    """Append a new run (sequence entry) of ``task`` on ``route``."""
    run = TaskRun(
        id=tx.next_run_id(),
        task=task,
        route=route,
        status=status,
        ctx=ctx,
        created_at=tx.at,
        pseudo=pseudo,
        source_run=source_run,
        run_on_fail=run_on_fail,
    )
    tx.runs.append(run)
    tx.latest = tx.latest.set((task, route), run.id)
    tx.ever_staged = tx.ever_staged.set(task, True)
    if not pseudo:
        tx.open_runs += 1
    return run


def dispatch(tx: Tx, run: TaskRun) -> None:
    """Move a ready run on: hold it while paused, start its delay, or start it."""
    if tx.status in (WorkflowStatus.PAUSING, WorkflowStatus.PAUSED):
        tx.update(run, status=TaskStatus.HELD)
        tx.held = tx.held.append(run.id)
        return
    task = tx.defn.task(run.task)
    if task.delay is not None and run.attempt == 0:
        try:
            delay = _number(task.delay, tx.scope(run), "delay")
        except ExpressionError as exc:
            _fail_to_start(tx, run, exc)
            return
        if delay > 0:
            tx.update(run, status=TaskStatus.DELAYED)
            tx.emit(SetTimer(key=TimerKey(kind=TimerKind.DELAY, run=run.id), delay=delay))
            return
    start_run(tx, run)


def start_run(tx: Tx, run: TaskRun) -> None:
    """Render the run's action and input and send its first attempt (or first items)."""
    task = tx.defn.task(run.task)
    scope = tx.scope(run)
    try:
        action = _action_ref(task, scope)
        timeout = _number(task.timeout, scope, "timeout") if task.timeout is not None else None
        retry_count = None
        if task.retry is not None:
            retry_count = int(_number(task.retry.count, scope, "retry.count"))
        if task.iteration is not None:
            progress = _expand_items(tx, task, scope)
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
        input=None if progress is not None else rendered,
    )
    tx.emit(
        TaskStarted(
            run=run.id,
            task=run.task,
            route=run.route,
            action=action,
            items=progress.total if progress is not None else None,
            concurrency=progress.concurrency if progress is not None else None,
        )
    )
    if progress is None:
        send_attempt(tx, run, 1)
        return
    from .finishing import complete_run, items_advanced

    if progress.total == 0:
        complete_run(tx, run, TaskStatus.SUCCEEDED, freeze([]))
        return
    work = tx.open_items(run.id)
    assert work is not None
    items_advanced(tx, work)


def send_attempt(tx: Tx, run: TaskRun, attempt: int) -> None:
    """Dispatch attempt ``attempt`` of a run without items."""
    run = tx.update(run, attempt=attempt, status=TaskStatus.RUNNING)
    _run_action(tx, run, attempt, run.input)


def _run_action(tx: Tx, run: TaskRun, attempt: int, rendered: Any, item: int | None = None,
                concurrency: int | None = None) -> None:
    """Emit one attempt (and its timeout timer); it is in flight until it reports."""
    tx.inflight += 1
    tx.emit(
        RunAction(
            run=run.id,
            task=run.task,
            route=run.route,
            attempt=attempt,
            action=run.action,
            input=rendered,
            item=item,
            timeout=run.timeout,
            concurrency=concurrency,
        )
    )
    if run.timeout:
        key = TimerKey(kind=TimerKind.TIMEOUT, run=run.id, item=item, attempt=attempt)
        tx.emit(SetTimer(key=key, delay=run.timeout))


def release_items(tx: Tx, work: ItemsWork) -> None:
    """Send items until ``concurrency`` are in flight, unless new work is not allowed.

    An item whose input fails to render ends failed at once (it is never dispatched) and the
    next one is taken in its place (unless failures stop the items).
    """
    assert tx.work.get(work.run.id) is work, "stale items work"
    stop_on_failure = tx.policies.items_stop_on_failure
    statuses = work.statuses
    while (
        work.active < work.concurrency
        and (work.next_index < work.total or work.returned)
        and tx.active()
        and not (work.failed and stop_on_failure)
    ):
        if work.returned:  # items handed back unstarted go first, with their attempt
            index = work.returned[0]
            work.returned = work.returned.delete(0)
            attempt = work.progress.attempt_of(index)
        else:
            index = work.next_index
            work.next_index = index + 1
            attempt = 1
        statuses[index] = ITEM_RUNNING
        work.active += 1
        send_item(tx, work, index, attempt)


def end_item(tx: Tx, work: ItemsWork, item: int, status: TaskStatus, result: Any) -> None:
    """Record that item ``item`` ended with ``status`` (it is no longer in flight)."""
    assert tx.work.get(work.run.id) is work, "stale items work"
    value = status._value_  # the plain attribute: `.value` is a slow descriptor here
    work.results[item] = result
    work.statuses[item] = value
    work.active -= 1
    work.done += 1
    if status is not TaskStatus.SUCCEEDED:
        work.failed += 1
    if tx.item_notices:
        run = work.run
        tx.emit(ItemFinished(run=run.id, task=run.task, route=run.route, item=item,
                             status=value, done=work.done, total=work.total))


def send_item(tx: Tx, work: ItemsWork, item: int, attempt: int) -> None:
    """Render item ``item``'s input and dispatch it (or end it failed if it cannot render)."""
    run = work.run
    task = work.task
    if task.input is None:
        rendered = None
    else:
        scope = tx.scope(run, item=work.progress.values[item], index=item, has_item=True)
        try:
            rendered = task.input.render(scope)
        except ExpressionError as exc:
            tx.error(_expr_record(run, exc, item=item))
            end_item(tx, work, item, TaskStatus.FAILED, None)
            return
    _run_action(tx, run, attempt, rendered, item, work.concurrency)


def _expand_items(tx: Tx, task: TaskDef, scope: Scope) -> ItemsProgress:
    iteration = task.iteration
    assert iteration is not None
    value = iteration.items.render(scope)
    if isinstance(value, (str, bytes)) or not _is_sequence(value):
        if not tx.policies.wrap_non_list_items:
            raise ExpressionError(
                f"with-items value must be a list, got {type(value).__name__}",
                expression=iteration.source,
                task=task.name,
                field="with.items",
            )
        value = [value]
    items = list(value)
    if iteration.names:
        items = [_name_item(iteration.names, v, task) for v in items]
    if iteration.batch_size:
        size = iteration.batch_size
        items = [freeze(items[i : i + size]) for i in range(0, len(items), size)]
    if iteration.concurrency is not None:
        concurrency = int(_number(iteration.concurrency, scope, "with.concurrency"))
        concurrency = max(concurrency, 1)
    elif tx.policies.default_concurrency is not None:
        concurrency = tx.policies.default_concurrency
    else:
        concurrency = max(len(items), 1)
    total = len(items)
    return ItemsProgress(
        values=pvector(items),
        results=pvector([None] * total),
        statuses=pvector([None] * total),
        concurrency=concurrency,
    )


def _is_sequence(value: Any) -> bool:
    from collections.abc import Mapping, Sequence

    return isinstance(value, Sequence) and not isinstance(value, Mapping)


def _name_item(names: tuple[str, ...], value: Any, task: TaskDef) -> Any:
    if len(names) == 1:
        return pmap({names[0]: value})
    if not _is_sequence(value) or isinstance(value, str) or len(value) != len(names):
        raise ExpressionError(
            f"each item must be a list of {len(names)} values for {', '.join(names)}",
            expression=task.iteration.source if task.iteration else "",
            task=task.name,
            field="with.items",
        )
    return pmap(dict(zip(names, value, strict=True)))


def _action_ref(task: TaskDef, scope: Scope) -> str | None:
    if task.action is None:
        return None
    if task.action_ref is not None:
        return task.action_ref
    value = task.action.render(scope)
    if not isinstance(value, str) or not value:
        raise ExpressionError(
            f"action must render to an action reference, got {value!r}",
            expression=next(iter(task.action.sources()), ""),
            task=task.name,
            field="action",
        )
    return value


def _number(node: Node, scope: Scope, field: str) -> float:
    value = node.render(scope)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(
            f"{field} must be a number, got {value!r}",
            expression=next(iter(node.sources()), repr(value)),
            task=scope.task,
            field=field,
        )
    return value


def _expr_record(run: TaskRun, exc: ExpressionError, item: int | None = None) -> ErrorRecord:
    return ErrorRecord(
        kind="expression",
        message=str(exc),
        task=run.task,
        route=run.route,
        run=run.id,
        item=item,
        field=exc.field,
    )


def _fail_to_start(tx: Tx, run: TaskRun, exc: ExpressionError) -> None:
    from .finishing import complete_run

    tx.error(_expr_record(run, exc))
    if tx.policies.lenient_expressions:
        complete_run(tx, run, TaskStatus.FAILED, None, error=str(exc))
    else:
        fail_workflow(tx)
        complete_run(tx, run, TaskStatus.FAILED, None, error=str(exc), transitions=False)
