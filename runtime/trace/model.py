"""Aggregated records of a trace: executions, task runs, items, actors, transitions, spans.

:class:`TraceAggregator` is fed events one by one (from :func:`runtime.trace.reader.iter_events`)
and keeps O(actors + task runs) state per execution, plus, for with-items task runs, the
item durations as floats in an ``array('d')`` (for percentiles) and, only when asked, the
per-item details in compact arrays. :meth:`TraceAggregator.records` freezes what it saw into
:class:`ExecutionRecord` values. :func:`iter_spans` turns events into timed spans and
send/receive flows for the visual exporters, holding only in-flight messages and open runs.

Misuse: do not keep events to aggregate later (feed them as they are read); do not ask for
``item_details`` unless you show items one by one (it keeps five numbers per item); do not
treat a record of a running execution as final (``finished`` is false, durations so far are
measured up to the last line seen).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from runtime.trace.reader import (
    DEFAULT_MAX_ERRORS,
    ErrorHandler,
    ExecutionNotFound,
    TraceEvent,
    iter_events,
    parse_actor,
    resolve_execution,
    scan_executions,
    with_descendants,
)

__all__ = [
    "FAILED_STATUSES",
    "RUNNING",
    "ActorRecord",
    "Distribution",
    "ErrorInfo",
    "ExecutionRecord",
    "Flow",
    "ItemRecord",
    "LoadedExecution",
    "Span",
    "StagedRecord",
    "TaskRunRecord",
    "TraceAggregator",
    "TransitionRecord",
    "format_duration",
    "format_offset",
    "format_time",
    "iter_spans",
    "load_execution",
    "nearest_rank",
    "task_actor_path",
]

RUNNING = "running"
"""Status of an execution, task run or actor that has not finished (yet) in the trace."""

FAILED_STATUSES = frozenset({"failed", "timed_out"})
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

    @property
    def start_time(self) -> str | None:
        """ISO-8601 UTC start time."""
        return None if self.start_ts is None else format_time(self.start_ts)


def task_actor_path(task: str, route: int | None) -> str:
    """Return the actor path of a task run: ``wf/<task>@<route>``."""
    return f"wf/{task}@{'?' if route is None else route}"


def format_time(ts: float) -> str:
    """Return ``ts`` (epoch seconds) as ISO-8601 UTC with milliseconds."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_duration(seconds: float | None) -> str:
    """Return a short human duration: ``850us``, ``12.3ms``, ``4.567s``, ``3m05.2s``."""
    if seconds is None or math.isnan(seconds):
        return "-"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f}us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f}ms"
    if seconds < 60.0:
        return f"{seconds:.3f}s"
    minutes, rest = divmod(seconds, 60.0)
    if minutes < 60:
        return f"{int(minutes)}m{rest:04.1f}s"
    hours, minutes = divmod(minutes, 60.0)
    return f"{int(hours)}h{int(minutes):02d}m{rest:02.0f}s"


def format_offset(seconds: float | None) -> str:
    """Return an offset from the execution start: ``+1.234s``."""
    if seconds is None:
        return "-"
    return f"+{seconds:.3f}s"


# --------------------------------------------------------------------------- aggregation

_STATUS_NAMES: list[str] = ["succeeded", "failed", "timed_out", "canceled"]
_STATUS_CODES: dict[str, int] = {name: code for code, name in enumerate(_STATUS_NAMES)}


def _status_code(status: str) -> int:
    code = _STATUS_CODES.get(status)
    if code is None:
        code = len(_STATUS_NAMES)
        _STATUS_NAMES.append(status)
        _STATUS_CODES[status] = code
    return code


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _strs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(v) for v in value)


def _frozen_floats(values: array[float]) -> memoryview:
    """A read-only view of a copy (the builder's array may still grow)."""
    return memoryview(array("d", values)).toreadonly()


