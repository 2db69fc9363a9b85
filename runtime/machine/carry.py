"""The items a with-items rerun keeps: the results of the items that succeeded the first time.

A rerun of a with-items run (:mod:`runtime.machine.rerun`) renders its items again from the
context it saw the first time, so they are usually the same items; :func:`carried_items`
then marks the items that succeeded in the first run as done with their results, and
queues the others
(failed, timed out, canceled, never started) to be released first, as Orquesta resets the
abended items of a rerun task to unset. A rerun that resets the task's items
(``TaskRun.reset_items``), or whose items are no longer the same (an edited parameter
changed them), runs them all.

Misuse: only :func:`runtime.machine.runs.start_run` calls it, on the progress it just expanded.
"""

from __future__ import annotations

from pyrsistent import pvector

from runtime.records import evolve
from runtime.status import TaskStatus

from .state import ItemsProgress, TaskRun
from .tx import Tx

__all__ = ["carried_items"]

_SUCCEEDED: str = TaskStatus.SUCCEEDED._value_


def carried_items(tx: Tx, run: TaskRun, progress: ItemsProgress) -> ItemsProgress:
    """``progress`` with the first run's succeeded items done, for a rerun run."""
    if run.rerun_of is None or run.reset_items:
        return progress
    first = tx.run(run.rerun_of).items
    if first is None or first.values != progress.values:
        return progress
    kept = [index for index, status in enumerate(first.statuses) if status == _SUCCEEDED]
    keep = set(kept)
    again = [index for index in range(progress.total) if index not in keep]
    return evolve(progress, {
        "results": pvector(first.results[i] if i in keep else None
                           for i in range(progress.total)),
        "statuses": pvector(_SUCCEEDED if i in keep else None for i in range(progress.total)),
        "next_index": progress.total,
        "returned": pvector(again),
        "done": len(kept),
    })
