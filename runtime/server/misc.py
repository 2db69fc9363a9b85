"""The endpoints around executions: health, readiness, metrics, workflows, validation.

    GET  /healthz            {"status": "ok"} (no token needed)
    GET  /readyz             200 {"ready": true}: recovery finished and the store answers;
                             503 not_ready otherwise
    GET  /metrics            Prometheus text
    GET  /api/v1/workflows   {"items": [{name, file, valid, dialect, diagnostics}]}
    GET  /api/v1/workflows/{name}   {"name", "file", "text"} (the console's validation page)
    POST /api/v1/validate    {"workflow": NAME | YAML, "actions_optional"?: bool}
                             -> troupe validate --json's report

Misuse: ``/readyz`` asks the store (through the engine's journal); keep probes infrequent.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runtime.errors import TroupeError
from runtime.spec import validation_report
from runtime.spec.source import SourceKind, classify

from .catalog import looks_like_name
from .errors import ApiError
from .state import ServerState
from .wire import json_response, read_json

__all__ = ["healthz", "metrics", "readyz", "validate", "workflow_text", "workflows"]


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.troupe
    return state


async def healthz(request: Request) -> Response:
    """GET /healthz: the process answers."""
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    """GET /readyz."""
    state = _state(request)
    if not state.ready:
        raise ApiError(503, "not_ready", "recovery has not finished")
    try:
        await run_in_threadpool(state.engine.record, "")
    except TroupeError as exc:
        raise ApiError(503, "store_unavailable", str(exc)) from None
    return json_response({"ready": True, "draining": state.draining})


async def metrics(request: Request) -> Response:
    """GET /metrics."""
    from prometheus_client import CONTENT_TYPE_LATEST

    text = await run_in_threadpool(request.app.state.metrics.text)
    return Response(text, media_type=CONTENT_TYPE_LATEST)


async def workflows(request: Request) -> Response:
    """GET /api/v1/workflows."""
    state = _state(request)
    reports = state.catalog.reports
    return json_response({"items": list(reports)})


async def workflow_text(request: Request) -> Response:
    """GET /api/v1/workflows/{name}: the file's text (404 ``not_found`` if none)."""
    state = _state(request)
    name = request.path_params["name"]
    try:
        path = state.catalog.resolve(name)
    except ApiError as exc:
        raise ApiError(404, "not_found", exc.message, workflow=name) from None
    text = await run_in_threadpool(path.read_text, encoding="utf-8")
    return json_response({"name": path.stem, "file": path.name, "text": text})


async def validate(request: Request) -> Response:
    """POST /api/v1/validate."""
    state = _state(request)
    body = await read_json(request, state.settings.max_body_bytes)
    workflow = body.get("workflow")
    if not isinstance(workflow, str) or not workflow.strip():
        raise ApiError(400, "bad_request", "workflow: a name or YAML text is required",
                       field="workflow")
    optional = body.get("actions_optional", False)
    if not isinstance(optional, bool):
        raise ApiError(400, "bad_request", "actions_optional: true or false",
                       field="actions_optional")
    source: Any
    path: str | None = None
    if looks_like_name(workflow):
        source = state.catalog.resolve(workflow)
        path = source.name
    elif classify(workflow).kind is SourceKind.TEXT:
        source = workflow
    else:
        raise ApiError(400, "bad_workflow_name", "a workflow is a name in the workflows "
                       "directory or YAML text", workflow=workflow[:200])
    report = await run_in_threadpool(lambda: validation_report(
        source, path=path, action_exists=state.action_exists, actions_optional=optional,
        action_inputs=state.action_inputs))
    return json_response(report)