class _RunBuilder:
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

    def freeze(self, execution: str, last_mono: float) -> TaskRunRecord:
        duration = self.final_duration
        if duration is None and self.start_mono is not None:
            duration = max(0.0, (self.end_mono or last_mono) - self.start_mono)
        start = self.start_mono
        if start is None and duration is not None and self.end_mono is not None:
            start = self.end_mono - duration
        details: tuple[ItemRecord, ...] | None = None
        if self.d_index is not None:
            assert self.d_start is not None and self.d_status is not None
            assert self.d_worker is not None and self.durations is not None
            details = tuple(
                sorted(
                    (
                        ItemRecord(
                            index=self.d_index[i],
                            status=_STATUS_NAMES[self.d_status[i]],
                            duration=self.durations[i],
                            start_mono=self.d_start[i],
                            worker=None if self.d_worker[i] < 0 else self.d_worker[i],
                        )
                        for i in range(len(self.d_index))
                    ),
                    key=lambda item: item.index,
                )
            )
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
            item_details=details,
        )


class _ActorBuilder:
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


class _ExecBuilder:
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
        "item_workers",
        "last_mono",
        "parent_execution",
        "parent_task",
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
        self.runs: dict[int, _RunBuilder] = {}
        self.actors: dict[str, _ActorBuilder] = {}
        self.item_workers: dict[tuple[str, int | None, int], int] = {}
        self.transitions: list[TransitionRecord] | None = [] if keep_graph else None
        self.staged: list[StagedRecord] | None = [] if keep_graph else None

    def run(self, ev: TraceEvent) -> _RunBuilder | None:
        run = _int(ev.get("run"))
        task = ev.get("task")
        if run is None or not isinstance(task, str):
            return None
        builder = self.runs.get(run)
        if builder is None:
            builder = self.runs[run] = _RunBuilder(run, task, _int(ev.get("route")))
        return builder

    def freeze(self) -> ExecutionRecord:
        start_mono = self.start_mono if self.start_mono is not None else self.first_mono
        duration = self.duration
        if duration is None:
            duration = max(0.0, self.last_mono - start_mono)
        runs = tuple(
            self.runs[key].freeze(self.execution, self.last_mono) for key in sorted(self.runs)
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
        )


