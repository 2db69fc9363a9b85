"""``troupe executions show`` and ``troupe executions events``: one stored execution.

``show`` rebuilds the execution's view by replaying its journal through the state machine
(with the workflow loaded from the stored text), so it shows the tasks of an unfinished
execution too (one a crashed process left: the store's status, and the tasks as far as the
journal goes). ``events`` prints the journal itself, one entry a line.

Misuse: every value printed goes through the execution's masker (its secret inputs and its
parents'); the store's status is shown, not the replayed one (they agree once finished).
"""

from __future__ import annotations

import argparse
import json
from typing import IO, Any

from runtime.cli_output import (
    as_yaml,
    duration,
    error_line,
    local_time,
    result_json,
    table,
    timestamp,
)
from runtime.cli_store import elapsed, masker_of, opened, row_json, stored, the_store
from runtime.masking import Masker
from runtime.results import ExecutionResult
from runtime.status import WORKFLOW_DONE, WorkflowStatus
from runtime.store import EntryRow, ExecutionRow
from runtime.values import json_default

__all__ = ["events", "read_back", "show"]


def read_back(row: ExecutionRow, entries: tuple[EntryRow, ...], masker: Masker
              ) -> ExecutionResult:
    """The view of a stored execution (finished or not), from its journal."""
    from runtime.spec import load_workflow
    from runtime.store.replaying import read_journal, result_of

    return result_of(read_journal(load_workflow(row.text), entries), masker)


def show(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``troupe executions show ID``."""
    with opened(the_store(args)) as store:
        row = stored(store, args.execution_id)
        masker = masker_of(store, row)
        entries = store.entries(row.id)
    result = read_back(row, entries, masker)
    parameters = masker.data(json.loads(row.parameters))
    if args.json:
        body = result_json(result, masker)
        for task, record in zip(body["tasks"], result.tasks, strict=True):
            task["duration"] = record.duration
        json.dump({**row_json(row), "parameters": parameters, "output": body["output"],
                   "errors": body["errors"], "tasks": body["tasks"]},
                  out, indent=2, default=json_default)
        out.write("\n")
        return 0
    _print_execution(row, parameters, result, masker, out)
    return 0


def _print_execution(row: ExecutionRow, parameters: Any, result: ExecutionResult,
                     masker: Masker, out: IO[str]) -> None:
    status = row.status
    if status not in WORKFLOW_DONE:
        status += " (unfinished: `troupe recover` continues it if no engine runs it)"
    facts = [("execution", row.id), ("workflow", row.workflow), ("status", status),
             ("created", local_time(row.created_at)),
             ("finished", local_time(row.finished_at)), ("duration", duration(elapsed(row)))]
    if row.parent is not None:
        facts.append(("parent", f"{row.parent} (task {row.parent_task})"))
    for name, value in facts:
        out.write(f"{name + ':':<11}{value}\n")
    for title, data in (("parameters", parameters), ("output", masker.data(result.output))):
        if data:
            out.write(f"{title}:\n" + "".join(f"  {line}\n"
                                             for line in as_yaml(data).splitlines()))
    if result.errors:
        out.write("errors:\n")
        succeeded = row.status == WorkflowStatus.SUCCEEDED.value
        for error in result.errors:
            out.write(f"  {error_line(error, masker, succeeded)}\n")
    if result.tasks:
        out.write("tasks:\n")
        table(("TASK", "ROUTE", "STATUS", "ATTEMPTS", "ITEMS", "DURATION"),
              [(t.name, t.route, t.status, t.attempts, "-" if t.items is None else t.items,
                duration(t.duration)) for t in result.tasks], out, indent="  ")


def events(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``troupe executions events ID``: one line (or JSON object) per journal entry."""
    with opened(the_store(args)) as store:
        row = stored(store, args.execution_id)
        masker = masker_of(store, row)
        entries = store.entries(row.id)
    for entry in entries:
        fields = dict(masker.data(json.loads(entry.body)))
        at = fields.pop("at", None) or entry.at
        if args.json:
            out.write(json.dumps({"seq": entry.seq, "kind": entry.kind, "at": timestamp(at),
                                  **fields}, default=json_default) + "\n")
            continue
        shown = " ".join(f"{name}={json.dumps(value, default=json_default)}"
                         for name, value in fields.items() if value is not None)
        out.write(f"{entry.seq:>4}  {local_time(at, ms=True)}  {entry.kind:<17} {shown}"
                  .rstrip() + "\n")
    return 0
