"""The client's output: the daemon's JSON as the text ``troupe run`` and
``troupe executions show`` print (pure functions, JSON in, text out).

An execution's facts, parameters, output, errors and task table; a list of executions; a
progress event as a line (``▶ task``, ``✔ task succeeded``) and a with-items bar; the
diagnostics of a refused workflow, located like ``troupe validate`` prints them.

Misuse: the daemon has masked every secret before it answers; nothing here may add a value
that did not come from it. Times are shown in local time, as the store commands show them.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from runtime.cli_output import as_yaml, duration, error_line, local_time, table
from runtime.errors import Diagnostic
from runtime.masking import Masker
from runtime.results import ErrorInfo

__all__ = [
    "bar", "diagnostic_lines", "epoch", "error_text", "event_line", "execution_text",
    "list_text", "status_line",
]

_NONE = Masker()
_ERROR_FIELDS = ("kind", "message", "task", "route", "item", "field", "expression",
                 "handled_by")
_DIAGNOSTIC_FIELDS = ("code", "message", "file", "line", "column", "task", "path", "severity")


def epoch(text: str | None) -> float | None:
    """An RFC 3339 time of the API as seconds since the epoch (None: none)."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _elapsed(start: str | None, end: str | None) -> float | None:
    begun, ended = epoch(start), epoch(end)
    return None if begun is None or ended is None else ended - begun


def error_text(error: dict[str, Any], succeeded: bool) -> str:
    """One error as ``troupe run`` prints it."""
    fields: dict[str, Any] = {k: error.get(k) for k in _ERROR_FIELDS if k in error}
    fields.setdefault("kind", "error")
    fields.setdefault("message", "")
    info = ErrorInfo(**fields)
    return error_line(info, _NONE, succeeded)


def status_line(execution: dict[str, Any]) -> str:
    """``workflow ID STATUS``, the last line ``troupe run`` prints."""
    return f"workflow {execution['id']} {execution['status']}"


def _items(task: dict[str, Any]) -> str:
    items = task.get("items")
    if not items:
        return "-"
    text = f"{items.get('done', 0)}/{items.get('total', 0)}"
    return text + (f" ({items['failed']} failed)" if items.get("failed") else "")


def execution_text(execution: dict[str, Any]) -> str:
    """``troupe get``: facts, parameters, output, errors and tasks of one execution."""
    out = io.StringIO()
    facts = [("execution", execution["id"]), ("workflow", execution.get("workflow")),
             ("status", execution["status"]),
             ("created", local_time(epoch(execution.get("created_at")))),
             ("started", local_time(epoch(execution.get("started_at")))),
             ("finished", local_time(epoch(execution.get("finished_at")))),
             ("duration", duration(_elapsed(execution.get("started_at")
                                            or execution.get("created_at"),
                                            execution.get("finished_at"))))]
    if execution.get("parent"):
        facts.append(("parent", f"{execution['parent']} (task {execution.get('parent_task')})"))
    for name, value in facts:
        out.write(f"{name + ':':<11}{value}\n")
    for title in ("parameters", "output"):
        data = execution.get(title)
        if data:
            out.write(f"{title}:\n" + "".join(f"  {line}\n"
                                             for line in as_yaml(data).splitlines()))
    if execution.get("errors"):
        out.write("errors:\n")
        succeeded = execution["status"] == "succeeded"
        for error in execution["errors"]:
            out.write(f"  {error_text(error, succeeded)}\n")
    if execution.get("tasks"):
        out.write("tasks:\n")
        table(("TASK", "ROUTE", "STATUS", "ATTEMPTS", "ITEMS", "DURATION"),
              [(t["name"], t.get("route"), t["status"], t.get("attempts"), _items(t),
                duration(_elapsed(t.get("started_at"), t.get("finished_at"))))
               for t in execution["tasks"]], out, indent="  ")
    if execution.get("reruns"):
        out.write("reruns:\n")
        for rerun in execution["reruns"]:
            tasks = ", ".join(f"{t['task']}@{t['route']}" for t in rerun["tasks"])
            extra = "".join(f"; {name}: {', '.join(rerun[name])}"
                            for name in ("reset", "parameters") if rerun.get(name))
            out.write(f"  #{rerun['number']} {local_time(epoch(rerun.get('requested_at')))}"
                      f" {tasks}{extra}\n")
    return out.getvalue()


def list_text(items: list[dict[str, Any]], cursor: str | None) -> str:
    """``troupe list``: one row per execution, and how to get the next page."""
    out = io.StringIO()
    if not items:
        return "no executions\n"
    table(("ID", "WORKFLOW", "STATUS", "CREATED", "FINISHED", "PARENT"),
          [(e["id"], e.get("workflow"), e["status"], local_time(epoch(e.get("created_at"))),
            local_time(epoch(e.get("finished_at"))), e.get("parent") or "-")
           for e in items], out)
    if cursor:
        out.write(f"more: troupe list --cursor {cursor} (or --all)\n")
    return out.getvalue()


def bar(task: str, done: int, total: int, width: int = 30) -> str:
    """A with-items bar as ``troupe run`` draws it: ``fan [####......] 4/10``."""
    filled = int(width * done / max(total, 1))
    return f"{task} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def event_line(event: dict[str, Any]) -> str | None:
    """A progress event as a line of ``troupe run``'s progress (None: not shown as a line;
    ``item_finished`` is drawn as a :func:`bar`)."""
    kind, task = event.get("kind"), event.get("task")
    if event.get("pseudo"):
        return None
    if kind == "task_started":
        total = event.get("total")
        return f"▶ {task}" + (f" ({total} items)" if total is not None else "")
    if kind == "task_retrying":
        item = f" item {event['item']}" if event.get("item") is not None else ""
        return f"↻ {task}{item} retry (attempt {event.get('attempt')})"
    if kind == "task_finished":
        mark = "✔" if event.get("status") == "succeeded" else "✘"
        why = f": {event['error']}" if event.get("error") else ""
        return f"{mark} {task} {event.get('status')}{why}"
    if kind in ("workflow_paused", "workflow_resumed"):
        return "⏸ workflow paused" if kind == "workflow_paused" else "⏵ workflow resumed"
    if kind == "size_warning":
        return (f"! {task}: {event.get('measure')} of {event.get('size')} bytes over "
                f"{event.get('limit')}")
    if kind == "inquiry":
        if event.get("status") == "pending":
            return f"? {task} waits for an answer: troupe respond {event.get('inquiry')}"
        return f"? {task} inquiry {event.get('status')}"
    return None


def diagnostic_lines(details: dict[str, Any], file: str | None) -> list[str]:
    """The diagnostics of a 400 ``invalid_workflow`` as ``troupe validate`` prints them
    (a workflow sent as text is located in ``file``, the local file it was read from)."""
    lines = []
    for raw in details.get("diagnostics") or ():
        fields = {k: raw.get(k) for k in _DIAGNOSTIC_FIELDS if raw.get(k) is not None}
        fields.setdefault("file", file)
        lines.append(str(Diagnostic(**fields)))
    return lines
