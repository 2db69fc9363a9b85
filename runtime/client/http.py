"""The HTTP client of the daemon's API, and the two ways a request goes wrong.

:class:`Client` sends one request and returns the decoded JSON answer, or raises
:class:`DaemonUnreachable` (no connection, no answer in time: exit code 3) or
:class:`DaemonRefused` (an error answer ``{"error": {"code", "message", ...}}``: its status,
code and details as fields). The same base URL, token and timeouts serve the event streams
(:meth:`Client.async_client`).

Misuse: the token travels only in the ``Authorization`` header, never in a URL or a message;
do not print :attr:`Client.token`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import httpx

from runtime.errors import TroupeError

__all__ = [
    "DEFAULT_SERVER", "SERVER_ENV", "TOKEN_ENV", "Client", "DaemonRefused",
    "DaemonUnreachable", "transport_reason",
]

DEFAULT_SERVER = "http://127.0.0.1:8765"
SERVER_ENV = "TROUPE_SERVER"
TOKEN_ENV = "TROUPE_TOKEN"
TIMEOUT = 30.0


class DaemonUnreachable(TroupeError):
    """No daemon answered at ``url``: ``reason`` says why (connection refused, timed out)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot reach the Troupe daemon at {url}: {reason}; "
                         "is `troupe daemon` running?")


class DaemonRefused(TroupeError):
    """The daemon answered an error: HTTP ``status``, the stable ``code``, its ``details``."""

    def __init__(self, *, status: int, code: str, message: str,
                 details: dict[str, Any]) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        super().__init__(f"{message} ({status} {code})")


def transport_reason(exc: httpx.TransportError) -> str:
    """What went wrong, in words: ``connection refused``, ``no answer within 30 s``."""
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc).strip()) or type(exc).__name__
    return text[:1].lower() + text[1:]


def refused(response: httpx.Response) -> DaemonRefused:
    """The error an error answer carries (one that is not JSON: its status and text)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict):
        return DaemonRefused(status=response.status_code, code="http_error",
                             message=f"HTTP {response.status_code}: "
                                     f"{response.text[:200].strip()}", details={})
    details = dict(error.get("details") or {})
    details.update({k: v for k, v in error.items() if k not in ("code", "message", "details")})
    return DaemonRefused(status=response.status_code, code=str(error.get("code", "")),
                         message=str(error.get("message", "")), details=details)


class Client:
    """Requests to one daemon (``server``: its base URL), with its bearer ``token``."""

    def __init__(self, server: str | None = None, token: str | None = None, *,
                 transport: httpx.BaseTransport | None = None,
                 timeout: float = TIMEOUT) -> None:
        self.server = (server or os.environ.get(SERVER_ENV) or DEFAULT_SERVER).rstrip("/")
        self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.http = httpx.Client(base_url=self.server, headers=self.headers,
                                 timeout=timeout, transport=transport)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

    def async_client(self) -> httpx.AsyncClient:
        """An async client to the same daemon (for event streams: no read timeout)."""
        return httpx.AsyncClient(base_url=self.server, headers=self.headers,
                                 timeout=httpx.Timeout(self.timeout, read=None))

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        try:
            yield
        except httpx.TransportError as exc:
            raise DaemonUnreachable(self.server, transport_reason(exc)) from None

    def request(self, method: str, path: str, *, body: Any = None,
                params: dict[str, Any] | None = None) -> Any:
        """The decoded JSON answer of one request (the errors above otherwise)."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        with self._reaching():
            response = self.http.request(method, path, json=body, params=query)
        if response.status_code >= 400:
            raise refused(response)
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` with these query parameters (None ones left out)."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        """POST ``body`` as JSON to ``path``."""
        return self.request("POST", path, body=body)

    def text(self, path: str) -> Iterator[str]:
        """The lines of a text answer (``/trace``, ``/metrics``), as they come."""
        with self._reaching(), self.http.stream("GET", path) as response:
            if response.status_code >= 400:
                response.read()
                raise refused(response)
            yield from response.iter_lines()

    def pages(self, path: str, *, limit: int | None, cursor: str | None = None,
              **params: Any) -> tuple[list[Any], str | None]:
        """The items of a paged list from ``cursor``, following its cursor (at most
        ``limit``; None: all), and the cursor of what is left (None: nothing)."""
        items: list[Any] = []
        while limit is None or len(items) < limit:
            size = 100 if limit is None else min(100, limit - len(items))
            page = self.get(path, limit=size, cursor=cursor, **params)
            items.extend(page["items"])
            cursor = page.get("cursor")
            if not cursor or not page["items"]:
                return items, None
        return items, cursor
