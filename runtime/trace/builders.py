"""The mutable state of one execution, task run and actor while a trace is read.

:class:`TraceAggregator` (:mod:`runtime.trace.aggregate`) keeps one :class:`ExecBuilder` per
execution, holding an :class:`ActorBuilder` per actor and a :class:`RunBuilder` per task
run; ``freeze`` turns each into its record (:mod:`runtime.trace.records`). Item durations
are kept as float64 in an ``array('d')`` and, only when item details are asked for, the
index, start, status code (:func:`status_code`) and worker of each item in parallel compact
arrays (five numbers per item, no object).

Misuse: do not use the builders outside the aggregator (their fields are filled by its
handlers in a defined order); do not keep a builder after freezing it to "update the
record" (records are values; freeze again); status codes are process-wide (a table that only
grows), never write them to a file.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from runtime.status import TaskStatus
from runtime.trace.fields import as_int
from runtime.trace.reader import TraceEvent, parse_actor
from runtime.trace.records import (
    FAILED_STATUSES,
    RUNNING,
    ActorRecord,
    Distribution,
    ErrorInfo,
    ExecutionRecord,
    ItemRecord,
    RerunRecord,
    StagedRecord,
    TaskRunRecord,
    TransitionRecord,
)

__all__ = ["STATUS_NAMES", "ActorBuilder", "ExecBuilder", "RunBuilder", "status_code"]

STATUS_NAMES: list[str] = [status.value for status in (
    TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.TIMED_OUT, TaskStatus.CANCELED)]
_STATUS_CODES: dict[str, int] = {name: code for code, name in enumerate(STATUS_NAMES)}


def status_code(status: str) -> int:
    """The small int that stands for ``status`` in an item array (new statuses are added)."""
    code = _STATUS_CODES.get(status)
    if code is None:
        code = len(STATUS_NAMES)
        STATUS_NAMES.append(status)
        _STATUS_CODES[status] = code
    return code


def _frozen_floats(values: array[float]) -> memoryview:
    """A read-only view of a copy (the builder's array may still grow)."""
    return memoryview(array("d", values)).toreadonly()


class RunBuilder:
    """Mutable state of one task run while the trace is read."""

    __slots__ = (
        "action",
        "attempts",
        "concurrency",
        "d_index",
        "d_start",
        "d_status",
        "d_worker",
        "durations",
        "end_mono",
        "error",
        "final_duration",
        "finished",
        "items",
        "items_canceled",
        "items_failed",
        "items_succeeded",
        "retries",
        "route",
        "run",
        "start_mono",
        "starts",
        "status",
        "task",
    )

    def __init__(self, run: int, task: str, route: int | None) -> None:
        self.run = run
        self.task = task
        self.route = route
        self.action: str | None = None
        self.status = RUNNING
        self.finished = False
        self.attempts: int | None = None
        self.starts = 0
        self.retries = 0
        self.start_mono: float | None = None
        self.end_mono: float | None = None
        self.final_duration: float | None = None
        self.error: str | None = None
        self.items: int | None = None
        self.concurrency: int | None = None
        self.items_succeeded = 0
        self.items_failed = 0
        self.items_canceled = 0
        self.durations: array[float] | None = None
        self.d_index: array[int] | None = None
        self.d_start: array[float] | None = None
        self.d_status: array[int] | None = None
        self.d_worker: array[int] | None = None

    def freeze(self, execution: str, last_mono: float,
               flying: Sequence[ItemRecord] = ()) -> TaskRunRecord:
        """The run's record; a running run's duration is measured up to ``last_mono``;
        ``flying``: its items in flight (kept with the item details)."""
        duration = self.final_duration
        if duration is None and self.start_mono is not None:
            duration = max(0.0, (self.end_mono or last_mono) - self.start_mono)
        start = self.start_mono
        if start is None and duration is not None and self.end_mono is not None:
            start = self.end_mono - duration
        return TaskRunRecord(
            execution=execution,
            run=self.run,
            task=self.task,
            route=self.route,
            action=self.action,
            status=self.status,
            finished=self.finished,
            attempts=self.attempts
            if self.finished and self.attempts
            else max(self.attempts or 1, self.starts, self.retries + 1),
            retries=self.retries,
            start_mono=start,
            duration=duration,
            error=self.error,
            items=self.items,
            concurrency=self.concurrency,
            items_succeeded=self.items_succeeded,
            items_failed=self.items_failed,
            items_canceled=self.items_canceled,
            item_durations=None if self.durations is None else Distribution.of(self.durations),
            item_values=None if self.durations is None else _frozen_floats(self.durations),
            item_details=self._item_details(flying),
        )

    def _item_details(self, flying: Sequence[ItemRecord]) -> tuple[ItemRecord, ...] | None:
        """The kept items by index (those in flight too), or ``None`` when item details were
        not asked for (or none was seen yet)."""
        if self.d_index is None:
            return tuple(sorted(flying, key=lambda item: item.index)) if flying else None
        assert self.d_start is not None and self.d_status is not None
        assert self.d_worker is not None and self.durations is not None
        items = (
            ItemRecord(
                index=self.d_index[i],
                status=STATUS_NAMES[self.d_status[i]],
                duration=self.durations[i],
                start_mono=self.d_start[i],
                worker=None if self.d_worker[i] < 0 else self.d_worker[i],
            )
            for i in range(len(self.d_index))
        )
        return tuple(sorted((*items, *flying), key=lambda item: item.index))


class ActorBuilder:
    """Mutable state of one actor while the trace is read."""

    __slots__ = (
        "busy",
        "error",
        "first_mono",
        "kind",
        "last_mono",
        "messages",
        "parent",
        "path",
        "spawned_mono",
        "status",
        "stopped_mono",
        "thread",
        "wait_count",
        "wait_total",
    )

    def __init__(self, path: str, mono: float) -> None:
        self.path = path
        self.kind: str | None = None
        self.parent: str | None = None
        self.thread: str | None = None
        self.first_mono = mono
        self.last_mono = mono
        self.spawned_mono: float | None = None
        self.stopped_mono: float | None = None
        self.status = RUNNING
        self.error: str | None = None
        self.messages = 0
        self.busy = 0.0
        self.wait_total = 0.0
        self.wait_count = 0

    def freeze(self, execution: str) -> ActorRecord:
        ref = parse_actor(self.path)
        return ActorRecord(
            execution=execution,
            path=self.path,
            kind=self.kind or ref.kind,
            parent=self.parent,
            thread=self.thread,
            task=ref.task,
            route=ref.route,
            worker=ref.worker,
            first_mono=self.first_mono,
            last_mono=self.last_mono,
            spawned_mono=self.spawned_mono,
            stopped_mono=self.stopped_mono,
            status=self.status,
            error=self.error,
            messages=self.messages,
            busy=self.busy,
            mailbox_wait_total=self.wait_total,
            mailbox_wait_count=self.wait_count,
        )


class ExecBuilder:
    """Mutable state of one execution while the trace is read."""

    __slots__ = (
        "actor_failures",
        "actors",
        "dialect",
        "duration",
        "errors",
        "execution",
        "finished",
        "first_mono",
        "first_ts",
        "item_started",
        "item_workers",
        "last_mono",
        "parent_execution",
        "parent_task",
        "reruns",
        "runs",
        "staged",
        "start_mono",
        "start_ts",
        "status",
        "transitions",
        "workflow",
    )

    def __init__(self, execution: str, mono: float, ts: float | None, keep_graph: bool) -> None:
        self.execution = execution
        self.workflow: str | None = None
        self.dialect: str | None = None
        self.parent_execution: str | None = None
        self.parent_task: str | None = None
        self.status = RUNNING
        self.finished = False
        self.start_ts: float | None = None
        self.first_ts = ts
        self.start_mono: float | None = None
        self.first_mono = mono
        self.last_mono = mono
        self.duration: float | None = None
        self.errors: list[ErrorInfo] = []
        self.actor_failures = 0
        self.runs: dict[int, RunBuilder] = {}
        self.actors: dict[str, ActorBuilder] = {}
        self.item_workers: dict[tuple[str, int | None, int], int] = {}
        self.item_started: dict[tuple[str, int | None, int], float] = {}
        """Items in flight (seen, not finished: ``detail`` traces) -> ``mono`` first seen."""
        self.transitions: list[TransitionRecord] | None = [] if keep_graph else None
        self.staged: list[StagedRecord] | None = [] if keep_graph else None
        self.reruns: list[RerunRecord] = []

    def run(self, ev: TraceEvent) -> RunBuilder | None:
        run = as_int(ev.get("run"))
        task = ev.get("task")
        if run is None or not isinstance(task, str):
            return None
        builder = self.runs.get(run)
        if builder is None:
            builder = self.runs[run] = RunBuilder(run, task, as_int(ev.get("route")))
        return builder

    def _in_flight(self) -> dict[int, list[ItemRecord]]:
        """Run -> its items in flight (``running``, measured up to the last line seen), each
        given to the latest unfinished run of its task and route."""
        open_runs = {(b.task, b.route): key for key, b in sorted(self.runs.items())
                     if not b.finished}
        flying: dict[int, list[ItemRecord]] = {}
        for (task, route, item), start in self.item_started.items():
            run = open_runs.get((task, route))
            if run is not None:
                flying.setdefault(run, []).append(ItemRecord(
                    index=item, status=RUNNING, duration=max(0.0, self.last_mono - start),
                    start_mono=start, worker=self.item_workers.get((task, route, item))))
        return flying

    def freeze(self) -> ExecutionRecord:
        start_mono = self.start_mono if self.start_mono is not None else self.first_mono
        duration = self.duration
        if duration is None:
            duration = max(0.0, self.last_mono - start_mono)
        flying = self._in_flight()
        runs = tuple(
            self.runs[key].freeze(self.execution, self.last_mono, flying.get(key, ()))
            for key in sorted(self.runs)
        )
        if self.finished:
            error_count = len(self.errors)
        else:
            error_count = self.actor_failures + sum(
                1 for run in runs if run.status in FAILED_STATUSES
            )
        items_total = sum(max(run.items or 0, run.items_finished) for run in runs if run.with_items)
        return ExecutionRecord(
            execution=self.execution,
            workflow=self.workflow,
            dialect=self.dialect,
            parent_execution=self.parent_execution,
            parent_task=self.parent_task,
            status=self.status,
            finished=self.finished,
            start_ts=self.start_ts if self.start_ts is not None else self.first_ts,
            start_mono=start_mono,
            last_mono=self.last_mono,
            duration=duration,
            errors=tuple(self.errors),
            error_count=error_count,
            items_total=items_total,
            task_runs=runs,
            actors=tuple(actor.freeze(self.execution) for actor in self.actors.values()),
            transitions=tuple(self.transitions or ()),
            staged=tuple(self.staged or ()),
            reruns=tuple(self.reruns),
        )
