"""The actor tree of an execution rebuilt from the journal, with its sub-workflows nested.

When nothing runs the execution here and its trace is missing (the daemon's traces off, or
the execution ran on another daemon), ``GET .../actors`` answers this tree: each
execution's task runs come from the state its progress log replayed from the journal
(:func:`runtime.actor_view.live_node`), and its sub-workflows are the store's executions
whose ``parent`` is it (``Engine.list(parent=...)``), each nested the same way, at every
depth, under the task run that started it: the latest run of its ``parent_task`` that
started before the child was created (a child whose task run is unknown hangs under the
supervisor). ``mailbox`` is null everywhere (no actor is asked).

Misuse: the tree is as fresh as the journal; at most :data:`SUBS_SHOWN` sub-workflows per
execution are listed (the node carries ``"subworkflows_omitted": true`` when there are
more): a with-items run of 10,000 sub-workflows does not turn into 10,000 journal replays.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from runtime.actor_view import live_node
from runtime.machine import WorkflowState
from runtime.store import ExecutionRow

from .state import ServerState

__all__ = ["SUBS_SHOWN", "journal_tree"]

SUBS_SHOWN = 100
"""Sub-workflows listed per execution (the newest ones)."""


async def journal_tree(state: ServerState, row: ExecutionRow, *, kind: str = "supervisor",
                       prefix: str = "") -> dict[str, Any]:
    """The tree of ``row`` from its journal and its children's (``mailbox`` null)."""
    log = await state.logs.refreshed(row)
    page = await run_in_threadpool(state.engine.list, parent=row.id, limit=SUBS_SHOWN)
    subs: dict[int, list[dict[str, Any]]] = {}
    orphans = []
    for child in sorted(page.executions, key=lambda c: (c.created_at, c.id)):
        node = await journal_tree(state, child, kind="subworkflow", prefix=f"{child.id}/")
        run = _parent_run(log.state, child)
        if run is None:
            orphans.append(node)
        else:
            subs.setdefault(run, []).append(node)
    root = live_node(log.state, kind=kind, workflow=row.workflow, mailbox=0, workers=(),
                     waiting={}, subs=subs, prefix=prefix)
    root["children"].extend(orphans)
    if page.cursor is not None:
        root["subworkflows_omitted"] = True
    return _no_mailbox(root)


def _parent_run(state: WorkflowState, child: ExecutionRow) -> int | None:
    """The run of ``child.parent_task`` that started it (None: no such run is known)."""
    runs = [r for r in state.runs if r.task == child.parent_task and not r.pseudo]
    before = [r for r in runs if r.started_at is None or r.started_at <= child.created_at]
    chosen = before or runs
    return chosen[-1].id if chosen else None


def _no_mailbox(node: dict[str, Any]) -> dict[str, Any]:
    return {**node, "mailbox": None, "children": [_no_mailbox(c) for c in node["children"]]}
