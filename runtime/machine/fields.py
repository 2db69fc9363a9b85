"""Rendering a task's scalar fields (action, delay, timeout, counts) and recording failures.

A task's ``action``, ``delay``, ``timeout``, ``retry.count`` and ``concurrency`` may be
expressions; these helpers render one and check its type, raising
:class:`~runtime.errors.ExpressionError` (with the task, the field and the expression) when
it does not fit, and turn such an error into the workflow's error record.

Misuse: only the machine's modules call these, inside one :class:`~runtime.machine.tx.Tx`;
callers decide what a failure does to the run (this module never ends runs).
"""

from __future__ import annotations

from typing import Any

from runtime.commands import ErrorRecord
from runtime.errors import ExpressionError
from runtime.spec.model import TaskDef
from runtime.status import TaskStatus
from runtime.templating import Node, Scope, type_name
from runtime.values import freeze

from .state import TaskRun

__all__ = [
    "BAD_RESULT",
    "OUTCOME_UNKNOWN",
    "RESULT_TOO_LARGE",
    "TASK_RUNS_EXCEEDED",
    "action_ref",
    "expr_record",
    "failure_record",
    "number",
]

OUTCOME_UNKNOWN = "outcome_unknown"
"""Error kind of an attempt whose outcome is :attr:`~runtime.status.Outcome.UNKNOWN`."""

BAD_RESULT = "bad_result"
"""Error kind of a result JSON cannot hold (a set of objects, NaN, a cycle: :func:`json_data`)."""

RESULT_TOO_LARGE = "result_too_large"
TASK_RUNS_EXCEEDED = "task_runs_exceeded"
"""Error kind: the execution would start more than ``task_runs_max`` task runs."""
"""Error kind of a result (or published value) over a size limit (:mod:`runtime.limits`)."""

MAX_NUMBER = 10**9
"""The largest rendered delay, timeout (seconds), count or concurrency: beyond it timers and
loops overflow; the loader's bounds are tighter (:mod:`runtime.spec.bounds`)."""

_DEFAULT_MESSAGES = {
    OUTCOME_UNKNOWN: "Outcome unknown: the attempt started and its outcome was not recorded "
                     "(the action is not idempotent, so it was not run again).",
}


def action_ref(task: TaskDef, scope: Scope) -> str | None:
    """The task's action reference (rendered if it is an expression), or None."""
    if task.action is None:
        return None
    if task.action_ref is not None:
        return task.action_ref
    value = task.action.render(scope)
    if not isinstance(value, str) or not value:
        raise ExpressionError(
            f"action must render to an action reference, got {_shown(value)}",
            expression=next(iter(task.action.sources()), ""),
            task=task.name,
            field="action",
        )
    return value


def number(node: Node, scope: Scope, field: str) -> float:
    """Render ``node`` as a number (a numeric string counts) for the task's ``field``."""
    value = node.render(scope)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not -MAX_NUMBER <= value <= MAX_NUMBER):  # NaN compares False: refused too
        raise ExpressionError(
            f"{field} must be a number from {-MAX_NUMBER} to {MAX_NUMBER}, got {_shown(value)}",
            expression=next(iter(node.sources()), repr(value)),
            task=scope.task,
            field=field,
        )
    return value


def _shown(value: Any) -> str:
    """A scalar as written (``'abc'``, ``nan``); a collection by its JSON type."""
    if isinstance(value, int) and not -MAX_NUMBER <= value <= MAX_NUMBER:
        return f"an integer of {value.bit_length()} bits"
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:60] + "...")
    if isinstance(value, (str, int, float)) or value is None:
        return repr(value)
    return type_name(value)


def expr_record(run: TaskRun, exc: ExpressionError, item: int | None = None) -> ErrorRecord:
    """The error record of an expression of ``run`` (of item ``item``) that failed; one
    stopped by a guard holds ``{"limit_name": ...}`` as its result."""
    return ErrorRecord(
        kind="expression",
        message=str(exc),
        task=run.task,
        route=run.route,
        run=run.id,
        item=item,
        field=exc.field,
        expression=exc.expression or None,
        result=freeze({"limit_name": exc.limit}) if exc.limit else None,
    )


def failure_record(run: TaskRun, status: TaskStatus, result: Any, error: str | None,
                   item: int | None = None, kind: str | None = None) -> ErrorRecord:
    """The error record of an attempt of ``run`` (of item ``item``) that failed or timed out.

    ``kind`` is the record's kind when the attempt's outcome says more than its status
    (:data:`OUTCOME_UNKNOWN`, :data:`RESULT_TOO_LARGE`); by default it follows the status.
    """
    if kind is not None:
        return ErrorRecord(kind=kind, message=error or _DEFAULT_MESSAGES.get(kind, kind),
                           task=run.task, route=run.route, run=run.id, item=item,
                           result=result)
    timed_out = status is TaskStatus.TIMED_OUT
    return ErrorRecord(
        kind="action_timed_out" if timed_out else "action_failed",
        message=error or ("Action timed out." if timed_out else "Execution failed."),
        task=run.task,
        route=run.route,
        run=run.id,
        item=item,
        result=result,
    )
