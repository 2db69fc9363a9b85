"""Reading requests and writing responses: JSON bodies with a size limit, query values.

Misuse: read a request body only through :func:`read_json` (it enforces the size limit
while reading, so a lying ``Content-Length`` cannot get past it).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from runtime.store.paging import decode_cursor
from runtime.values import json_default

from .errors import ApiError

__all__ = ["JSON", "json_response", "query_cursor", "query_int", "read_json"]


class JSON(JSONResponse):
    """A JSON response that also encodes the engine's values (frozen data, enums)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=json_default, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")


def json_response(content: Any, status: int = 200) -> JSON:
    """``content`` as JSON."""
    return JSON(content, status_code=status)


async def read_json(request: Request, limit: int, *, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object (413 beyond ``limit`` bytes, 400 if not a JSON object;
    ``optional``: an empty body is ``{}``)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"the request body is over {limit} bytes",
                       limit=limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"the request body is over {limit} bytes",
                           limit=limit)
        chunks.append(chunk)
    if optional and not b"".join(chunks).strip():
        return {}
    try:
        body = json.loads(b"".join(chunks) or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    return body


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``[low, high]`` (400 otherwise)."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(400, "bad_request", f"{name} must be a whole number from {low} to "
                       f"{high}", parameter=name)
    return value


def query_cursor(request: Request) -> str | None:
    """The ``cursor`` query parameter, checked to be one this server gave (400 otherwise)."""
    cursor = request.query_params.get("cursor") or None
    if cursor is not None:
        try:
            decode_cursor(cursor)
        except ValueError:
            raise ApiError(400, "bad_request", "not a cursor this server gave",
                           parameter="cursor") from None
    return cursor
