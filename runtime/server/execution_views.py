"""The console's three views of one execution: its graph, its actor tree, its timeline.

    GET /api/v1/executions/{id}/graph     tasks and transitions, what ran, the layout
    GET /api/v1/executions/{id}/actors    {"live": bool, "root": node}
    GET /api/v1/executions/{id}/timeline  the trace's timeline, with-items grouped

The graph comes from the definition and state the execution's progress log replayed from
its journal (:mod:`runtime.graph_view`). The actor tree is asked of the running supervisors
by message (:meth:`runtime.handle.WorkflowHandle.actor_tree`, ``live`` true, mailbox depths);
once the execution ended, or when this daemon does not run it, it is rebuilt from the trace
(:func:`runtime.actor_view.trace_node`, ``live`` false, ``mailbox`` null), else from the
journal's state (task runs only). The timeline reads the trace
(:mod:`runtime.trace.timeline_groups`); 404 ``no_trace`` without one. A sub-workflow's
views are its own (its trace lines are in its top execution's file).

Misuse: every view is read-only; a finished execution's trace views are cached by the
file's size and time, a running one's are rebuilt at each request (poll them no faster
than the console's live updates).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runtime.actor_view import live_node, trace_node
from runtime.errors import ExecutionNotRunning, UnknownExecution
from runtime.graph_view import graph_json
from runtime.store import ExecutionRow
from runtime.trace.model import load_execution
from runtime.trace.reader import AmbiguousExecution, ExecutionNotFound, TraceFormatError
from runtime.trace.timeline_groups import grouped_timeline
from runtime.trace.tree import build_tree

from .errors import ApiError
from .executions import the_row
from .state import ServerState
from .wire import json_response

__all__ = ["actors", "graph", "timeline"]


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.troupe
    return state


async def graph(request: Request) -> Response:
    """GET /api/v1/executions/{id}/graph."""
    state = _state(request)
    row = await the_row(state, request.path_params["execution_id"])
    log = await state.logs.refreshed(row)
    return json_response(await run_in_threadpool(graph_json, log.defn, log.state))


async def actors(request: Request) -> Response:
    """GET /api/v1/executions/{id}/actors."""
    state = _state(request)
    row = await the_row(state, request.path_params["execution_id"])
    top = await _top(state, row)
    live = await run_in_threadpool(_live, state, top, row.id)
    if live is not None:
        return json_response({"live": True, "root": live})
    path = state.settings.trace_path(top.id)
    traced = await run_in_threadpool(_traced, path, row.id, "actors") if path else None
    if traced is not None:
        return json_response({"live": False, "root": traced})
    log = await state.logs.refreshed(row)
    root = live_node(log.state, kind="supervisor", workflow=row.workflow, mailbox=0,
                     workers=(), waiting={}, subs={})
    return json_response({"live": False, "root": _no_mailbox(root)})


async def timeline(request: Request) -> Response:
    """GET /api/v1/executions/{id}/timeline."""
    state = _state(request)
    row = await the_row(state, request.path_params["execution_id"])
    top = await _top(state, row)
    path = state.settings.trace_path(top.id)
    data = await run_in_threadpool(_traced, path, row.id, "timeline") if path else None
    if data is None:
        raise ApiError(404, "no_trace", "no trace of this execution (the daemon writes one "
                       "per execution started with a trace directory)", execution_id=row.id)
    return json_response(data)


async def _top(state: ServerState, row: ExecutionRow) -> ExecutionRow:
    """The top execution of ``row`` (itself if it has no parent)."""
    while row.parent is not None:
        row = await the_row(state, row.parent)
    return row


def _live(state: ServerState, top: ExecutionRow, execution_id: str) -> dict[str, Any] | None:
    """A worker thread: the live tree of ``execution_id`` (None: nothing runs it here)."""
    try:
        handle = state.engine.get(top.id)
    except (UnknownExecution, ExecutionNotRunning):
        return None
    tree = handle.actor_tree()
    if tree is None or execution_id == top.id:
        return tree
    found = _find(tree, execution_id)
    return None if found is None else {**found, "kind": "supervisor"}


def _find(node: dict[str, Any], execution_id: str) -> dict[str, Any] | None:
    if node.get("execution") == execution_id:
        return node
    for child in node["children"]:
        found = _find(child, execution_id)
        if found is not None:
            return found
    return None


def _no_mailbox(node: dict[str, Any]) -> dict[str, Any]:
    return {**node, "mailbox": None, "children": [_no_mailbox(c) for c in node["children"]]}


def _traced(path: Path, execution_id: str, view: str) -> Any:
    """A worker thread: ``view`` of ``execution_id`` from the trace file (None: no trace,
    or the execution is not in it yet)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _from_trace(str(path), execution_id, view, stat.st_size, stat.st_mtime_ns)


def _skip(error: TraceFormatError) -> None:
    """A malformed line (a running execution's last line may be half written): skipped."""


@functools.lru_cache(maxsize=16)
def _from_trace(path: str, execution_id: str, view: str, size: int, mtime: int) -> Any:
    """The view, cached while the file stays the same (``size``, ``mtime``)."""
    try:
        loaded = load_execution(path, execution_id, item_details=view == "timeline",
                                on_error=_skip, max_errors=1 << 30)
    except (ExecutionNotFound, AmbiguousExecution):  # not in the file (yet)
        return None
    tree = build_tree(loaded)
    return grouped_timeline(tree) if view == "timeline" else trace_node(tree)
