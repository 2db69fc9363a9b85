"""Retries: whether a failed attempt is tried again, when, and with which attempt number.

:func:`retry_decision` applies the task's retry policy (``count``, ``when`` or the statuses to
retry on, ``delay`` with its backoff) to an attempt that ended; :func:`schedule_retry`
announces the retry and either sets its timer or says the next attempt goes now. Sending the
attempt is the caller's: a run without items sends it itself, a with-items run through its
items (:mod:`runtime.machine.items`).

Misuse: only the machine calls these, inside one :class:`~runtime.machine.tx.Tx`, and only
while the workflow may start new work (``tx.active()``).
"""

from __future__ import annotations

from typing import Any

from runtime.commands import SetTimer, TaskRetrying
from runtime.errors import ExpressionError
from runtime.events import TimerKey, TimerKind
from runtime.retry import retry_delay
from runtime.spec.model import TaskDef
from runtime.status import TaskStatus

from .fields import expr_record
from .state import ItemsProgress, TaskRun
from .tx import Tx, evolve, fail_workflow

__all__ = ["retry_decision", "schedule_retry"]


def retry_decision(
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
    field = "retry.when"
    try:
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
            wanted = bool(retry.when.render(scope))
        else:
            wanted = status.value in retry.on_status
        if not wanted:
            return None
        base = 0.0
        if retry.delay is not None:
            field = "retry.delay"
            value = retry.delay.render(tx.scope(run))
            base = float(value) if isinstance(value, (int, float, str)) and value != "" else 0.0
    except (ExpressionError, ValueError) as exc:
        error = exc if isinstance(exc, ExpressionError) else ExpressionError(
            f"retry delay must be a number: {exc}",
            expression=next(iter(retry.delay.sources()), "") if retry.delay else "",
            task=run.task, field=field)
        tx.error(evolve(expr_record(run, error, item), {"field": field}))
        if not tx.policies.lenient_expressions:
            fail_workflow(tx)
        return None
    return retry_delay(retry.backoff, base, attempt, retry.max_delay)


def schedule_retry(
    tx: Tx, run: TaskRun, item: int | None, attempt: int, delay: float, status: TaskStatus
) -> bool:
    """Announce attempt ``attempt + 1``; set its timer, or return True: send it now."""
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
        tx.update(run, items=_with_attempt(progress, item, attempt + 1))
    if delay > 0:
        key = TimerKey(kind=TimerKind.RETRY, run=run.id, item=item, attempt=attempt + 1)
        tx.emit(SetTimer(key=key, delay=delay))
        return False
    return True


def _with_attempt(progress: ItemsProgress, item: int, attempt: int) -> ItemsProgress:
    return evolve(progress, {"attempts": progress.attempts.set(item, attempt)})
