"""What a finished execution looks like to its caller.

:class:`ExecutionResult` holds the final status, the output (a plain dict), the error records
(each naming its task and route where there is one) and one :class:`TaskRecord` per task run.
``sequence`` also lists the runs of engine commands (``continue``, ``noop``, ``fail``), in the
order the runs were created. Built from the final state by :func:`build_result`.

Misuse: results are plain data for callers; the engine never reads them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from runtime.commands import ErrorRecord, WorkflowFinished
from runtime.machine.rerun import rerun_history
from runtime.masking import Masker
from runtime.status import TaskStatus, WorkflowStatus
from runtime.values import thaw

__all__ = ["ErrorInfo", "ExecutionResult", "TaskRecord", "WorkflowStatusName", "build_result"]


WorkflowStatusName = WorkflowStatus
"""The name this module gave the final status before statuses had one enum (kept for
callers: ``result.status`` is a :class:`~runtime.status.WorkflowStatus`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorInfo:
    """One error of an execution, with where it happened."""

    kind: str
    message: str
    task: str | None = None
    route: int | None = None
    item: int | None = None
    field: str | None = None
    result: Any = None
    expression: str | None = None
    """The expression that failed (``expression`` errors)."""
    handled_by: str | None = None
    """The transition that handled this failure (``next[1] -> noop``), if one did: the
    entry is kept, as Orquesta keeps it, but it did not fail the workflow."""

    @property
    def handled(self) -> bool:
        """Tell whether a transition handled this failure."""
        return self.handled_by is not None

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRecord:
    """One task run (one execution of a task on a route)."""

    name: str
    route: int
    status: TaskStatus
    result: Any
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    run: int = 0
    route_path: tuple[str, ...] = ()
    """Orquesta route labels (``task__tK`` split points) of this run's route."""
    items: int | None = None
    error: str | None = None
    action: str | None = None
    pseudo: bool = False
    """True for runs of the engine commands ``continue``, ``noop`` and ``fail``."""

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, when both are known."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionResult:
    """The outcome of one workflow execution."""

    execution_id: str
    status: WorkflowStatus
    output: dict[str, Any]
    errors: list[ErrorInfo]
    tasks: list[TaskRecord]
    sequence: list[TaskRecord] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    events: int = 0
    """How many events the state machine consumed."""
    reruns: list[dict[str, Any]] = field(default_factory=list)
    """The execution's reruns, in order (:func:`runtime.machine.rerun.rerun_history`)."""

    @property
    def succeeded(self) -> bool:
        """Tell whether the execution succeeded."""
        return self.status is WorkflowStatus.SUCCEEDED

    def task(self, name: str) -> TaskRecord:
        """The last run of task ``name`` (KeyError if it never ran)."""
        for record in reversed(self.tasks):
            if record.name == name:
                return record
        raise KeyError(name)


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


def _error(record: ErrorRecord, masker: Masker) -> ErrorInfo:
    return ErrorInfo(kind=record.kind, message=masker.text(record.message), task=record.task,
                     route=record.route, item=record.item, field=record.field,
                     result=masker.data(thaw(record.result)),
                     expression=masker.text(record.expression) if record.expression else None,
                     handled_by=record.handled_by)


def build_result(state: Any, finished: WorkflowFinished, masker: Masker,
                 events: list[Any] | None = None) -> ExecutionResult:
    """Build the caller's view of a finished execution from its final state."""
    sequence: list[TaskRecord] = []
    for run in state.runs:
        if (not run.pseudo and run.started_at is None and run.attempt == 0
                and run.delayed_at is None):
            continue  # staged, never started: held and canceled, or dropped by a failure
        sequence.append(
            TaskRecord(
                name=run.task,
                route=run.route,
                status=run.status,
                result=thaw(run.result),
                attempts=run.attempt,
                started_at=_time(run.started_at),
                finished_at=_time(run.finished_at),
                run=run.id,
                route_path=tuple(state.routes[run.route]),
                items=run.items.total if run.items is not None else None,
                error=masker.text(run.error) if run.error else None,
                action=run.action,
                pseudo=run.pseudo,
            )
        )
    return ExecutionResult(
        execution_id=state.execution_id,
        status=finished.status,
        output=dict(thaw(finished.output) or {}),
        errors=[_error(e, masker) for e in finished.errors],
        tasks=[r for r in sequence if not r.pseudo],
        sequence=sequence,
        started_at=_time(state.started_at),
        finished_at=_time(state.finished_at),
        events=len(events) if events is not None else state.events,
        reruns=rerun_history(state),
    )
