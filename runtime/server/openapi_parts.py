"""The building blocks of the hand-written OpenAPI document (:mod:`runtime.server.openapi`):
schema helpers and the primitive schemas every part of it uses.

Misuse: only small, shared pieces go here; an endpoint's shapes stay with its part.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ANY", "BOOL", "ID", "INT", "NUM", "STR", "TIME", "errors", "json_content",
           "nullable", "ok", "query", "ref"]


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


TIME = nullable({"type": "string", "format": "date-time"})
INT = {"type": "integer"}
STR = {"type": "string"}
ANY: dict[str, Any] = {}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}


def errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": "error", "content": json_content(ref("Error"))}
            for s in (*statuses, 401)}


def ok(status: int, schema: dict[str, Any], what: str) -> dict[str, Any]:
    return {str(status): {"description": what, "content": json_content(schema)}}


ID = {"name": "execution_id", "in": "path", "required": True, "schema": STR}


def query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}