class TraceAggregator:
    """Fold trace events into per-execution records, in O(actors + task runs) memory.

    ``accept`` keeps only executions whose id it approves. ``item_durations`` keeps every
    with-items duration (for percentiles); ``item_details`` also keeps index, status, start
    and worker per item (for ``--items``); ``keep_graph`` keeps ``transition.evaluated``
    and ``task.staged`` lines (for ``why``).
    """

    def __init__(
        self,
        *,
        accept: Callable[[str], bool] | None = None,
        item_durations: bool = True,
        item_details: bool = False,
        keep_graph: bool = False,
    ) -> None:
        self._accept = accept
        self._item_durations = item_durations or item_details
        self._item_details = item_details
        self._keep_graph = keep_graph
        self._execs: dict[str, _ExecBuilder] = {}
        self._rejected: set[str] = set()
        self._handlers: dict[str, Callable[[_ExecBuilder, TraceEvent, float], None]] = {
            "workflow.started": self._workflow_started,
            "workflow.finished": self._workflow_finished,
            "actor.spawned": self._actor_spawned,
            "actor.stopped": self._actor_stopped,
            "actor.failed": self._actor_failed,
            "message.received": self._message_received,
            "message.handled": self._message_handled,
            "task.started": self._task_started,
            "task.retrying": self._task_retrying,
            "item.finished": self._item_finished,
            "task.finished": self._task_finished,
            "transition.evaluated": self._transition,
            "task.staged": self._staged,
        }

    def feed_all(self, events: Iterable[TraceEvent]) -> TraceAggregator:
        """Feed every event of ``events``; return ``self``."""
        for ev in events:
            self.feed(ev)
        return self

    def feed(self, ev: TraceEvent) -> None:
        """Fold one event in (unknown events only update the actor's and clock's state)."""
        execution: str = ev["execution"]
        ex = self._execs.get(execution)
        mono = float(ev["mono"])
        if ex is None:
            if execution in self._rejected:
                return
            if self._accept is not None and not self._accept(execution):
                self._rejected.add(execution)
                return
            ex = self._execs[execution] = _ExecBuilder(
                execution, mono, _float(ev.get("ts")), self._keep_graph
            )
        ex.first_mono = min(ex.first_mono, mono)
        ex.last_mono = max(ex.last_mono, mono)
        actor = ev.get("actor")
        if isinstance(actor, str):
            builder = ex.actors.get(actor)
            if builder is None:
                builder = ex.actors[actor] = _ActorBuilder(actor, mono)
            else:
                builder.first_mono = min(builder.first_mono, mono)
                builder.last_mono = max(builder.last_mono, mono)
            if self._item_details:
                item = ev.get("item")
                if isinstance(item, int) and not isinstance(item, bool):
                    ref = parse_actor(actor)
                    if ref.worker is not None and ref.task is not None:
                        ex.item_workers[(ref.task, ref.route, item)] = ref.worker
        handler = self._handlers.get(ev["event"])
        if handler is not None:
            handler(ex, ev, mono)

    def records(self) -> list[ExecutionRecord]:
        """Return one record per execution seen, in order of first appearance."""
        return [ex.freeze() for ex in self._execs.values()]

    # -- handlers ---------------------------------------------------------------------

    @staticmethod
    def _actor(ex: _ExecBuilder, ev: TraceEvent, mono: float) -> _ActorBuilder | None:
        actor = ev.get("actor")
        return ex.actors.get(actor) if isinstance(actor, str) else None

    def _workflow_started(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        ex.workflow = _str(ev.get("workflow"))
        ex.dialect = _str(ev.get("dialect"))
        ex.parent_execution = _str(ev.get("parent_execution"))
        ex.parent_task = _str(ev.get("parent_task"))
        ex.start_ts = _float(ev.get("ts"))
        ex.start_mono = mono

    def _workflow_finished(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        ex.finished = True
        ex.status = str(ev.get("status") or "finished")
        ex.duration = _float(ev.get("duration"))
        errors = ev.get("errors")
        ex.errors = []
        if isinstance(errors, list):
            for err in errors:
                if isinstance(err, dict):
                    ex.errors.append(
                        ErrorInfo(
                            kind=_str(err.get("kind")),
                            task=_str(err.get("task")),
                            route=_int(err.get("route")),
                            message=_str(err.get("message")),
                        )
                    )
                else:
                    ex.errors.append(ErrorInfo(message=str(err)))

    def _actor_spawned(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        actor = self._actor(ex, ev, mono)
        if actor is not None:
            actor.kind = _str(ev.get("kind")) or actor.kind
            actor.parent = _str(ev.get("parent"))
            actor.thread = _str(ev.get("thread"))
            actor.spawned_mono = mono

    def _actor_stopped(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        actor = self._actor(ex, ev, mono)
        if actor is not None:
            actor.stopped_mono = mono
            if actor.status == RUNNING:
                actor.status = "stopped"

    def _actor_failed(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        ex.actor_failures += 1
        actor = self._actor(ex, ev, mono)
        if actor is not None:
            actor.status = "failed"
            actor.stopped_mono = mono
            kind = ev.get("error_type")
            message = ev.get("error")
            actor.error = f"{kind}: {message}" if kind else _str(message)

    def _message_received(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        actor = self._actor(ex, ev, mono)
        wait = _float(ev.get("mailbox_wait"))
        if actor is not None and wait is not None:
            actor.wait_total += wait
            actor.wait_count += 1

    def _message_handled(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        actor = self._actor(ex, ev, mono)
        if actor is not None:
            actor.messages += 1
            actor.busy += _float(ev.get("duration")) or 0.0

    def _task_started(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        run = ex.run(ev)
        if run is None:
            return
        run.starts += 1
        if run.start_mono is None:
            run.start_mono = mono
            run.action = _str(ev.get("action"))
            run.items = _int(ev.get("items"))
            run.concurrency = _int(ev.get("concurrency"))
        attempt = _int(ev.get("attempt"))
        if attempt is not None and run.finished is False:
            run.attempts = max(run.attempts or 0, attempt)

    def _task_retrying(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        run = ex.run(ev)
        if run is not None:
            run.retries += 1

    def _item_finished(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        run = ex.run(ev)
        if run is None:
            return
        status = str(ev.get("status") or "succeeded")
        if status == "succeeded":
            run.items_succeeded += 1
        elif status in FAILED_STATUSES:
            run.items_failed += 1
        else:
            run.items_canceled += 1
        if not self._item_durations:
            return
        duration = _float(ev.get("duration")) or 0.0
        if run.durations is None:
            run.durations = array("d")
        run.durations.append(duration)
        if self._item_details:
            if run.d_index is None:
                run.d_index, run.d_start = array("q"), array("d")
                run.d_status, run.d_worker = array("b"), array("i")
            assert run.d_start is not None and run.d_status is not None
            assert run.d_worker is not None
            item = _int(ev.get("item"))
            index = -1 if item is None else item
            run.d_index.append(index)
            run.d_start.append(mono - duration)
            run.d_status.append(_status_code(status))
            worker = ex.item_workers.pop((run.task, run.route, index), None)
            named = ev.get("worker")
            if worker is None and isinstance(named, str):
                worker = parse_actor(named).worker  # info-level traces name it on the line
            run.d_worker.append(-1 if worker is None else worker)

    def _task_finished(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        run = ex.run(ev)
        if run is None:
            return
        run.finished = True
        run.status = str(ev.get("status") or "finished")
        actor = self._actor(ex, ev, mono)
        if actor is not None and actor.status == RUNNING:
            actor.status = run.status  # a with-items task's row has no actor of its own
        run.attempts = _int(ev.get("attempts")) or run.attempts
        run.final_duration = _float(ev.get("duration"))
        run.end_mono = mono
        run.error = _str(ev.get("error"))
        items = _int(ev.get("items"))
        if items is not None:
            run.items = items
            failed = _int(ev.get("items_failed"))
            seen = run.items_succeeded + run.items_failed + run.items_canceled
            if seen == 0 and failed is not None:
                # No item.finished lines were seen: take the totals from task.finished.
                run.items_failed = failed
                run.items_succeeded = max(0, items - failed)

    def _transition(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        if ex.transitions is None:
            return
        ex.transitions.append(
            TransitionRecord(
                mono=mono,
                task=str(ev.get("task")),
                route=_int(ev.get("route")),
                run=_int(ev.get("run")),
                index=_int(ev.get("transition")),
                when=_str(ev.get("when")),
                result=bool(ev.get("result")),
                targets=_strs(ev.get("targets")),
                published=_strs(ev.get("published")),
                error=_str(ev.get("error")),
            )
        )

    def _staged(self, ex: _ExecBuilder, ev: TraceEvent, mono: float) -> None:
        if ex.staged is None:
            return
        join = ev.get("join")
        ex.staged.append(
            StagedRecord(
                mono=mono,
                task=str(ev.get("task")),
                route=_int(ev.get("route")),
                run=_int(ev.get("run")),
                source=_str(ev.get("source")),
                join=join if isinstance(join, str | int) and not isinstance(join, bool) else None,
                satisfied=_int(ev.get("satisfied")),
                required=_int(ev.get("required")),
                ready=bool(ev.get("ready")),
            )
        )


# --------------------------------------------------------------------------- spans


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    """A timed interval on one actor: a handled message, a task run or an item."""

    execution: str
    actor: str
    kind: str
    """``message``, ``task`` or ``item``."""
    name: str
    start: float
    """``mono`` seconds."""
    duration: float
    status: str | None = None
    task: str | None = None
    route: int | None = None
    run: int | None = None
    item: int | None = None
    msg_id: int | None = None
    attempts: int | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """A message from ``sender`` (sent at ``send_mono``) to ``receiver`` (received then)."""

    execution: str
    msg_id: int
    name: str
    sender: str
    send_mono: float
    receiver: str
    recv_mono: float


class _SpanBuilder:
    """State of :func:`iter_spans`: in-flight messages, item workers, open task runs."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, int], tuple[str, float, str]] = {}
        self.received: dict[tuple[str, int], tuple[str, float, str]] = {}
        self.workers: dict[tuple[str, str, int | None, int], str] = {}
        self.open_runs: dict[tuple[str, int], tuple[str, int | None, float, str | None]] = {}
        self.last_mono: dict[str, float] = {}

    def feed(self, ev: TraceEvent) -> Span | Flow | None:
        execution: str = ev["execution"]
        mono = float(ev["mono"])
        if mono > self.last_mono.get(execution, -math.inf):
            self.last_mono[execution] = mono
        kind: str = ev["event"]
        actor = ev.get("actor")
        if not isinstance(actor, str):
            actor = "wf"
        item = _int(ev.get("item"))
        if item is not None:
            ref = parse_actor(actor)
            if ref.worker is not None and ref.task is not None:
                self.workers[(execution, ref.task, ref.route, item)] = actor
        if kind == "message.handled":
            duration = _float(ev.get("duration")) or 0.0
            return Span(
                execution=execution,
                actor=actor,
                kind="message",
                name=str(ev.get("msg") or "message"),
                start=mono - duration,
                duration=duration,
                msg_id=_int(ev.get("msg_id")),
                task=_str(ev.get("task")),
                item=item,
            )
        if kind in ("message.sent", "message.received"):
            return self.message(ev, execution, actor, mono)
        if kind == "task.started":
            run = _int(ev.get("run"))
            task = ev.get("task")
            if run is not None and isinstance(task, str):
                self.open_runs.setdefault(
                    (execution, run), (task, _int(ev.get("route")), mono, _str(ev.get("action")))
                )
            return None
        if kind == "task.finished":
            return self.task_finished(ev, execution, mono)
        if kind == "item.finished":
            return self.item_finished(ev, execution, mono, item)
        return None

    def message(self, ev: TraceEvent, execution: str, actor: str, mono: float) -> Flow | None:
        msg_id = _int(ev.get("msg_id"))
        if msg_id is None:
            return None
        key = (execution, msg_id)
        this = (actor, mono, str(ev.get("msg") or "message"))
        is_send = ev["event"] == "message.sent"
        mine, other = (self.sent, self.received) if is_send else (self.received, self.sent)
        match = other.pop(key, None)
        if match is None:
            mine[key] = this
            return None
        snd, rcv = (this, match) if is_send else (match, this)
        return Flow(
            execution=execution,
            msg_id=msg_id,
            name=snd[2],
            sender=snd[0],
            send_mono=snd[1],
            receiver=rcv[0],
            recv_mono=rcv[1],
        )

    def task_finished(self, ev: TraceEvent, execution: str, mono: float) -> Span | None:
        run = _int(ev.get("run"))
        task = ev.get("task")
        if run is None or not isinstance(task, str):
            return None
        opened = self.open_runs.pop((execution, run), None)
        given = _float(ev.get("duration"))
        if opened is not None:
            start = opened[2]
            duration = mono - start if given is None else given
        else:
            duration = given or 0.0
            start = mono - duration
        route = _int(ev.get("route"))
        return Span(
            execution=execution,
            actor=task_actor_path(task, route),
            kind="task",
            name=f"{task}@{route}",
            start=start,
            duration=max(0.0, duration),
            status=str(ev.get("status") or "finished"),
            task=task,
            route=route,
            run=run,
            attempts=_int(ev.get("attempts")),
            action=opened[3] if opened is not None else None,
        )

    def item_finished(
        self, ev: TraceEvent, execution: str, mono: float, item: int | None
    ) -> Span | None:
        task = ev.get("task")
        if not isinstance(task, str):
            return None
        route = _int(ev.get("route"))
        duration = max(0.0, _float(ev.get("duration")) or 0.0)
        where = None
        if item is not None:
            where = self.workers.pop((execution, task, route, item), None)
        named = ev.get("worker")
        if where is None and isinstance(named, str):
            where = named
        return Span(
            execution=execution,
            actor=where or task_actor_path(task, route),
            kind="item",
            name=f"{task}[{item}]",
            start=mono - duration,
            duration=duration,
            status=str(ev.get("status") or "succeeded"),
            task=task,
            route=route,
            run=_int(ev.get("run")),
            item=item,
        )

    def still_open(self) -> Iterator[Span]:
        for (execution, run), (task, route, start, action) in self.open_runs.items():
            yield Span(
                execution=execution,
                actor=task_actor_path(task, route),
                kind="task",
                name=f"{task}@{route}",
                start=start,
                duration=max(0.0, self.last_mono.get(execution, start) - start),
                status=RUNNING,
                task=task,
                route=route,
                run=run,
                action=action,
            )


def iter_spans(events: Iterable[TraceEvent]) -> Iterator[Span | Flow]:
    """Turn events into spans and flows as they come.

    A message span starts at its ``message.handled`` mono minus ``duration``; a task run
    span at its ``task.started`` (else ``task.finished`` minus ``duration``); an item span
    ends at its ``item.finished`` and sits on the worker that handled it when known. A flow
    is yielded once both its ``message.sent`` and ``message.received`` were seen (either
    order). Task runs still open at the end are yielded last, up to their execution's last
    line, with status ``running``.
    """
    builder = _SpanBuilder()
    for ev in events:
        produced = builder.feed(ev)
        if produced is not None:
            yield produced
    yield from builder.still_open()


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedExecution:
    """One execution chosen by id prefix, with the records of it and its sub-workflows."""

    root: str
    records: dict[str, ExecutionRecord]
    """Records by execution id: the root and every descendant found in the trace."""

    @property
    def record(self) -> ExecutionRecord:
        """The chosen execution's record."""
        return self.records[self.root]

    def children_of(self, execution: str) -> list[ExecutionRecord]:
        """Sub-workflow executions whose parent is ``execution``, by start."""
        found = [r for r in self.records.values() if r.parent_execution == execution]
        return sorted(found, key=lambda r: r.start_mono)


def load_execution(
    path: str,
    prefix: str | None,
    *,
    item_details: bool = False,
    keep_graph: bool = False,
    descendants: bool = True,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_error: ErrorHandler | None = None,
) -> LoadedExecution:
    """Resolve ``prefix`` to one execution and aggregate it (and its sub-workflows).

    Two passes over the file: :func:`scan_executions` to resolve the id and find the
    descendants, then a full read that aggregates only those executions. Raises
    :class:`ExecutionNotFound` / :class:`AmbiguousExecution` (and whatever the reader
    raises).
    """
    index = scan_executions(path)
    root = resolve_execution(index, prefix, path=path)
    wanted = with_descendants(index, [root]) if descendants else {root}
    aggregator = TraceAggregator(
        accept=wanted.__contains__, item_details=item_details, keep_graph=keep_graph
    )
    aggregator.feed_all(
        iter_events(path, max_errors=max_errors, on_error=on_error, executions=wanted)
    )
    records = {record.execution: record for record in aggregator.records()}
    if root not in records:
        raise ExecutionNotFound(prefix or "", path=path)
    return LoadedExecution(root=root, records=records)
