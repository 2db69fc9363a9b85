"""With-items: one item's life, from the expanded list to its final status.

A with-items run expands its ``items`` expression once (:func:`expand_items`) into an
:class:`~runtime.machine.state.ItemsProgress`; then items are released in order while fewer
than ``concurrency`` are in flight (:func:`release_items`: items handed back unstarted go
first, with their attempt), each rendered and sent as one attempt (:func:`send_item`). An item
that reports (:func:`item_completed`) is retried under the task's policy or ends
(:func:`end_item`); one given back unstarted waits to be released again
(:func:`item_returned`). :func:`items_outcome` says when the run as a whole is over; ending
the run is the caller's (:func:`runtime.machine.runs.items_advanced`).

All of it works on an :class:`~runtime.machine.tx.ItemsWork` (mutable for one step), so an
item costs a few field updates, never a copy of the context.

Misuse: only the machine calls these, inside one :class:`~runtime.machine.tx.Tx`; never keep
an ``ItemsWork`` across a call that may fold it (use the one these functions return).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pyrsistent import pmap, pvector

from runtime.commands import ItemFinished
from runtime.errors import ExpressionError
from runtime.spec.model import TaskDef
from runtime.status import TaskStatus, WorkflowStatus, is_abended
from runtime.templating import Scope, type_name
from runtime.values import freeze

from .attempts import emit_attempt, forget_timeout
from .fields import expr_record, failure_record, number
from .retries import retry_decision, schedule_retry
from .state import ITEM_RUNNING, ItemsProgress
from .tx import ItemsWork, Tx

__all__ = [
    "end_item",
    "expand_items",
    "item_completed",
    "item_returned",
    "items_outcome",
    "release_items",
    "send_item",
]


def expand_items(tx: Tx, task: TaskDef, scope: Scope) -> ItemsProgress:
    """Render the task's items (and concurrency) into the progress of a new run."""
    iteration = task.iteration
    assert iteration is not None
    value = iteration.items.render(scope)
    if isinstance(value, (str, bytes)) or not _is_sequence(value):
        if not tx.policies.wrap_non_list_items:
            raise ExpressionError(
                f"with-items value must be a list, got {type_name(value)}",
                expression=iteration.source,
                task=task.name,
                field="with.items",
            )
        value = [value]
    cap = tx.limits.items_max
    if cap and len(value) > cap:
        raise ExpressionError(
            f"with-items over {len(value)} items, over the limit of {cap} (items_max)",
            expression=iteration.source, task=task.name, field="with.items", limit="items_max")
    items = list(value)
    if iteration.names:
        items = [_name_item(iteration.names, v, task) for v in items]
    if iteration.batch_size:
        size = iteration.batch_size
        items = [freeze(items[i : i + size]) for i in range(0, len(items), size)]
    if iteration.concurrency is not None:
        concurrency = int(number(iteration.concurrency, scope, "with.concurrency"))
        if concurrency < 1:  # never silently one at a time
            raise ExpressionError(
                f"with.concurrency must be at least 1, got {concurrency}",
                expression=next(iter(iteration.concurrency.sources()), ""),
                task=task.name, field="with.concurrency")
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


def release_items(tx: Tx, work: ItemsWork) -> None:
    """Send items until ``concurrency`` are in flight, unless new work is not allowed.

    After an item failed, Orquesta still releases items while other items are in flight and
    stops once none is (dsl.md 1.8; ``items_stop_on_failure``). An item whose input fails to
    render ends failed at once (it is never dispatched) and the next one takes its place.
    """
    assert tx.work.get(work.run.id) is work, "stale items work"
    stop_on_failure = tx.policies.items_stop_on_failure
    statuses = work.statuses
    while (
        work.active < work.concurrency
        and (work.next_index < work.total or work.returned)
        and _may_release(tx, work)
        and not (work.failed and stop_on_failure and not work.active)
    ):
        if work.returned:  # items handed back unstarted go first, with their attempt
            index = work.returned[0]
            work.returned = work.returned.delete(0)
            attempt = work.progress.attempt_of(index)
            again = True
        else:
            index = work.next_index
            work.next_index = index + 1
            attempt = 1
            again = False
        statuses[index] = ITEM_RUNNING
        work.active += 1
        send_item(tx, work, index, attempt, again=again)


