"""Reading Troupe's actor traces: the read side of ``troupe trace``.

The engine writes one JSON line per actor event (``docs/trace-format.md``); this package
reads such files as a stream (:mod:`~runtime.trace.reader`), folds them into per-execution
records (:mod:`~runtime.trace.aggregate` into :mod:`~runtime.trace.records`; spans for the
visual exporters in :mod:`~runtime.trace.spans`; :mod:`~runtime.trace.model` loads one
execution and re-exports the model's names) and presents them: ``summary``, ``tree``,
``timeline``, ``stats``, ``why``, ``follow``, a Perfetto export and a self-contained HTML
timeline. :mod:`~runtime.trace.cli` is the command line.

Misuse: do not import this package from engine code to write traces (it only reads them);
do not load a whole trace into memory to use it (every entry point streams).
"""

from __future__ import annotations

from runtime.trace.aggregate import TraceAggregator
from runtime.trace.model import LoadedExecution, load_execution
from runtime.trace.reader import (
    AmbiguousExecution,
    ExecutionNotFound,
    TraceFilter,
    TraceFormatError,
    iter_events,
    scan_executions,
)
from runtime.trace.records import ExecutionRecord, TaskRunRecord

__all__ = [
    "AmbiguousExecution",
    "ExecutionNotFound",
    "ExecutionRecord",
    "LoadedExecution",
    "TaskRunRecord",
    "TraceAggregator",
    "TraceFilter",
    "TraceFormatError",
    "iter_events",
    "load_execution",
    "scan_executions",
]
