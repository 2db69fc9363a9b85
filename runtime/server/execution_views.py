"""The console's three views of one execution: its graph, its actor tree, its timeline.

    GET /api/v1/executions/{id}/graph     tasks and transitions, what ran, the layout
    GET /api/v1/executions/{id}/actors    {"live": bool, "root": node}
    GET /api/v1/executions/{id}/timeline  the trace's timeline, with-items grouped

The graph comes from the definition and state the execution's progress log replayed from
its journal (:mod:`runtime.graph_view`). The actor tree is asked of the running supervisors
by message (:meth:`runtime.handle.WorkflowHandle.actor_tree`, ``live`` true, mailbox depths);
once the execution ended, or when this daemon does not run it, it is rebuilt from the trace
(:func:`runtime.actor_view.trace_node`, ``live`` false, ``mailbox`` null), else from the
journals of it and its sub-workflows (:mod:`runtime.server.journal_tree`). The
timeline reads the trace (:mod:`runtime.trace.timeline_groups`); 404 ``no_trace`` without
one. A sub-workflow's views are its own (its trace lines are in its top execution's file).

The trace is read incrementally (:mod:`runtime.server.trace_views`: per trace file, the
offset read and the state built from it, a few files kept): a request reads only the lines
appended since the previous one. A running execution's timeline draws what has not
finished up to the request's time.

Misuse: every view is read-only; a running execution's timeline is rebuilt (from the state
kept, not from the file) at each request: poll it no faster than the console's live
updates.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runtime.actor_view import trace_node
from runtime.errors import ExecutionNotRunning, UnknownExecution
from runtime.graph_view import graph_json
from runtime.status import WORKFLOW_DONE
from runtime.store import ExecutionRow
from runtime.trace.model import LoadedExecution
from runtime.trace.timeline_groups import grouped_timeline
from runtime.trace.tree import build_tree

from .errors import ApiError
from .executions import the_row
from .journal_tree import journal_tree
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
    traced = await state.traces.view(path, row.id, "actors", _actors) if path else None
    if traced is not None:
        return json_response({"live": False, "root": traced})
    return json_response({"live": False, "root": await journal_tree(state, row)})


async def timeline(request: Request) -> Response:
    """GET /api/v1/executions/{id}/timeline."""
    state = _state(request)
    row = await the_row(state, request.path_params["execution_id"])
    top = await _top(state, row)
    path = state.settings.trace_path(top.id)
    now = None if row.status in WORKFLOW_DONE else time.time()  # the request's, if it runs
    data = await state.traces.view(path, row.id, "timeline",
                                   functools.partial(_timeline, now=now)) if path else None
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


def _actors(loaded: LoadedExecution) -> tuple[dict[str, Any], bool]:
    """A worker thread: the actor tree the trace tells (answered again while it stays)."""
    return trace_node(build_tree(loaded)), True


def _timeline(loaded: LoadedExecution, *, now: float | None) -> tuple[dict[str, Any], bool]:
    """A worker thread: the timeline, running bars up to ``now`` (wall clock; None: the last
    line) when the execution runs (answered again only once it finished)."""
    record = loaded.record
    mono = None
    if now is not None and record.start_ts is not None:
        mono = record.start_mono + (now - record.start_ts)
    return grouped_timeline(build_tree(loaded), now=mono), record.finished
