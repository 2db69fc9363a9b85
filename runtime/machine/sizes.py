"""Size guards in the machine: measuring what arrives against the execution's limits.

A result is measured once when its attempt reports (:func:`result_guard`), a published value
once when it is published (:func:`publish_guard`), both as JSON length
(:func:`runtime.limits.json_size`). The running total is ``Tx.held_bytes``; the limits are
``Tx.limits`` (from the ``WorkflowRequested`` event, so a replay measures the same). Over a
warning threshold a :class:`~runtime.commands.SizeWarning` notice is emitted; over a hard
limit the value is refused: a result's attempt fails with ``result_too_large`` (the caller
ends it), a publish is skipped and the workflow fails.

Misuse: only the machine calls these, once per value, inside one
:class:`~runtime.machine.tx.Tx`; a refused value must not be kept anywhere.
"""

from __future__ import annotations

from typing import Any

from runtime.commands import ErrorRecord, SizeWarning
from runtime.limits import json_size
from runtime.values import freeze

from .fields import RESULT_TOO_LARGE
from .state import TaskRun
from .tx import Tx, fail_workflow

__all__ = ["publish_guard", "result_guard"]


def result_guard(tx: Tx, run: TaskRun, item: int | None, result: Any) -> tuple[str, Any] | None:
    """Measure the result an attempt of ``run`` (item ``item``) returned.

    None when it is kept (counted in the execution's total); else ``(message, result)`` for
    the attempt's ``result_too_large`` failure: the result to record in its place describes
    the size (``{"size", "limit", "limit_name"}``). A result that takes the execution's total
    over its limit also fails the workflow.
    """
    size = json_size(result)
    limits = tx.limits
    cap = limits.result_max_bytes
    if cap and size > cap:
        return _refused(run, item, size, cap, "result_max_bytes")
    warn = limits.result_warn_bytes
    if warn and size > warn:
        tx.emit(SizeWarning(task=run.task, route=run.route, run=run.id, item=item,
                            size=size, limit=warn, measure="result"))
    held = tx.held_bytes
    total = held + size
    cap = limits.context_max_bytes
    if cap and total > cap:
        fail_workflow(tx)
        return _refused(run, item, total, cap, "context_max_bytes")
    warn = limits.context_warn_bytes
    if warn and held <= warn < total:  # _count, inlined: this runs once per item
        _warn_total(tx, run, item, total, warn)
    tx.held_bytes = total
    return None


def publish_guard(tx: Tx, run: TaskRun, key: str, value: Any, transition: int) -> bool:
    """Count a value ``run``'s transition ``next[transition]`` publishes under ``key``; False
    when it is refused (the execution's total would pass its limit: an error record, and the
    workflow fails)."""
    total = tx.held_bytes + json_size(value)
    cap = tx.limits.context_max_bytes
    if cap and total > cap:
        tx.error(ErrorRecord(
            kind=RESULT_TOO_LARGE,
            message=(f"task {run.task!r}: publishing {key!r} takes the execution to "
                     f"{total} bytes, over the limit of {cap} bytes (context_max_bytes); "
                     f"the value was not published"),
            task=run.task, route=run.route, run=run.id,
            field=f"next[{transition}].publish.{key}",
            result=freeze({"size": total, "limit": cap, "limit_name": "context_max_bytes"}),
        ))
        fail_workflow(tx)
        return False
    _count(tx, run, None, total)
    return True


def _count(tx: Tx, run: TaskRun, item: int | None, total: int) -> None:
    """The execution now holds ``total`` bytes: warn once, when it crosses the threshold."""
    warn = tx.limits.context_warn_bytes
    if warn and tx.held_bytes <= warn < total:
        _warn_total(tx, run, item, total, warn)
    tx.held_bytes = total


def _warn_total(tx: Tx, run: TaskRun, item: int | None, total: int, warn: int) -> None:
    tx.emit(SizeWarning(task=run.task, route=run.route, run=run.id, item=item,
                        size=total, limit=warn, measure="execution"))


def _refused(run: TaskRun, item: int | None, size: int, limit: int,
             name: str) -> tuple[str, Any]:
    where = f"task {run.task!r}" + ("" if item is None else f" item {item}")
    what = (f"result of {size} bytes is" if name == "result_max_bytes"
            else f"this result takes the execution to {size} bytes,")
    message = f"{where}: {what} over the limit of {limit} bytes ({name}); it was dropped"
    return message, freeze({"size": size, "limit": limit, "limit_name": name})
