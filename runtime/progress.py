"""Progress events: what a caller following an execution is told, as it happens.

:func:`progress_of` turns the state machine's notices into :class:`ProgressEvent` records
(task started/finished/retrying, item finished, workflow paused/resumed); the supervisor hands
them to the ``on_event`` callbacks given to ``start_workflow`` and to ``handle.events()``.

Misuse: callbacks run in the supervisor's thread: keep them quick and never block in them
(queue the event to your own thread if you need to do real work).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.commands import (
    Command,
    InquiryChanged,
    ItemFinished,
    SizeWarning,
    TaskFinished,
    TaskRetrying,
    TaskStarted,
    WorkflowFinished,
    WorkflowPaused,
    WorkflowRerun,
    WorkflowResumed,
)
from runtime.inquiries import InquiryStatus
from runtime.masking import Masker
from runtime.records import record
from runtime.status import TaskStatus, WorkflowStatus

__all__ = ["ProgressEvent", "progress_of"]


@record
class ProgressEvent:
    """One step of an execution's progress.

    ``kind`` is one of ``task_started``, ``task_retrying``, ``item_finished``,
    ``task_finished``, ``size_warning``, ``workflow_paused``, ``workflow_resumed``,
    ``rerun`` (a finished execution runs again: ``status`` running, ``task`` None),
    ``workflow_finished``, ``inquiry`` (one opened: ``pending``, or closed: ``answered``,
    ``timed_out``, ``canceled``; ``inquiry`` is its id).

    A ``size_warning`` (:mod:`runtime.limits`) has ``size`` and ``limit`` in bytes, and
    ``measure``: ``result`` (one result of the task, or of its ``item``) or ``execution``
    (the execution's total of results kept and values published).
    """

    kind: str
    execution_id: str
    task: str | None = None
    route: int | None = None
    run: int | None = None
    item: int | None = None
    status: TaskStatus | WorkflowStatus | InquiryStatus | None = None
    done: int | None = None
    total: int | None = None
    attempt: int | None = None
    error: str | None = None
    pseudo: bool = False
    size: int | None = None
    limit: int | None = None
    measure: str | None = None
    inquiry: str | None = None


def progress_of(command: Command, execution_id: str, masker: Masker) -> ProgressEvent | None:
    """The progress event for a notice, or None if the notice is not progress."""
    build = _BUILDERS.get(type(command))
    return None if build is None else build(command, execution_id, masker)


def _task_started(command: Any, execution_id: str, masker: Masker) -> ProgressEvent:
    return ProgressEvent(kind="task_started", execution_id=execution_id, task=command.task,
                         route=command.route, run=command.run, total=command.items)


def _task_retrying(command: Any, execution_id: str, masker: Masker) -> ProgressEvent:
    return ProgressEvent(kind="task_retrying", execution_id=execution_id, task=command.task,
                         route=command.route, run=command.run, item=command.item,
                         attempt=command.attempt)


def _item_finished(command: Any, execution_id: str, masker: Masker) -> ProgressEvent:
    return ProgressEvent(kind="item_finished", execution_id=execution_id, task=command.task,
                         route=command.route, run=command.run, item=command.item,
                         status=command.status, done=command.done, total=command.total)


def _task_finished(command: Any, execution_id: str, masker: Masker) -> ProgressEvent:
    return ProgressEvent(kind="task_finished", execution_id=execution_id, task=command.task,
                         route=command.route, run=command.run, status=command.status,
                         attempt=command.attempts, total=command.items,
                         error=masker.text(command.error) if command.error else None,
                         pseudo=command.pseudo)


def _size_warning(command: Any, execution_id: str, masker: Masker) -> ProgressEvent:
    return ProgressEvent(kind="size_warning", execution_id=execution_id, task=command.task,
                         route=command.route, run=command.run, item=command.item,
                         size=command.size, limit=command.limit, measure=command.measure)


def _workflow_paused(command: Any, execution_id: str, masker: Masker) -> ProgressEvent:
    return ProgressEvent(kind="workflow_paused", execution_id=execution_id)


def _workflow_resumed(command: Any, execution_id: str, masker: Masker) -> ProgressEvent:
    return ProgressEvent(kind="workflow_resumed", execution_id=execution_id)


def _rerun(command: Any, execution_id: str, masker: Masker) -> ProgressEvent:
    return ProgressEvent(kind="rerun", execution_id=execution_id,
                         status=WorkflowStatus.RUNNING)


def _workflow_finished(command: Any, execution_id: str, masker: Masker) -> ProgressEvent:
    return ProgressEvent(kind="workflow_finished", execution_id=execution_id,
                         status=command.status)


def _inquiry(command: Any, execution_id: str, masker: Masker) -> ProgressEvent:
    inquiry = command.inquiry
    return ProgressEvent(kind="inquiry", execution_id=execution_id, task=inquiry.task,
                         route=inquiry.route, run=inquiry.run, status=inquiry.status,
                         inquiry=inquiry.id)


_BUILDERS: dict[type, Callable[[Any, str, Masker], ProgressEvent]] = {
    TaskStarted: _task_started,
    TaskRetrying: _task_retrying,
    ItemFinished: _item_finished,
    TaskFinished: _task_finished,
    SizeWarning: _size_warning,
    WorkflowPaused: _workflow_paused,
    WorkflowResumed: _workflow_resumed,
    WorkflowRerun: _rerun,
    WorkflowFinished: _workflow_finished,
    InquiryChanged: _inquiry,
}
