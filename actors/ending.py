"""How an execution's end reaches its caller and its parent.

A finished execution's :class:`~runtime.results.ExecutionResult` goes to whoever waits on
its future; a sub-workflow also reports to its parent supervisor as the attempt it ran
(:func:`report_for_parent`, through the :class:`ParentLink` it was started with). When an
execution ends on an engine bug rather than by the machine's decision, the runs still open
in the state are reported failed (:func:`close_open_runs`): no task is left ``running`` in a
result.

Misuse: mask what leaves the execution here with the execution's own masker (the parent's
does not know the child's secrets); never build a result for an execution still running.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from runtime.commands import WorkflowFinished
from runtime.masking import Masker
from runtime.records import record
from runtime.results import ExecutionResult, TaskRecord
from runtime.status import TASK_DONE, Outcome, TaskStatus, WorkflowStatus

from .messages import AttemptKey, Performed

__all__ = ["ParentLink", "close_open_runs", "report_for_parent"]



@record
class ParentLink:
    """Where a sub-workflow's supervisor reports: its parent and the attempt it runs."""

    ref: Any
    key: AttemptKey
    execution: str
    task: str
    depth: int = 1
    """How deep the sub-workflow nests (1: a child of a top-level execution)."""


def report_for_parent(command: WorkflowFinished, parent: ParentLink, execution_id: str,
                      masker: Masker) -> Performed:
    """The sub-workflow's end as the report of the parent's attempt (errors masked)."""
    outcome = Outcome.SUCCEEDED if command.status is WorkflowStatus.SUCCEEDED else Outcome.FAILED
    run, item, attempt = parent.key
    error = None if outcome is Outcome.SUCCEEDED else masker.text(
        f"sub-workflow {execution_id} {command.status}: "
        + "; ".join(e.message for e in command.errors[:3]))
    return Performed(run=run, item=item, attempt=attempt, outcome=outcome,
                     result=command.output, error=error, worker="wf/child")


def close_open_runs(result: ExecutionResult, error: str) -> ExecutionResult:
    """``result`` with every task run still open reported failed with ``error``."""
    def close(records: list[TaskRecord]) -> list[TaskRecord]:
        return [r if r.status in TASK_DONE else dataclasses.replace(
            r, status=TaskStatus.FAILED, error=f"engine error: {error}") for r in records]

    return dataclasses.replace(result, tasks=close(result.tasks),
                               sequence=close(result.sequence))
