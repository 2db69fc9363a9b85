"""Reading a stored execution back: for recovery (with its sub-workflows in flight) and for
a finished execution's result.

:func:`read_tree` loads an execution from its record and journal, then the journals of the
sub-workflows its in-flight attempts started, at every depth, so that
:meth:`runtime.engine.Engine.recover` continues the whole tree. :func:`stored_result`
rebuilds a finished execution's result by replaying its journal.

Misuse: ``ask`` runs a call on the store in the journal's thread (the store's only user);
give the same actions and options the execution was started with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from runtime.commands import sub_execution_id
from runtime.errors import ExecutionNotRunning
from runtime.launch import Prepared, prepare, with_kv_masked
from runtime.machine.recovery import in_flight, retry_waits
from runtime.results import ExecutionResult
from runtime.spec.subworkflows import SubWorkflows
from runtime.status import WORKFLOW_DONE
from runtime.store import ExecutionRow
from runtime.store.replaying import Journaled, read_journal, result_of

__all__ = ["Tree", "read_tree", "stored_result"]

Ask = Callable[[Callable[[Any], Any]], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Tree:
    """A recovered execution and the journals of its sub-workflows in flight."""

    row: ExecutionRow
    prepared: Prepared
    journaled: Journaled
    children: Mapping[str, Journaled]


def read_tree(ask: Ask, row: ExecutionRow, actions: Mapping[str, Any],
              options: Mapping[str, Any]) -> Tree:
    """Load an execution from its record and journal, with its children in flight."""
    merged = {**options, "execution_id": row.id, "kv": False}
    prepared = prepare(row.text, json.loads(row.parameters), actions, merged,
                       base_dir=Path(row.base_dir) if row.base_dir else None)
    journaled = read_journal(prepared.defn, ask(partial(_entries, row.id)))
    prepared = with_kv_masked(prepared, journaled.state.kv)
    children: dict[str, Journaled] = {}
    _read_children(ask, row.id, journaled, prepared.subworkflows,
                   prepared.subworkflows.base_dir, children)
    return Tree(row=row, prepared=prepared, journaled=journaled, children=children)


def _entries(execution_id: str, store: Any) -> Any:
    return store.entries(execution_id)


def _read_children(ask: Ask, execution_id: str, journaled: Journaled,
                   subworkflows: SubWorkflows, base_dir: Path,
                   found: dict[str, Journaled]) -> None:
    for command in in_flight(journaled.state, retry_waits(journaled.timers)):
        sub = subworkflows.find(base_dir, command.action) if command.action else None
        if sub is None:
            continue
        child_id = sub_execution_id(execution_id, command)
        rows = ask(partial(_entries, child_id))
        if not rows:
            continue  # the child never started: its parent starts it again
        child = read_journal(sub.defn, rows)
        found[child_id] = child
        _read_children(ask, child_id, child, subworkflows, sub.base_dir, found)


def stored_result(ask: Ask, row: ExecutionRow, actions: Mapping[str, Any]) -> ExecutionResult:
    """The result of a stored, finished execution, rebuilt by replaying its journal
    (:class:`ExecutionNotRunning` if the journal says it has not finished)."""
    prepared = prepare(row.text, json.loads(row.parameters), actions,
                       {"execution_id": row.id, "kv": False},
                       base_dir=Path(row.base_dir) if row.base_dir else None)
    journaled = read_journal(prepared.defn, ask(partial(_entries, row.id)))
    prepared = with_kv_masked(prepared, journaled.state.kv)
    if journaled.state.status not in WORKFLOW_DONE:
        raise ExecutionNotRunning(row.id, row.status)
    return result_of(journaled, prepared.masker)