def send_item(tx: Tx, work: ItemsWork, item: int, attempt: int, *, again: bool = False) -> None:
    """Render item ``item``'s input and dispatch it (or end it failed if it cannot render).

    A replay's attempt its journal shows reported is dispatched unrendered (it rendered when
    it was sent; :mod:`runtime.machine.reported`), unless it is sent ``again`` (it was given
    back unstarted: the scope may have changed since its first send)."""
    run = work.run
    task = work.task
    if task.input is None or (
        tx.reported and not again and (run.id, item, attempt) in tx.reported
    ):
        rendered = None
    else:
        scope = tx.scope(run, item=work.progress.values[item], index=item, has_item=True)
        try:
            rendered = task.input.render(scope)
        except ExpressionError as exc:
            tx.error(expr_record(run, exc, item=item))
            end_item(tx, work, item, TaskStatus.FAILED, None)
            return
    emit_attempt(tx, run, attempt, rendered, item, work.concurrency)


def end_item(tx: Tx, work: ItemsWork, item: int, status: TaskStatus, result: Any) -> None:
    """Record that item ``item`` ended with ``status`` (it is no longer in flight)."""
    assert tx.work.get(work.run.id) is work, "stale items work"
    work.results[item] = result
    work.statuses[item] = status._value_  # the plain attribute: `.value` is a descriptor
    work.active -= 1
    work.done += 1
    if status is not TaskStatus.SUCCEEDED:
        work.failed += 1
    if tx.item_notices:
        run = work.run
        tx.emit(ItemFinished(run=run.id, task=run.task, route=run.route, item=item,
                             status=status, done=work.done, total=work.total))


def item_completed(
    tx: Tx,
    work: ItemsWork,
    item: int,
    attempt: int,
    status: TaskStatus,
    result: Any,
    error: str | None,
    kind: str | None = None,
) -> ItemsWork | None:
    """Item ``item``'s attempt ended with ``status``: retry it or end it.

    ``kind``: the error record's kind when it does not follow the status
    (:func:`~runtime.machine.fields.failure_record`).

    Returns the run's items work to advance (:func:`runtime.machine.runs.items_advanced`),
    or None when the item waits for a retry timer (nothing else changed).
    """
    tx.inflight -= 1
    run = work.run
    forget_timeout(tx, run, attempt, item)
    if is_abended(status):
        tx.error(failure_record(run, status, result, error, item=item, kind=kind))
    task = work.task
    if task.retry is not None and status is not TaskStatus.CANCELED and tx.active():
        run = tx.run(run.id)  # the retry path works on the run's record
        delay = retry_decision(tx, run, task, status, result, attempt, item=item)
        if delay is not None:
            if not schedule_retry(tx, run, item, attempt, delay, status):
                return None
            reopened = tx.open_items(run.id)
            if reopened is not None:
                send_item(tx, reopened, item, attempt + 1)
            return reopened
        reopened = tx.open_items(run.id)
        assert reopened is not None
        work = reopened
    end_item(tx, work, item, status, result)
    return work


def item_returned(tx: Tx, work: ItemsWork, item: int, attempt: int) -> None:
    """Item ``item``'s attempt went back unstarted: it waits to be released again."""
    tx.inflight -= 1
    forget_timeout(tx, work.run, attempt, item)
    work.statuses[item] = None
    work.active -= 1
    work.returned = work.returned.append(item)


def items_outcome(tx: Tx, work: ItemsWork) -> TaskStatus | None:
    """The run's final status if nothing is left for its items to do, else None.

    Call after :func:`release_items`. A run stopped between items by a pause waits for the
    resume; one stopped by a cancel or a failure of the workflow ends canceled (or failed).
    """
    if work.active:
        return None
    exhausted = work.next_index >= work.total and not work.returned
    stopped = work.failed and tx.policies.items_stop_on_failure
    if not (exhausted or stopped or not _may_release(tx, work)):
        return None
    if tx.status in (WorkflowStatus.PAUSING, WorkflowStatus.PAUSED) and not (
        exhausted or stopped
    ):
        return None
    if work.failed:
        return TaskStatus.FAILED
    return TaskStatus.SUCCEEDED if (exhausted or stopped) else TaskStatus.CANCELED


def _may_release(tx: Tx, work: ItemsWork) -> bool:
    """Tell whether the run may start items: the workflow runs, or it is failing and the run
    was made ready by the same completion as a ``fail`` (``run_on_fail``: it runs whole)."""
    if tx.active():
        return True
    return tx.status is WorkflowStatus.FAILING and work.run.run_on_fail


def _is_sequence(value: Any) -> bool:
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
