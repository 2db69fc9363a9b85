"""The OpenAPI part of the console's views of one execution (graph, actor tree, timeline:
:mod:`runtime.server.execution_views`), merged into :data:`runtime.server.openapi.DOCUMENT`.

Misuse: change a shape here and in the view's builder together, and in ``docs/api.md``.
"""

from __future__ import annotations

from typing import Any

from .openapi_parts import BOOL, ID, INT, NUM, STR, errors, nullable, ok, ref

__all__ = ["VIEW_PATHS", "VIEW_SCHEMAS"]

GRAPH = {
    "type": "object", "required": ["nodes", "edges"],
    "properties": {
        "nodes": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "action", "join", "status", "runs", "command", "layer",
                         "order"],
            "properties": {"name": STR, "action": nullable(STR),
                           "join": {"description": "false, \"all\" or a count"},
                           "status": nullable(STR), "runs": INT, "command": BOOL,
                           "layer": INT, "order": INT}}},
        "edges": {"type": "array", "items": {
            "type": "object", "required": ["from", "to", "on", "label", "taken", "loop"],
            "properties": {"from": STR, "to": STR, "on": STR, "label": STR, "taken": BOOL,
                           "loop": BOOL}}},
    },
}
ACTOR_NODE = {
    "type": "object", "required": ["path", "kind", "name", "status", "mailbox", "children"],
    "properties": {
        "path": STR, "name": STR, "status": STR, "mailbox": nullable(INT),
        "kind": {"type": "string", "enum": ["supervisor", "task", "item", "subworkflow"]},
        "children": {"type": "array", "items": ref("ActorNode")},
        "execution": STR, "route": nullable(INT), "run": INT, "item": INT,
        "worker": nullable(INT), "omitted": INT, "subworkflows_omitted": BOOL,
        "items": {"type": "object", "properties": dict.fromkeys(
            ("total", "done", "failed", "running", "waiting", "shown"), INT)},
    },
}
ACTORS = {"type": "object", "required": ["live", "root"],
          "properties": {"live": BOOL, "root": ref("ActorNode")}}
LANE = {"type": "object", "required": ["worker", "spans"],
        "properties": {"worker": nullable(INT), "spans": {
            "type": "array", "items": {"type": "array", "minItems": 3, "maxItems": 3}}}}
TIMELINE_ROW = {
    "type": "object",
    "required": ["kind", "label", "depth", "execution", "start", "duration", "status",
                 "running", "items"],
    "properties": {
        "kind": {"type": "string", "enum": ["task", "execution"]}, "label": STR,
        "depth": INT, "execution": STR, "task": nullable(STR), "route": nullable(INT),
        "run": nullable(INT), "item": nullable(INT), "start": NUM, "duration": NUM,
        "status": STR, "running": BOOL,
        "items": nullable({"type": "object", "required": ["total", "lanes"], "properties": {
            "total": INT, "succeeded": INT, "failed": INT, "canceled": INT,
            "p50": nullable(NUM), "p95": nullable(NUM), "max": nullable(NUM),
            "lanes": {"type": "array", "items": LANE}}}),
    },
}
TIMELINE = {"type": "object",
            "required": ["execution", "workflow", "status", "total", "now", "running", "rows"],
            "properties": {"execution": STR, "workflow": nullable(STR), "status": STR,
                           "total": NUM, "now": NUM, "running": BOOL,
                           "rows": {"type": "array", "items": ref("TimelineRow")}}}


def _view(what: str, operation: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"summary": what, "operationId": operation, "parameters": [ID],
                    "responses": {**ok(200, schema, what), **errors(404)}}}


VIEW_PATHS = {
    "/api/v1/executions/{execution_id}/graph": _view(
        "Its workflow graph: tasks, transitions, what ran, the layout", "execution_graph",
        ref("Graph")),
    "/api/v1/executions/{execution_id}/actors": _view(
        "Its actor tree (live, or rebuilt from the trace)", "execution_actors",
        ref("Actors")),
    "/api/v1/executions/{execution_id}/timeline": _view(
        "Its trace's timeline, with-items grouped", "execution_timeline", ref("Timeline")),
}
VIEW_SCHEMAS = {"Graph": GRAPH, "ActorNode": ACTOR_NODE, "Actors": ACTORS,
                "TimelineRow": TIMELINE_ROW, "Timeline": TIMELINE}
