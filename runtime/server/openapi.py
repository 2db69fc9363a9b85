"""``GET /openapi.json``: the OpenAPI 3.0 document of every endpoint, written by hand.

The schemas here are the shapes :mod:`runtime.server.views` and
:mod:`runtime.server.errors` build; ``tests/server/test_schemathesis.py`` runs schemathesis
against this document (no 5xx, every response as described), so the two cannot drift apart
silently.

Misuse: change a shape here and in ``views.py`` together, and say so in ``docs/api.md``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.status import TaskStatus, WorkflowStatus

from .openapi_parts import ANY, ID, INT, STR, TIME
from .openapi_parts import errors as _errors
from .openapi_parts import json_content as _json
from .openapi_parts import nullable as _nullable
from .openapi_parts import ok as _ok
from .openapi_parts import query as _query
from .openapi_parts import ref as _ref
from .openapi_views import VIEW_PATHS, VIEW_SCHEMAS
from .wire import json_response

__all__ = ["DOCUMENT", "openapi"]

SUMMARY = {
    "type": "object",
    "required": ["id", "workflow", "status", "created_at", "finished_at", "parent"],
    "properties": {
        "id": STR, "workflow": STR,
        "status": {"type": "string", "enum": [s.value for s in WorkflowStatus]},
        "created_at": TIME, "finished_at": TIME,
        "parent": _nullable(STR), "parent_task": _nullable(STR),
        "counts": _nullable({
            "type": "object", "required": ["tasks", "tasks_done", "items"],
            "properties": {"tasks": INT, "tasks_done": INT, "items": {
                "type": "object", "required": ["total", "done", "failed", "running"],
                "properties": dict.fromkeys(("total", "done", "failed", "running"), INT)}}}),
    },
}
COUNTS = ("total", "done", "succeeded", "failed", "running", "waiting")
ITEMS = _nullable({"type": "object", "required": list(COUNTS),
                   "properties": dict.fromkeys(COUNTS, INT)})
TASK = {
    "type": "object",
    "required": ["name", "route", "status", "attempts", "result", "started_at",
                 "finished_at", "items"],
    "properties": {"name": STR, "route": INT,
                   "status": {"type": "string", "enum": [s.value for s in TaskStatus]},
                   "attempts": INT, "result": ANY, "started_at": TIME, "finished_at": TIME,
                   "items": ITEMS},
}
EXEC_ERROR = {
    "type": "object", "required": ["kind", "message"],
    "properties": {"task": _nullable(STR), "kind": STR, "message": STR,
                   "route": _nullable(INT), "item": _nullable(INT), "field": _nullable(STR),
                   "expression": _nullable(STR), "handled_by": _nullable(STR)},
}
EXECUTION = {
    "allOf": [_ref("Summary"), {
        "type": "object",
        "required": ["parameters", "output", "errors", "tasks", "started_at", "last_event"],
        "properties": {"parameters": {"type": "object"},
                       "output": _nullable({"type": "object"}),
                       "errors": {"type": "array", "items": _ref("ExecutionError")},
                       "tasks": {"type": "array", "items": _ref("Task")},
                       "started_at": TIME, "last_event": INT,
                       "reruns": {"type": "array", "items": _ref("Rerun")}},
    }],
}
EVENT = {
    "type": "object", "required": ["id", "kind", "execution_id", "time"],
    "properties": {
        "id": {"type": "integer", "minimum": 1}, "kind": STR, "execution_id": STR,
        "task": STR, "route": INT, "run": INT, "item": INT, "status": STR, "done": INT,
        "total": INT, "attempt": INT, "error": STR, "pseudo": {"type": "boolean"},
        "size": INT, "limit": INT, "measure": STR, "inquiry": STR, "time": TIME,
    },
}
ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "details"],
                             "properties": {"code": STR, "message": STR,
                                            "details": {"type": "object"}}}},
}
DIAGNOSTIC = {
    "type": "object", "required": ["code", "severity", "message"],
    "properties": {"code": STR, "severity": STR, "message": STR, "file": _nullable(STR),
                   "line": _nullable(INT), "column": _nullable(INT), "task": _nullable(STR),
                   "path": STR},
}
REPORT = {
    "type": "object", "required": ["file", "valid", "dialect", "diagnostics"],
    "properties": {"file": _nullable(STR), "valid": {"type": "boolean"},
                   "dialect": _nullable(STR),
                   "diagnostics": {"type": "array", "items": _ref("Diagnostic")}},
}
RERUN = {
    "type": "object",
    "required": ["number", "tasks", "reset", "parameters", "requested_at"],
    "properties": {
        "number": {"type": "integer", "minimum": 1},
        "tasks": {"type": "array", "items": {
            "type": "object", "required": ["task", "route", "run", "rerun_of"],
            "properties": {"task": STR, "route": INT, "run": INT, "rerun_of": INT}}},
        "reset": {"type": "array", "items": STR},
        "parameters": {"type": "array", "items": STR, "description": "the names edited"},
        "requested_at": TIME},
}
RERUN_REQUEST = {
    "type": "object",
    "properties": {
        "tasks": {"type": "array", "items": {"oneOf": [
            {"type": "string", "description": "a task name (NAME:ROUTE for one route)"},
            {"type": "object", "required": ["task"],
             "properties": {"task": STR, "route": {"type": "integer", "minimum": 0}}}]}},
        "reset": {"type": "array", "items": STR},
        "parameters": {"type": "object"}},
}
SUBMIT = {
    "type": "object", "required": ["workflow"],
    "properties": {"workflow": {"type": "string", "minLength": 1,
                                "description": "a name in the workflows directory, or YAML"},
                   "parameters": {"type": "object"},
                   "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200}},
}


def _control(name: str) -> dict[str, Any]:
    return {"post": {
        "summary": f"{name.capitalize()} an execution", "operationId": f"{name}_execution",
        "parameters": [ID],
        "responses": {**_ok(202, _ref("Summary"), "told"), **_errors(404, 409)}}}


PATHS: dict[str, Any] = {
    "/healthz": {"get": {"summary": "The process answers", "operationId": "healthz",
                         "security": [],
                         "responses": _ok(200, {"type": "object"}, "alive")}},
    "/readyz": {"get": {"summary": "Recovery finished and the store answers",
                        "operationId": "readyz",
                        "responses": {**_ok(200, {"type": "object"}, "ready"),
                                      **_errors(503)}}},
    "/metrics": {"get": {"summary": "Prometheus metrics", "operationId": "metrics",
                         "responses": {"200": {"description": "Prometheus text",
                                               "content": {"text/plain": {"schema": STR}}},
                                       **_errors()}}},
    "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                              "responses": {**_ok(200, {"type": "object"}, "OpenAPI 3.0"),
                                            **_errors()}}},
    "/api/v1/executions": {
        "post": {"summary": "Start an execution (or find its idempotency key's)",
                 "operationId": "create_execution",
                 "requestBody": {"required": True, "content": _json(_ref("Submit"))},
                 "responses": {**_ok(201, _ref("Execution"), "started"),
                               **_ok(200, _ref("Execution"), "the key's execution"),
                               **_errors(400, 413, 503)}},
        "get": {"summary": "Executions, newest first", "operationId": "list_executions",
                "parameters": [
                    _query("status", {"type": "string",
                                      "enum": [s.value for s in WorkflowStatus]}),
                    _query("workflow", STR), _query("parent", STR),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
                    _query("cursor", STR)],
                "responses": {**_ok(200, {"type": "object", "required": ["items", "cursor"],
                                          "properties": {
                                              "items": {"type": "array",
                                                        "items": _ref("Summary")},
                                              "cursor": _nullable(STR)}}, "a page"),
                              **_errors(400)}},
    },
    "/api/v1/executions/{execution_id}": {"get": {
        "summary": "One execution", "operationId": "get_execution", "parameters": [ID],
        "responses": {**_ok(200, _ref("Execution"), "the execution"), **_errors(404)}}},
    "/api/v1/executions/{execution_id}/events": {"get": {
        "summary": "Its progress events (JSON, or text/event-stream)",
        "operationId": "execution_events",
        "parameters": [ID, _query("after", {"type": "integer", "minimum": 0}),
                       {"name": "Last-Event-ID", "in": "header", "required": False,
                        "schema": {"type": "integer", "minimum": 0}}],
        "responses": {"200": {"description": "events", "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["items", "finished"],
                "properties": {"items": {"type": "array", "items": _ref("Event")},
                               "finished": {"type": "boolean"}}}},
            "text/event-stream": {"schema": STR}}}, **_errors(400, 404)}}},
    "/api/v1/executions/{execution_id}/trace": {"get": {
        "summary": "Its trace lines", "operationId": "execution_trace", "parameters": [ID],
        "responses": {"200": {"description": "JSON lines", "content": {
            "application/x-ndjson": {"schema": STR}}}, **_errors(404)}}},
    "/api/v1/executions/{execution_id}/cancel": _control("cancel"),
    "/api/v1/executions/{execution_id}/pause": _control("pause"),
    "/api/v1/executions/{execution_id}/resume": _control("resume"),
    "/api/v1/executions/{execution_id}/rerun": {"post": {
        "summary": "Rerun a finished execution from some of its tasks",
        "operationId": "rerun_execution", "parameters": [ID],
        "requestBody": {"required": False, "content": _json(_ref("RerunRequest"))},
        "responses": {**_ok(202, _ref("Summary"), "rerunning"),
                      **_errors(400, 404, 409, 413, 503)}}},
    "/api/v1/validate": {"post": {
        "summary": "Validate a workflow (troupe validate --json)", "operationId": "validate",
        "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["workflow"],
            "properties": {"workflow": {"type": "string", "minLength": 1},
                           "actions_optional": {"type": "boolean"}}})},
        "responses": {**_ok(200, _ref("Report"), "the report"), **_errors(400, 413)}}},
    "/api/v1/workflows": {"get": {
        "summary": "The workflows directory, each file validated", "operationId": "workflows",
        "responses": {**_ok(200, {"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": {"allOf": [
                {"type": "object", "required": ["name"], "properties": {"name": STR}},
                _ref("Report")]}}}}, "the workflows"), **_errors()}}},
}

# ---- inquiries (runtime.server.inquiries) ----------------------------------------------------

INQUIRY_STATUSES = ["pending", "answered", "timed_out", "canceled"]
INQUIRY = {
    "type": "object",
    "required": ["id", "execution_id", "task", "route", "item", "status", "prompt", "schema",
                 "assigned_to", "users", "roles", "response", "opened_at", "answered_at",
                 "expires_at"],
    "properties": {
        "id": STR, "execution_id": STR, "task": STR, "route": INT, "item": _nullable(INT),
        "status": {"type": "string", "enum": INQUIRY_STATUSES},
        "prompt": _nullable(STR), "schema": _nullable({"type": "object"}),
        "assigned_to": {"type": "array", "items": STR},
        "users": {"type": "array", "items": STR}, "roles": {"type": "array", "items": STR},
        "response": _nullable({"type": "object"}),
        "opened_at": {"type": "string", "format": "date-time"},
        "answered_at": TIME, "expires_at": TIME,
    },
}
INQUIRY_ID = {"name": "inquiry_id", "in": "path", "required": True, "schema": STR}
PATHS.update({
    "/api/v1/inquiries": {"get": {
        "summary": "Inquiries (default: the pending ones)", "operationId": "list_inquiries",
        "parameters": [_query("status", {"type": "string", "enum": INQUIRY_STATUSES}),
                       _query("execution", STR),
                       _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
                       _query("cursor", STR)],
        "responses": {**_ok(200, {"type": "object", "required": ["items", "cursor"],
                                  "properties": {
                                      "items": {"type": "array", "items": _ref("Inquiry")},
                                      "cursor": _nullable(STR)}}, "the inquiries"),
                      **_errors(400)}}},
    "/api/v1/inquiries/{inquiry_id}": {"get": {
        "summary": "One inquiry", "operationId": "get_inquiry", "parameters": [INQUIRY_ID],
        "responses": {**_ok(200, _ref("Inquiry"), "the inquiry"), **_errors(404)}}},
    "/api/v1/inquiries/{inquiry_id}/respond": {"post": {
        "summary": "Answer an inquiry (checked against its schema)",
        "operationId": "respond_inquiry", "parameters": [INQUIRY_ID],
        "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["response"],
            "properties": {"response": {"type": "object"}}})},
        "responses": {**_ok(200, _ref("Inquiry"), "answered"),
                      **_errors(400, 404, 409, 413)}}},
})



# --- the web console's endpoints (issue 16; docs/console.md) ---
PATHS["/api/v1/events"] = {"get": {
    "summary": "Execution-level changes as server-sent events (the console's list)",
    "operationId": "execution_feed",
    "responses": {"200": {"description": "a stream that ends when the client goes",
                          "content": {"text/event-stream": {"schema": STR}}},
                  **_errors(406)}}}
PATHS["/api/v1/workflows/{name}"] = {"get": {
    "summary": "A workflow file's text (the console's validation page)",
    "operationId": "workflow_text",
    "parameters": [{"name": "name", "in": "path", "required": True, "schema": STR}],
    "responses": {**_ok(200, {"type": "object", "required": ["name", "file", "text"],
                              "properties": {"name": STR, "file": STR, "text": STR}},
                        "the file"), **_errors(404)}}}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Troupe daemon", "version": "1",
             "description": "The HTTP JSON API of `troupe daemon` (docs/api.md)."},
    "paths": {**PATHS, **VIEW_PATHS},
    "components": {
        "schemas": {"Summary": SUMMARY, "Execution": EXECUTION, "Task": TASK,
                    "ExecutionError": EXEC_ERROR, "Event": EVENT, "Error": ERROR,
                    "Diagnostic": DIAGNOSTIC, "Report": REPORT, "Submit": SUBMIT,
                    "Rerun": RERUN, "RerunRequest": RERUN_REQUEST, "Inquiry": INQUIRY,
                    **VIEW_SCHEMAS},
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
    "security": [{"bearer": []}],
}


async def openapi(request: Request) -> Response:
    """GET /openapi.json."""
    return json_response(DOCUMENT)
