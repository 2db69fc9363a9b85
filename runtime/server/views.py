"""The JSON the API answers with: executions, their summaries, progress events, times.

Every value that may hold a secret (parameters, output, results, error messages) goes
through the execution's :class:`~runtime.masking.Masker` here, the one place data leaves
the engine for HTTP clients. Times are RFC 3339 UTC strings with milliseconds
(``2026-12-02T11:22:31.123Z``) or null.

Misuse: build every response about an execution with these functions (never ``row.parameters``
as is: it holds the secret inputs).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from runtime.cli_output import error_json
from runtime.machine.recovery import outcome_so_far
from runtime.results import build_result
from runtime.status import TASK_DONE, WORKFLOW_DONE
from runtime.store import ExecutionRow

from .progress_log import LoggedEvent, ProgressLog

__all__ = ["counts_json", "event_json", "execution_json", "is_final", "rfc3339", "status_of",
           "summary_json"]


def rfc3339(seconds: float | datetime | None) -> str | None:
    """``2026-12-02T11:22:31.123Z`` (None stays None)."""
    if seconds is None:
        return None
    moment = seconds if isinstance(seconds, datetime) else datetime.fromtimestamp(seconds, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def status_of(row: ExecutionRow, log: ProgressLog | None) -> str:
    """The execution's status: the journal's (its replayed state, at least as recent as
    the record, whose status changes may be written a batch later), else the record's."""
    if log is not None and log.consumed:
        return str(log.state.status)
    return row.status


def summary_json(row: ExecutionRow, log: ProgressLog | None = None) -> dict[str, Any]:
    """An execution without its tasks and output (list items, the SSE ``end`` event)."""
    finished = row.finished_at
    if finished is None and log is not None and log.finished:
        finished = log.state.finished_at
    if log is not None and log.consumed and not log.finished:
        finished = None  # a rerun runs again: its record keeps its first end until the next
    return {"id": row.id, "workflow": row.workflow, "status": status_of(row, log),
            "created_at": rfc3339(row.created_at), "finished_at": rfc3339(finished),
            "parent": row.parent, "parent_task": row.parent_task,
            "counts": counts_json(log) if log is not None and log.consumed else None}


def counts_json(log: ProgressLog) -> dict[str, Any]:
    """How many task runs (pseudo-tasks left out) and with-items items the execution has,
    and how many of them ended (the list's columns; O(task runs), not O(items))."""
    tasks = done = 0
    items = {"total": 0, "done": 0, "failed": 0, "running": 0}
    for run in log.state.runs:
        if run.pseudo:
            continue
        tasks += 1
        done += run.status in TASK_DONE
        if run.items is not None:
            items["total"] += run.items.total
            items["done"] += run.items.done
            items["failed"] += run.items.failed
            items["running"] += run.items.active
    return {"tasks": tasks, "tasks_done": done, "items": items}


def execution_json(row: ExecutionRow, log: ProgressLog) -> dict[str, Any]:
    """The whole execution: parameters, output, errors, tasks (all masked)."""
    masker = log.masker
    state = log.state
    result = build_result(state, outcome_so_far(state), masker, None)
    done = log.finished
    runs = {run.id: run for run in state.runs}
    return {
        **summary_json(row, log),
        "parameters": masker.data(json.loads(row.parameters)),
        "output": masker.data(result.output) if done else None,
        "errors": [error_json(e, masker) for e in result.errors],
        "tasks": [{"name": t.name, "route": t.route, "status": str(t.status),
                   "attempts": t.attempts, "result": masker.data(t.result),
                   "started_at": rfc3339(t.started_at), "finished_at": rfc3339(t.finished_at),
                   "items": _items(runs[t.run].items) if t.items is not None else None}
                  for t in result.tasks],
        "started_at": rfc3339(state.started_at),
        "reruns": [{**entry, "requested_at": rfc3339(entry["requested_at"])}
                   for entry in result.reruns],
        "last_event": len(log.events),
    }


def _items(items: Any) -> dict[str, int]:
    total = len(items.values)
    return {"total": total, "done": items.done, "succeeded": items.done - items.failed,
            "failed": items.failed, "running": items.active,
            "waiting": total - items.done - items.active}


def event_json(logged: LoggedEvent) -> dict[str, Any]:
    """A progress event: its number, its fields (nulls left out), its time."""
    event = logged.event
    body: dict[str, Any] = {"id": logged.id}
    for field in dataclasses.fields(event):
        name = field.name
        value = getattr(event, name)
        if value is not None and not (name == "pseudo" and value is False):
            body[name] = str(value) if name == "status" else value
    body["time"] = rfc3339(logged.time)
    return body


def is_final(status: str) -> bool:
    """Whether a status value is an end."""
    return status in {s.value for s in WORKFLOW_DONE}
