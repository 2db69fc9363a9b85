"""Decisions the workflow state machine hands to whoever drives it.

``RunAction``/``CancelAction``/``SetTimer``/``CancelTimer`` ask for work; ``WorkflowFinished``
and ``WorkflowPaused`` report the execution's outcome; the remaining commands are notices
(task started, item finished, transition evaluated...) that drivers forward to progress
listeners and to the trace. Like events, commands are frozen and hold immutable data only.

Misuse: a driver must carry out work commands in order and must feed back exactly one
:class:`runtime.events.ActionCompleted` per ``RunAction`` (or none if it was cancelled and the
machine has already moved on, which it tolerates); notices need no answer.
"""

from __future__ import annotations

from typing import Any

from runtime.events import TimerKey
from runtime.inquiries import Inquiry
from runtime.records import record
from runtime.status import TaskStatus, WorkflowStatus

__all__ = [
    "CancelAction",
    "CancelTimer",
    "Command",
    "ErrorRecord",
    "InquiryChanged",
    "ItemFinished",
    "RunAction",
    "SetTimer",
    "SizeWarning",
    "TaskFinished",
    "TaskRetrying",
    "TaskStaged",
    "TaskStarted",
    "TransitionEvaluated",
    "WorkflowFinished",
    "WorkflowPaused",
    "WorkflowRerun",
    "WorkflowResumed",
    "WorkflowStarted",
    "sub_execution_id",
]


@record
class ErrorRecord:
    """One entry of a workflow's error list.

    ``kind`` is stable: ``action_failed``, ``action_timed_out``, ``outcome_unknown`` (an
    attempt that started before a crash and left no outcome, of an action that is not
    idempotent), ``worker_lost`` (the worker process or node of a remote attempt died, and
    its action is not idempotent), ``result_too_large`` (a result or published value over a
    size limit), ``expression``, ``unreachable_join``, ``fail_command``, ``items``, ``parameters``,
    ``output``, ``canceled``, ``engine``.

    ``handled_by`` names the transition that handled a failure (``next[1] -> noop``): the
    entry stays in the workflow's errors, as in Orquesta, but it did not fail the workflow.
    ``expression`` is the source of the expression that failed, for ``expression`` errors.
    """

    kind: str
    message: str
    task: str | None = None
    route: int | None = None
    run: int | None = None
    item: int | None = None
    field: str | None = None
    result: Any = None
    expression: str | None = None
    handled_by: str | None = None


@record
class RunAction:
    """Run one attempt of a task run's action (one item of it for with-items)."""

    run: int
    task: str
    route: int
    attempt: int
    action: str | None
    """Action reference, or None for an action-less task (completes as a no-op)."""
    input: Any
    """Rendered, frozen input mapping (or None)."""
    item: int | None = None
    timeout: float | None = None
    concurrency: int | None = None
    """For with-items: the task's concurrency, so a driver can size its worker pool."""
    rerun: int = 0
    """The number of the rerun its run belongs to (0: the first run), for its idempotency
    key (:func:`runtime.actions.idempotency_key`)."""
    child: str | None = None
    """The sub-workflow execution this attempt continues instead of starting one (a
    rerun's, inside the sub-workflow its first run started: :mod:`runtime.machine.rerun`)."""


def sub_execution_id(parent: str, command: RunAction) -> str:
    """The id of the sub-workflow execution a ``RunAction`` of ``parent`` starts.

    The same attempt always gets the same id (the parent's id, the task, the run, the item,
    the attempt after the first), so a recovered parent finds its child's journal; an
    attempt that continues a child (``command.child``: a rerun's) names that one.
    """
    if command.child is not None:
        return command.child
    child = f"{parent}.{command.task}.{command.run}"
    if command.item is not None:
        child += f".{command.item}"
    if command.attempt > 1:
        child += f".a{command.attempt}"
    return child


@record
class CancelAction:
    """Stop an attempt that is running (its completion, if it comes, will be ignored)."""

    run: int
    attempt: int
    item: int | None = None
    reason: str = "canceled"


@record
class SetTimer:
    """Deliver ``TimerFired(key)`` after ``delay`` seconds."""

    key: TimerKey
    delay: float


@record
class CancelTimer:
    """Forget a timer that is no longer needed (a late firing is ignored anyway)."""

    key: TimerKey


@record
class WorkflowStarted:
    """The execution started (inputs rendered)."""

    execution_id: str
    inputs: Any


@record
class TaskStarted:
    """A task run started (its first attempt was dispatched)."""

    run: int
    task: str
    route: int
    action: str | None
    items: int | None = None
    concurrency: int | None = None


@record
class TaskRetrying:
    """A task run (or an item of it) will be attempted again after ``delay`` seconds."""

    run: int
    task: str
    route: int
    attempt: int
    delay: float
    reason: str
    item: int | None = None


@record
class ItemFinished:
    """One item of a with-items task run finished."""

    run: int
    task: str
    route: int
    item: int
    status: TaskStatus
    done: int
    total: int


@record
class TaskFinished:
    """A task run (or pseudo-task run) finished."""

    run: int
    task: str
    route: int
    status: TaskStatus
    attempts: int
    result: Any = None
    error: str | None = None
    items: int | None = None
    items_failed: int | None = None
    pseudo: bool = False
    """A run of an engine command (``continue``, ``noop``, ``fail``), not of a task."""


@record
class TransitionEvaluated:
    """A transition of a finished task run was evaluated."""

    run: int
    task: str
    route: int
    transition: int
    when: str | None
    result: bool
    targets: tuple[str, ...]
    published: tuple[str, ...]
    error: str | None = None


@record
class TaskStaged:
    """A transition reached a task: it is ready, or a join is waiting for more arrivals."""

    task: str
    route: int
    source: str
    source_run: int
    join: str | int | None
    satisfied: int
    required: int
    ready: bool
    run: int | None = None
    """The new run's id when ready."""


@record
class SizeWarning:
    """A result (``measure="result"``), or the execution's total of results kept and values
    published (``measure="execution"``, given once), passed its warning threshold
    (:mod:`runtime.limits`); ``size`` and ``limit`` are in bytes of JSON."""

    task: str
    route: int
    run: int
    size: int
    limit: int
    measure: str
    item: int | None = None


@record
class WorkflowPaused:
    """Nothing is running any more and the execution is paused."""


@record
class WorkflowResumed:
    """The execution left the paused state."""


@record
class WorkflowRerun:
    """A finished execution runs again from ``tasks`` (:mod:`runtime.machine.rerun`):
    ``runs`` are the new runs, ``rerun_of`` the runs they run again (in the same order)."""

    number: int
    tasks: tuple[str, ...]
    runs: tuple[int, ...]
    rerun_of: tuple[int, ...]


@record
class WorkflowFinished:
    """The execution ended; nothing more will happen in it."""

    status: WorkflowStatus
    output: Any
    errors: tuple[ErrorRecord, ...]


@record
class InquiryChanged:
    """An inquiry opened (``pending``) or closed (answered, timed out, canceled): the
    driver lists it for whoever answers (:mod:`runtime.inquiries`), and reports it."""

    inquiry: Inquiry


Command = (
    RunAction
    | CancelAction
    | SetTimer
    | CancelTimer
    | WorkflowStarted
    | TaskStarted
    | TaskRetrying
    | ItemFinished
    | TaskFinished
    | TransitionEvaluated
    | TaskStaged
    | SizeWarning
    | WorkflowPaused
    | WorkflowResumed
    | WorkflowRerun
    | WorkflowFinished
    | InquiryChanged
)
