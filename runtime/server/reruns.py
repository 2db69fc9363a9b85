"""The rerun endpoint: a finished execution runs again from some of its tasks.

    POST /api/v1/executions/{id}/rerun   {"tasks": ["name" | {"task", "route"}],
                                          "reset": ["name"], "parameters": {...}}
        202 + the execution's summary (status running), once the rerun is journaled;
        409 bad_status (not finished), 400 bad_rerun (task, reason), 400 bad_parameters
        (as a start's), 404 not_found.

The rerun itself is :meth:`runtime.engine.Engine.rerun` (:mod:`runtime.reruns`).

Misuse: route it before ``/{control}`` (it would be taken for an unknown control).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runtime.errors import ParameterError, RerunRefused, UnknownExecution
from runtime.reruns import rerun_requests

from .errors import ApiError
from .executions import the_row
from .state import ServerState, bad_parameters
from .views import summary_json
from .wire import json_response, read_json

__all__ = ["rerun"]

async def rerun(request: Request) -> Response:
    """POST /api/v1/executions/{id}/rerun."""
    state: ServerState = request.app.state.troupe
    if state.draining:
        raise ApiError(503, "draining", "the daemon is stopping: it starts no rerun")
    execution_id = request.path_params["execution_id"]
    body = await read_json(request, state.settings.max_body_bytes, optional=True)
    tasks, reset, parameters = _request(body)
    await the_row(state, execution_id)
    await run_in_threadpool(_rerun, state, execution_id, tasks, reset, parameters)
    row = await the_row(state, execution_id)
    log = await state.logs.refreshed(row)
    return json_response(summary_json(row, log), 202)


def _request(body: dict[str, Any]) -> tuple[Any, list[str], dict[str, Any]]:
    tasks = body.get("tasks") or []
    reset = body.get("reset") or []
    parameters = body.get("parameters") or {}
    if not isinstance(tasks, list):
        raise ApiError(400, "bad_request", "tasks: a list of names or {task, route}",
                       field="tasks")
    try:
        requests = rerun_requests(tasks)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, "bad_request", f"tasks: {exc}", field="tasks") from None
    if not isinstance(reset, list) or not all(isinstance(name, str) for name in reset):
        raise ApiError(400, "bad_request", "reset: a list of task names", field="reset")
    if not isinstance(parameters, dict):
        raise ApiError(400, "bad_request", "parameters must be a JSON object",
                       field="parameters")
    return requests, reset, parameters


def _rerun(state: ServerState, execution_id: str, tasks: Any, reset: list[str],
           parameters: dict[str, Any]) -> None:
    """A worker thread: rerun (it returns once its request is journaled: its claim)."""
    options: dict[str, Any] = {}
    trace = state.settings.trace_path(execution_id)
    if trace is not None:
        trace.parent.mkdir(parents=True, exist_ok=True)
        options["trace"] = trace
    try:
        state.engine.rerun(execution_id, tasks, reset, parameters, **options)
    except RerunRefused as exc:
        if exc.status is not None:
            raise ApiError(409, "bad_status", f"the execution is {exc.status}",
                           status=exc.status) from None
        raise ApiError(400, "bad_rerun", str(exc), task=exc.task, reason=exc.reason) from None
    except ParameterError as exc:
        raise bad_parameters(exc) from None
    except UnknownExecution:
        raise ApiError(404, "not_found", f"no execution {execution_id!r}",
                       execution_id=execution_id) from None
