"""One line per execution of a trace: id, workflow, status, start, duration, runs, items, errors.

:func:`summarize` reads the file once, streaming, keeping only counters per execution (no
item durations), so it handles traces of millions of events. Filters: ``execution`` is an id
prefix, ``task`` keeps executions that ran that task, ``status`` keeps executions in that
status (``running`` for those without ``workflow.finished``).

Misuse: do not use the summary's ``errors`` of a running execution as the final count (it
counts failed task runs and actors so far; once finished it is ``workflow.finished``'s list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TextIO

from runtime.trace.aggregate import TraceAggregator
from runtime.trace.formatting import format_duration, format_time
from runtime.trace.reader import DEFAULT_MAX_ERRORS, ErrorHandler, TraceFilter, iter_events

__all__ = ["ExecutionSummary", "render_summary", "summarize", "summary_to_json"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionSummary:
    """The summary line of one execution."""

    execution: str
    workflow: str | None
    status: str
    parent_execution: str | None
    start_ts: float | None
    duration: float
    task_runs: int
    items: int
    errors: int

    @property
    def start_time(self) -> str | None:
        """ISO-8601 UTC start time."""
        return None if self.start_ts is None else format_time(self.start_ts)


def summarize(
    path: str,
    *,
    filt: TraceFilter | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_error: ErrorHandler | None = None,
) -> list[ExecutionSummary]:
    """Summarise every execution of the trace at ``path`` that passes ``filt``, by start."""
    filt = filt or TraceFilter()
    aggregator = TraceAggregator(
        accept=filt.execution_matches if filt.execution is not None else None,
        item_durations=False,
    )
    aggregator.feed_all(iter_events(path, max_errors=max_errors, on_error=on_error))
    rows: list[ExecutionSummary] = []
    for record in sorted(aggregator.records(), key=lambda r: r.start_mono):
        if filt.status is not None and record.status != filt.status:
            continue
        if filt.task is not None and not any(run.task == filt.task for run in record.task_runs):
            continue
        rows.append(
            ExecutionSummary(
                execution=record.execution,
                workflow=record.workflow,
                status=record.status,
                parent_execution=record.parent_execution,
                start_ts=record.start_ts,
                duration=record.duration,
                task_runs=len(record.task_runs),
                items=record.items_total,
                errors=record.error_count,
            )
        )
    return rows


def summary_to_json(rows: list[ExecutionSummary]) -> list[dict[str, Any]]:
    """Return the summary as a JSON-ready list."""
    return [
        {
            "execution": row.execution,
            "workflow": row.workflow,
            "status": row.status,
            "parent_execution": row.parent_execution,
            "start_ts": row.start_ts,
            "start_time": row.start_time,
            "duration": row.duration,
            "task_runs": row.task_runs,
            "items": row.items,
            "errors": row.errors,
        }
        for row in rows
    ]


def render_summary(rows: list[ExecutionSummary], stream: TextIO) -> None:
    """Write the summary as an aligned table (sub-workflows marked with ``↳``)."""
    table = [["EXECUTION", "WORKFLOW", "STATUS", "STARTED", "DURATION", "RUNS", "ITEMS", "ERRORS"]]
    for row in rows:
        table.append(
            [
                ("↳ " if row.parent_execution else "") + row.execution,
                row.workflow or "?",
                row.status,
                row.start_time or "-",
                format_duration(row.duration),
                str(row.task_runs),
                str(row.items),
                str(row.errors),
            ]
        )
    widths = [max(len(line[col]) for line in table) for col in range(len(table[0]))]
    numeric = {4, 5, 6, 7}
    for line in table:
        cells = [
            cell.rjust(widths[col]) if col in numeric else cell.ljust(widths[col])
            for col, cell in enumerate(line)
        ]
        stream.write("  ".join(cells).rstrip() + "\n")
