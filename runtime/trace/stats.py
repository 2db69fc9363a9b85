"""Per-task and per-action statistics over every execution of a trace.

:func:`compute_stats` reads the trace once (streaming) and reports, for each task name and
each action ref: task-run count, p50/p95/max/mean run duration (nearest rank), mean mailbox
wait of the task's actors (from their ``message.received`` lines), retries
(``task.retrying`` lines), failures (runs ending ``failed`` or ``timed_out``) and, for
with-items tasks, the distribution of item durations. Filters: ``execution`` (id prefix),
``task`` (only that task), ``status`` (only runs ending in that status).

Misuse: do not compare durations of running task runs with finished ones (a running run's
duration is measured up to the last line of its execution); do not read the mailbox wait of
a with-items task as per-item latency (it averages every message its actors received).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any, TextIO

from runtime.trace.aggregate import TraceAggregator
from runtime.trace.formatting import format_duration
from runtime.trace.reader import DEFAULT_MAX_ERRORS, ErrorHandler, TraceFilter, iter_events
from runtime.trace.records import FAILED_STATUSES, Distribution

__all__ = ["GroupStats", "TraceStats", "compute_stats", "render_stats", "stats_to_json"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupStats:
    """Statistics of the task runs of one task name or one action."""

    name: str
    count: int
    duration: Distribution
    mean_mailbox_wait: float | None
    retries: int
    failures: int
    items: Distribution | None = None
    items_failed: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceStats:
    """Per-task and per-action statistics."""

    executions: int
    tasks: tuple[GroupStats, ...]
    actions: tuple[GroupStats, ...]


class _Group:
    __slots__ = ("durations", "failures", "items", "items_failed", "retries", "runs", "waits")

    def __init__(self) -> None:
        self.runs = 0
        self.durations: array[float] = array("d")
        self.items: array[float] | None = None
        self.items_failed = 0
        self.retries = 0
        self.failures = 0
        self.waits = [0.0, 0.0]

    def freeze(self, name: str) -> GroupStats:
        return GroupStats(
            name=name,
            count=self.runs,
            duration=Distribution.of(self.durations),
            mean_mailbox_wait=self.waits[0] / self.waits[1] if self.waits[1] else None,
            retries=self.retries,
            failures=self.failures,
            items=None if self.items is None else Distribution.of(self.items),
            items_failed=self.items_failed,
        )


def compute_stats(
    path: str,
    *,
    filt: TraceFilter | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_error: ErrorHandler | None = None,
) -> TraceStats:
    """Compute the statistics of the trace at ``path``."""
    filt = filt or TraceFilter()
    aggregator = TraceAggregator(
        accept=filt.execution_matches if filt.execution is not None else None
    )
    aggregator.feed_all(iter_events(path, max_errors=max_errors, on_error=on_error))
    tasks: dict[str, _Group] = {}
    actions: dict[str, _Group] = {}
    executions = 0
    for record in aggregator.records():
        executions += 1
        # (task, route) -> the groups its actors' mailbox waits count towards
        owners: dict[tuple[str, int | None], tuple[_Group, _Group]] = {}
        for run in record.task_runs:
            if filt.task is not None and run.task != filt.task:
                continue
            if filt.status is not None and run.status != filt.status:
                continue
            by_task = tasks.setdefault(run.task, _Group())
            by_action = actions.setdefault(run.action or "-", _Group())
            owners[(run.task, run.route)] = (by_task, by_action)
            for group in (by_task, by_action):
                group.runs += 1
                if run.duration is not None:
                    group.durations.append(run.duration)
                group.retries += run.retries
                group.failures += run.status in FAILED_STATUSES
                if run.item_values is not None:
                    if group.items is None:
                        group.items = array("d")
                    group.items.extend(run.item_values)
                group.items_failed += run.items_failed
        for actor in record.actors:
            if actor.task is None or not actor.mailbox_wait_count:
                continue
            for group in owners.get((actor.task, actor.route), ()):
                group.waits[0] += actor.mailbox_wait_total
                group.waits[1] += actor.mailbox_wait_count
    return TraceStats(
        executions=executions,
        tasks=tuple(group.freeze(name) for name, group in sorted(tasks.items())),
        actions=tuple(group.freeze(name) for name, group in sorted(actions.items())),
    )


def _group_json(group: GroupStats) -> dict[str, Any]:
    return {
        "name": group.name,
        "count": group.count,
        "p50": group.duration.p50,
        "p95": group.duration.p95,
        "max": group.duration.max,
        "mean": group.duration.mean,
        "mean_mailbox_wait": group.mean_mailbox_wait,
        "retries": group.retries,
        "failures": group.failures,
        "items": None if group.items is None else group.items.to_json(),
        "items_failed": group.items_failed,
    }


def stats_to_json(stats: TraceStats) -> dict[str, Any]:
    """Return the statistics as a JSON-ready dict."""
    return {
        "executions": stats.executions,
        "tasks": [_group_json(group) for group in stats.tasks],
        "actions": [_group_json(group) for group in stats.actions],
    }


def _table(title: str, groups: tuple[GroupStats, ...], stream: TextIO) -> None:
    head = [
        title,
        "RUNS",
        "P50",
        "P95",
        "MAX",
        "MAILBOX",
        "RETRIES",
        "FAILURES",
        "ITEMS",
        "ITEMS FAILED",
        "ITEM P50",
        "ITEM P95",
        "ITEM MAX",
    ]
    table = [head]
    for group in groups:
        items = group.items
        table.append(
            [
                group.name,
                str(group.count),
                format_duration(group.duration.p50),
                format_duration(group.duration.p95),
                format_duration(group.duration.max),
                format_duration(group.mean_mailbox_wait),
                str(group.retries),
                str(group.failures),
                "-" if items is None else str(items.count),
                "-" if items is None else str(group.items_failed),
                "-" if items is None else format_duration(items.p50),
                "-" if items is None else format_duration(items.p95),
                "-" if items is None else format_duration(items.max),
            ]
        )
    widths = [max(len(line[col]) for line in table) for col in range(len(head))]
    for line in table:
        cells = [
            cell.ljust(widths[col]) if col == 0 else cell.rjust(widths[col])
            for col, cell in enumerate(line)
        ]
        stream.write("  ".join(cells).rstrip() + "\n")


def render_stats(stats: TraceStats, stream: TextIO) -> None:
    """Write the per-task table, then the per-action table."""
    stream.write(f"{stats.executions} execution(s)\n")
    _table("TASK", stats.tasks, stream)
    stream.write("\n")
    _table("ACTION", stats.actions, stream)
