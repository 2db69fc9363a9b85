"""The trace tools' model of executions, and loading one execution with its sub-workflows.

:func:`load_execution` resolves an id prefix and aggregates that execution (and its
descendants) into a :class:`LoadedExecution`. This module is also the one import for the
model's public names, which live by concept in :mod:`runtime.trace.records` (frozen
records), :mod:`runtime.trace.aggregate` (:class:`TraceAggregator`),
:mod:`runtime.trace.spans` (:func:`iter_spans`) and :mod:`runtime.trace.formatting`.

Misuse: do not load a whole trace to look at one execution by hand (``load_execution``
reads only the lines of the executions it was asked for); do not treat a record of a
running execution as final (``finished`` is false).
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.trace.aggregate import TraceAggregator
from runtime.trace.formatting import format_duration, format_offset, format_time
from runtime.trace.reader import (
    DEFAULT_MAX_ERRORS,
    ErrorHandler,
    ExecutionNotFound,
    iter_events,
    resolve_execution,
    scan_executions,
    with_descendants,
)
from runtime.trace.records import (
    FAILED_STATUSES,
    RUNNING,
    ActorRecord,
    Distribution,
    ErrorInfo,
    ExecutionRecord,
    ItemRecord,
    StagedRecord,
    TaskRunRecord,
    TransitionRecord,
    nearest_rank,
    task_actor_path,
)
from runtime.trace.spans import Flow, Span, iter_spans

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
