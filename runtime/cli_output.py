"""How the ``troupe`` command line prints executions: results, errors, times, durations.

Shared by ``troupe run`` (:mod:`runtime.cli`) and the commands that read a store
(:mod:`runtime.cli_store`, :mod:`runtime.cli_show`), so that an execution looks the same
whether it just ran or was read back.

Misuse: everything printed here must go through the execution's
:class:`~runtime.masking.Masker` first (secret inputs); these are the CLI's helpers, library
code must not call them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any

import yaml

from runtime.masking import Masker
from runtime.results import ErrorInfo, ExecutionResult
from runtime.status import WorkflowStatus

__all__ = [
    "as_yaml", "duration", "error_json", "error_line", "local_time", "print_result",
    "result_json", "table", "timestamp",
]


def result_json(result: ExecutionResult, masker: Masker) -> dict[str, Any]:
    """The JSON ``troupe run --json`` prints for a result."""
    return {
        "execution_id": result.execution_id,
        "status": str(result.status),
        "output": masker.data(result.output),
        "errors": [error_json(e, masker) for e in result.errors],
        "tasks": [{"name": t.name, "route": t.route, "status": t.status,
                   "attempts": t.attempts, "items": t.items,
                   "started_at": t.started_at.isoformat() if t.started_at else None,
                   "finished_at": t.finished_at.isoformat() if t.finished_at else None,
                   "result": masker.data(t.result)} for t in result.tasks],
    }


def error_json(error: ErrorInfo, masker: Masker) -> dict[str, Any]:
    """One error record as JSON, masked (``troupe run --json`` and the HTTP API)."""
    masked: dict[str, Any] = masker.data({
        "kind": error.kind, "task": error.task, "route": error.route, "item": error.item,
        "field": error.field, "expression": error.expression, "message": error.message,
        "handled_by": error.handled_by})
    return masked


def error_line(error: ErrorInfo, masker: Masker, succeeded: bool) -> str:
    """One error as ``troupe run`` prints it: ``error`` for one that failed the run;
    ``handled`` for a failure a transition remediated; ``warning`` for one the dialect
    tolerates in a run that succeeded (an Attune ``output_map`` key that did not render is
    left out, a ``when`` that did not evaluate fires on success)."""
    where = f" [task {error.task}" + (f" item {error.item}" if error.item is not None
                                      else "") + "]" if error.task else ""
    message = masker.text(error.message)
    if error.handled_by is not None:
        return f"handled {error.kind}{where}: {message} (handled by {error.handled_by})"
    return f"{'warning' if succeeded else 'error'} {error.kind}{where}: {message}"


def print_result(result: ExecutionResult, masker: Masker, out: IO[str], err: IO[str]) -> None:
    """Errors first (on ``err``), then the status line, then the output (YAML on ``out``)."""
    succeeded = result.status is WorkflowStatus.SUCCEEDED
    for error in result.errors:
        err.write(error_line(error, masker, succeeded) + "\n")
    err.write(f"workflow {result.execution_id} {result.status}\n")
    if result.output:
        out.write(as_yaml(masker.data(result.output)))


def as_yaml(data: Any) -> str:
    """Data as block YAML, keys in their order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def local_time(seconds: float | None, *, ms: bool = False) -> str:
    """A wall-clock time for a table: ``2026-12-02 04:33:12`` in local time (``ms``: with
    milliseconds; ``-``: none)."""
    if seconds is None:
        return "-"
    moment = datetime.fromtimestamp(seconds)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}" if ms else text


def timestamp(seconds: float | None) -> str | None:
    """A wall-clock time for JSON: ISO 8601 with the local UTC offset."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="milliseconds")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], out: IO[str],
          indent: str = "") -> None:
    """Rows under a header, in columns as wide as their widest cell."""
    cells = [[str(c) for c in line] for line in (header, *rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    for line in cells:
        out.write(indent + "  ".join(f"{c:<{w}}" for c, w in zip(line, widths, strict=True))
                  .rstrip() + "\n")


def duration(seconds: float | None) -> str:
    """``0.42 s``, ``12.3 s``, ``4 min 05 s``, ``2 h 03 min`` (``-``: unknown)."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
