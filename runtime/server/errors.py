"""The API's errors: one exception carrying an HTTP status, a stable code and data.

Every error response is ``{"error": {"code", "message", "details", ...details}}`` (the data
also at the top level of ``error``, as ``docs/api.md`` says). Handlers raise
:class:`ApiError`; :func:`error_response` renders it.

Misuse: never put a secret into an error's message or data (mask it first); codes are
stable (clients match on them), messages are for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["ApiError", "error_body", "error_response"]


class ApiError(Exception):
    """An HTTP error with a code and data."""

    def __init__(self, status: int, code: str, message: str, /, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_body(code: str, message: str, /, **details: Any) -> dict[str, Any]:
    """The JSON of an error."""
    return {"error": {**details, "code": code, "message": message, "details": details}}


def error_response(error: ApiError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The response of an :class:`ApiError`."""
    return JSONResponse(error_body(error.code, error.message, **error.details),
                        status_code=error.status, headers=headers)
