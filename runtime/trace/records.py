"""What the trace tools know about an execution: frozen records of executions, task runs,
items, actors, transitions and staging, plus duration distributions.

:class:`ExecutionRecord` and the records it holds are built by
:class:`runtime.trace.aggregate.TraceAggregator` from a trace and read by every
presentation (summary, tree, stats, why, html). They are values: frozen, slotted, and
comparable.

Misuse: do not build them by hand from trace lines (feed the aggregator: it knows the
fallbacks of partial traces); do not treat a record of a running execution as final
(``finished`` is false, durations so far are measured up to the last line seen); statuses
are the trace's strings (a newer engine may add some): the values of
:mod:`runtime.status`'s enums, compared with :data:`FAILED_STATUSES` and :data:`RUNNING`
(derived from those enums), never with a closed list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runtime.status import ABENDED, TaskStatus
from runtime.trace.formatting import format_time

__all__ = [
    "FAILED_STATUSES",
    "RUNNING",
    "ActorRecord",
    "Distribution",
    "ErrorInfo",
    "ExecutionRecord",
    "ItemRecord",
    "RerunRecord",
    "StagedRecord",
    "TaskRunRecord",
    "TransitionRecord",
    "nearest_rank",
    "task_actor_path",
]

RUNNING: str = TaskStatus.RUNNING.value
"""Status of an execution, task run or actor that has not finished (yet) in the trace."""

FAILED_STATUSES: frozenset[str] = frozenset(status.value for status in ABENDED)
"""Statuses counted as failures (``canceled`` is not one)."""


def nearest_rank(ordered: Sequence[float], percent: float) -> float:
    """Return the nearest-rank ``percent`` percentile of already sorted, non-empty values."""
    if not ordered:
        raise ValueError("percentile of no values")
    rank = max(1, math.ceil(percent / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True, slots=True, kw_only=True)
class Distribution:
    """Count, nearest-rank p50/p95, max and mean of some durations (seconds)."""

    count: int
    p50: float | None = None
    p95: float | None = None
    max: float | None = None
    mean: float | None = None

    @classmethod
    def of(cls, values: Iterable[float]) -> Distribution:
        """Summarise ``values`` (sorted here; the input is not changed)."""
        ordered = sorted(values)
        if not ordered:
            return cls(count=0)
        return cls(
            count=len(ordered),
            p50=nearest_rank(ordered, 50),
            p95=nearest_rank(ordered, 95),
            max=ordered[-1],
            mean=math.fsum(ordered) / len(ordered),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the distribution as a JSON-ready dict."""
        return {
            "count": self.count,
            "p50": self.p50,
            "p95": self.p95,
            "max": self.max,
            "mean": self.mean,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorInfo:
    """One entry of ``workflow.finished``'s ``errors``."""

    kind: str | None = None
    task: str | None = None
    route: int | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemRecord:
    """One item of a with-items task run (only built when item details were kept)."""

    index: int
    status: str
    duration: float
    start_mono: float
    """``mono`` the item started (its ``item.finished`` mono minus its duration)."""
    worker: int | None = None
    """``k`` of the worker actor ``.../w<k>`` that handled it, when the trace says."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRunRecord:
    """One run of a task (all its attempts), from ``task.*`` and ``item.finished`` lines."""

    execution: str
    run: int
    task: str
    route: int | None
    action: str | None = None
    status: str = RUNNING
    finished: bool = False
    attempts: int = 1
    retries: int = 0
    start_mono: float | None = None
    duration: float | None = None
    """Seconds (from ``task.finished``; for a running run, up to the last line seen)."""
    error: str | None = None
    items: int | None = None
    """Declared item count for a with-items run, else ``None``."""
    concurrency: int | None = None
    items_succeeded: int = 0
    items_failed: int = 0
    """Items that ``failed`` or ``timed_out``."""
    items_canceled: int = 0
    item_durations: Distribution | None = None
    item_values: memoryview | None = field(default=None, compare=False, repr=False)
    """Read-only view of every item duration (float64), for merging percentiles."""
    item_details: tuple[ItemRecord, ...] | None = None

    @property
    def actor(self) -> str:
        """Path of the task's actor, ``wf/<task>@<route>``."""
        return task_actor_path(self.task, self.route)

    @property
    def label(self) -> str:
        """``task@route``."""
        return f"{self.task}@{'?' if self.route is None else self.route}"

    @property
    def with_items(self) -> bool:
        """True for a with-items task run."""
        return self.items is not None or self.item_durations is not None

    @property
    def items_finished(self) -> int:
        """Items that finished in any status."""
        return self.items_succeeded + self.items_failed + self.items_canceled


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorRecord:
    """One actor of an execution: lifecycle and message-handling totals."""

    execution: str
    path: str
    kind: str
    parent: str | None = None
    thread: str | None = None
    task: str | None = None
    route: int | None = None
    worker: int | None = None
    first_mono: float
    last_mono: float
    spawned_mono: float | None = None
    stopped_mono: float | None = None
    status: str = RUNNING
    """``running``, ``stopped`` or ``failed``."""
    error: str | None = None
    messages: int = 0
    """Messages handled."""
    busy: float = 0.0
    """Seconds spent in handlers."""
    mailbox_wait_total: float = 0.0
    mailbox_wait_count: int = 0

    @property
    def mean_mailbox_wait(self) -> float | None:
        """Mean seconds a message waited in this actor's mailbox."""
        if not self.mailbox_wait_count:
            return None
        return self.mailbox_wait_total / self.mailbox_wait_count


@dataclass(frozen=True, slots=True, kw_only=True)
class TransitionRecord:
    """A ``transition.evaluated`` line: source task run, condition, result, targets."""

    mono: float
    task: str
    route: int | None
    run: int | None
    index: int | None
    when: str | None
    result: bool
    targets: tuple[str, ...]
    published: tuple[str, ...]
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StagedRecord:
    """A ``task.staged`` line: ``source`` (run ``run``) staged ``task@route``."""

    mono: float
    task: str
    route: int | None
    run: int | None
    source: str | None
    join: str | int | None
    satisfied: int | None
    required: int | None
    ready: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RerunRecord:
    """One run of a ``workflow.rerun`` line: rerun ``number`` ran ``task`` again as run
    ``run``, a rerun of run ``rerun_of``."""

    mono: float
    number: int | None
    task: str
    run: int | None
    rerun_of: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionRecord:
    """Everything aggregated about one execution."""

    execution: str
    workflow: str | None = None
    dialect: str | None = None
    parent_execution: str | None = None
    parent_task: str | None = None
    status: str = RUNNING
    finished: bool = False
    start_ts: float | None = None
    """Wall-clock start (``ts`` of ``workflow.started``, else of the first line)."""
    start_mono: float
    """``mono`` of ``workflow.started`` (else of the first line seen)."""
    last_mono: float
    duration: float
    """Seconds (from ``workflow.finished``, else up to the last line seen)."""
    errors: tuple[ErrorInfo, ...] = ()
    error_count: int = 0
    """``len(errors)`` once finished; while running, failed task runs plus failed actors."""
    items_total: int = 0
    task_runs: tuple[TaskRunRecord, ...] = ()
    actors: tuple[ActorRecord, ...] = ()
    transitions: tuple[TransitionRecord, ...] = ()
    staged: tuple[StagedRecord, ...] = ()
    reruns: tuple[RerunRecord, ...] = ()

    @property
    def start_time(self) -> str | None:
        """ISO-8601 UTC start time."""
        return None if self.start_ts is None else format_time(self.start_ts)


def task_actor_path(task: str, route: int | None) -> str:
    """Return the actor path of a task run: ``wf/<task>@<route>``."""
    return f"wf/{task}@{'?' if route is None else route}"
