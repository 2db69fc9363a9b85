"""The execution endpoints: start, list, show, cancel, pause, resume.

    POST /api/v1/executions                      201 (started) or 200 (its key's execution)
    GET  /api/v1/executions?status=&workflow=&parent=&limit=&cursor=
    GET  /api/v1/executions/{id}
    POST /api/v1/executions/{id}/cancel|pause|resume   202, or 409 bad_status

Misuse: answer every execution through :mod:`runtime.server.views` (masking).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runtime.errors import ExecutionNotRunning, UnknownExecution
from runtime.handle import WorkflowHandle
from runtime.status import WorkflowStatus
from runtime.store import ExecutionRow

from .errors import ApiError
from .state import ServerState, Submission
from .views import execution_json, summary_json
from .wire import json_response, query_cursor, query_int, read_json

__all__ = ["CONTROLS", "control", "create", "list_executions", "show", "the_row"]

S = WorkflowStatus
CONTROLS: dict[str, tuple[frozenset[str], Callable[[WorkflowHandle], None]]] = {
    "cancel": (frozenset({S.REQUESTED, S.RUNNING, S.PAUSING, S.PAUSED, S.FAILING,
                          S.CANCELING}), lambda h: h.cancel("canceled through the API")),
    "pause": (frozenset({S.RUNNING, S.PAUSING}), WorkflowHandle.pause),
    "resume": (frozenset({S.PAUSING, S.PAUSED}), WorkflowHandle.resume),
}
"""Control -> (the statuses that allow it, what it does)."""


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.troupe
    return state


async def the_row(state: ServerState, execution_id: str) -> ExecutionRow:
    """The record of an execution (404 ``not_found`` if there is none)."""
    row = await run_in_threadpool(state.engine.record, execution_id)
    if row is None:
        raise ApiError(404, "not_found", f"no execution {execution_id!r}",
                       execution_id=execution_id)
    return row


async def create(request: Request) -> Response:
    """POST /api/v1/executions."""
    state = _state(request)
    if state.draining:
        raise ApiError(503, "draining", "the daemon is stopping: it starts no new execution")
    body = await read_json(request, state.settings.max_body_bytes)
    workflow = body.get("workflow")
    parameters = body.get("parameters") or {}
    key = body.get("idempotency_key")
    if not isinstance(workflow, str) or not workflow.strip():
        raise ApiError(400, "bad_request", "workflow: a name or YAML text is required",
                       field="workflow")
    if not isinstance(parameters, dict):
        raise ApiError(400, "bad_request", "parameters must be a JSON object",
                       field="parameters")
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 200):
        raise ApiError(400, "bad_request", "idempotency_key: a string of 1 to 200 characters",
                       field="idempotency_key")
    row, started = await state.submit(Submission(workflow=workflow, parameters=parameters,
                                                 idempotency_key=key))
    log = await state.logs.refreshed(row)
    return json_response(execution_json(row, log), 201 if started else 200)


async def list_executions(request: Request) -> Response:
    """GET /api/v1/executions."""
    state = _state(request)
    query = request.query_params
    limit = query_int(request, "limit", state.settings.page_limit, 1, state.settings.page_limit)
    status = query.get("status") or None
    if status is not None and status not in {s.value for s in WorkflowStatus}:
        raise ApiError(400, "bad_request", f"unknown status {status!r}", parameter="status",
                       allowed=[s.value for s in WorkflowStatus])
    cursor = query_cursor(request)
    page = await run_in_threadpool(lambda: state.engine.list(
        status=status, workflow=query.get("workflow") or None, limit=limit, cursor=cursor,
        parent=query.get("parent") or None))
    items = await state.counts.summaries(state.logs, page.executions)
    return json_response({"items": items, "cursor": page.cursor})


async def show(request: Request) -> Response:
    """GET /api/v1/executions/{id}."""
    state = _state(request)
    row = await the_row(state, request.path_params["execution_id"])
    log = await state.logs.refreshed(row)
    return json_response(execution_json(row, log))


async def control(request: Request) -> Response:
    """POST /api/v1/executions/{id}/cancel|pause|resume."""
    state = _state(request)
    name = request.path_params["control"]
    if name not in CONTROLS:
        raise ApiError(404, "not_found", f"no such control {name!r} (cancel, pause, resume)")
    allowed, act = CONTROLS[name]
    row = await the_row(state, request.path_params["execution_id"])
    status = await run_in_threadpool(_control, state, row, allowed, act)
    log = await state.logs.refreshed(row)
    return json_response({**summary_json(row, log), "status": status}, 202)


def _control(state: ServerState, row: ExecutionRow, allowed: frozenset[str],
             act: Callable[[WorkflowHandle], None]) -> str:
    """A worker thread: tell the execution, if its status allows; its status then."""
    try:
        handle = state.engine.get(row.id)
    except UnknownExecution:
        raise ApiError(404, "not_found", f"no execution {row.id!r}",
                       execution_id=row.id) from None
    except ExecutionNotRunning as exc:
        code = "sub_workflow" if row.parent is not None else "not_running"
        raise ApiError(409, code, "this engine does not run the execution (a sub-workflow "
                       "is controlled through its parent)", status=exc.status,
                       parent=row.parent) from None
    status = handle.status
    if status not in allowed:
        raise ApiError(409, "bad_status", f"the execution is {status}", status=status,
                       allowed=sorted(allowed))
    act(handle)
    return status

