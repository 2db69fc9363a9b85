"""The bearer token check: an ASGI middleware in front of every route.

With a token configured, every HTTP request except ``GET /healthz`` and the console's
files (``GET /`` and ``GET /console/...``: static, no data in them) needs
``Authorization: Bearer TOKEN``; the token is compared with :func:`hmac.compare_digest`
(constant time), and a missing or wrong one gets ``401`` with a JSON error and a
``WWW-Authenticate: Bearer`` header.

Misuse: never log the header or the token; the check runs before the route, so no handler
ever sees an unauthenticated request.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ApiError, error_response

__all__ = ["OPEN", "OPEN_PREFIX", "TokenCheck"]

OPEN = frozenset({("GET", "/healthz"), ("HEAD", "/healthz"), ("GET", "/"), ("HEAD", "/")})
"""(method, path) pairs that need no token."""
OPEN_PREFIX = "/console/"
"""GET/HEAD paths under it (the console's static files) need no token."""


def _open(scope: Scope) -> bool:
    method, path = scope["method"], scope["path"]
    return (method, path) in OPEN or (method in {"GET", "HEAD"}
                                      and path.startswith(OPEN_PREFIX))


class TokenCheck:
    """Refuses HTTP requests without the bearer token (see the module docstring)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode("utf-8") if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.token is None or scope["type"] != "http"
                or _open(scope) or self._allowed(scope)):
            await self.app(scope, receive, send)
            return
        response = error_response(
            ApiError(401, "unauthorized", "a valid 'Authorization: Bearer TOKEN' is needed"),
            headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)

    def _allowed(self, scope: dict[str, Any] | Scope) -> bool:
        assert self.token is not None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, given = bytes(value).partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    given.strip(), self.token)
        return False
