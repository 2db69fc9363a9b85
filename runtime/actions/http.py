"""The ``core.http`` action: one HTTP request through ``urllib.request``, JSON in and out.

It takes StackStorm's http runner parameters that apply (``url``, ``method``, ``headers``,
``body``, ``params`` for the query string, ``username``/``password`` for basic auth,
``timeout``, ``verify_ssl_cert``) and returns the runner's result, ``{status_code, body,
parsed, headers}``: ``body`` is the parsed value when the response is JSON (``parsed`` is
then true), else the text. A dict or list body is sent as JSON. A status outside 2xx
fails the action with the full response as its result; a connection problem fails it with
``{"error": ...}``; running out of time (the smaller of ``timeout`` and the task's timeout)
raises ``ActionTimedOut``. ``GET`` and ``HEAD`` requests are declared idempotent (sent again
after a crash), every other method is not. A cancellation shuts the connection's socket
down, which wakes a blocked read at once.

Misuse: do not use it to download large files (the whole body is read into memory); do not
disable ``verify_ssl`` outside of tests; do not put credentials in the URL (it is part of the
result): pass them in ``headers``.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from runtime.actions.call import Call
from runtime.actions.idempotency import idempotent
from runtime.errors import ActionFailed, ActionTimedOut

__all__ = ["SAFE_METHODS", "core_http", "safe_method"]

SAFE_METHODS = frozenset({"GET", "HEAD"})
"""The methods whose requests ``core.http`` declares idempotent (sent again after a crash)."""


def safe_method(inputs: Mapping[str, Any]) -> bool:
    """Tell whether a ``core.http`` attempt with these inputs uses a method of
    :data:`SAFE_METHODS` (``GET`` when none is given)."""
    return str(inputs.get("method", "GET")).upper() in SAFE_METHODS


class _Canceller:
    """Shuts down the socket of the request in flight when the engine cancels the attempt.

    ``cancel`` may be called from another thread at any time; a socket attached after the
    cancellation is shut down as soon as it is connected.
    """

    __slots__ = ("_sock", "canceled", "done")

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self.canceled = False
        self.done = False

    def attach(self, sock: socket.socket) -> None:
        """Remember the freshly connected ``sock``; abort it if already cancelled."""
        self._sock = sock
        if self.canceled:
            self._abort()

    def cancel(self) -> None:
        """Mark the request cancelled and wake whatever blocks on its socket."""
        if self.done:
            return
        self.canceled = True
        self._abort()

    def _abort(self) -> None:
        """Shut the current socket down in both directions (a closed one is fine)."""
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _HTTPConnection(http.client.HTTPConnection):
    """An HTTP connection that reports its socket to a :class:`_Canceller`."""

    canceller: _Canceller | None = None

    def connect(self) -> None:
        """Connect, then hand the socket to the canceller."""
        super().connect()
        if self.canceller is not None:
            self.canceller.attach(self.sock)


class _HTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection that reports its (TLS) socket to a :class:`_Canceller`."""

    canceller: _Canceller | None = None

    def connect(self) -> None:
        """Connect and handshake, then hand the socket to the canceller."""
        super().connect()
        if self.canceller is not None:
            self.canceller.attach(self.sock)


class _HTTPHandler(urllib.request.HTTPHandler):
    """Opens plain HTTP connections watched by one canceller."""

    def __init__(self, canceller: _Canceller) -> None:
        super().__init__()
        self._canceller = canceller

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        """Open ``req`` on a watched connection."""

        def connection(host: str, **kwargs: Any) -> _HTTPConnection:
            conn = _HTTPConnection(host, **kwargs)
            conn.canceller = self._canceller
            return conn

        return self.do_open(connection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    """Opens HTTPS connections watched by one canceller."""

    def __init__(self, canceller: _Canceller, context: ssl.SSLContext | None) -> None:
        super().__init__(context=context)
        self._canceller = canceller
        self._ssl_context = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        """Open ``req`` on a watched TLS connection."""

        def connection(host: str, **kwargs: Any) -> _HTTPSConnection:
            conn = _HTTPSConnection(host, **kwargs)
            conn.canceller = self._canceller
            return conn

        return self.do_open(connection, req, context=self._ssl_context)


def _encode_body(body: Any, headers: dict[str, str]) -> bytes | None:
    """Return ``body`` as bytes, JSON-encoding non-text values and setting the content type."""
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    return json.dumps(body).encode("utf-8")


def _response_result(resp: Any) -> dict[str, Any]:
    """Read ``resp`` (a response or an ``HTTPError``) into the ``core.http`` result dict."""
    raw = resp.read()
    message = resp.headers
    charset = message.get_content_charset() or "utf-8"
    text = raw.decode(charset, "replace")
    content_type = message.get_content_type()
    body: Any = text
    parsed = False
    if content_type == "application/json" or content_type.endswith("+json"):
        with contextlib.suppress(ValueError):
            body, parsed = json.loads(text), True
    return {
        "status_code": int(resp.status),
        "body": body,
        "parsed": parsed,
        "headers": dict(message.items()),
    }


def _with_query(url: str, params: Mapping[str, Any] | None) -> str:
    """Return ``url`` with ``params`` appended to its query string."""
    if not params:
        return url
    query = urllib.parse.urlencode({str(k): str(v) for k, v in params.items()})
    return f"{url}{'&' if urllib.parse.urlsplit(url).query else '?'}{query}"


def _request_headers(headers: Mapping[str, Any] | None, username: str | None,
                     password: str | None) -> dict[str, str]:
    """The headers to send: ``headers`` plus basic auth when a username or password is set."""
    sent = {str(name): str(value) for name, value in (headers or {}).items()}
    if username is not None or password is not None:
        pair = f"{username or ''}:{password or ''}".encode()
        sent["Authorization"] = f"Basic {base64.b64encode(pair).decode('ascii')}"
    return sent


def _ssl_context(verify_ssl: bool) -> ssl.SSLContext | None:
    """Return a context that skips certificate checks, or ``None`` for the default one."""
    if verify_ssl:
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@idempotent(when=safe_method)
def core_http(
    url: str,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: Any = None,
    timeout: float | None = 60,
    verify_ssl: bool = True,
    params: Mapping[str, Any] | None = None,
    username: str | None = None,
    password: str | None = None,
    verify_ssl_cert: bool | None = None,
    *,
    call: Call,
) -> dict[str, Any]:
    """Send an HTTP request and return StackStorm's ``{status_code, body, parsed, headers}``.

    A dict or list ``body`` is sent as JSON. A JSON response body is parsed (``parsed``).
    ``params`` extend the query string; ``username``/``password`` send basic auth;
    ``verify_ssl_cert`` is StackStorm's name of ``verify_ssl``. A status outside 2xx raises
    ``ActionFailed`` with the same result dict; a connection error raises ``ActionFailed``
    with ``{"error": ...}``; a timeout raises ``ActionTimedOut``.
    """
    limits = [float(t) for t in (timeout, call.timeout) if t is not None]
    limit = min(limits) if limits else None
    sent_headers = _request_headers(headers, username, password)
    verify = verify_ssl if verify_ssl_cert is None else bool(verify_ssl_cert)
    canceller = _Canceller()
    try:
        data = _encode_body(body, sent_headers)
        request = urllib.request.Request(
            _with_query(url, params), data=data, headers=sent_headers,
            method=str(method).upper()
        )
        opener = urllib.request.build_opener(
            _HTTPHandler(canceller), _HTTPSHandler(canceller, _ssl_context(verify))
        )
        call.on_cancel(canceller.cancel)
        resp = opener.open(request) if limit is None else opener.open(request, timeout=limit)
        with resp:
            result = _response_result(resp)
    except urllib.error.HTTPError as exc:
        with exc:
            try:
                result = _response_result(exc)
            except (OSError, http.client.HTTPException) as read_exc:
                raise _failure(read_exc, canceller) from read_exc
        raise ActionFailed(f"HTTP status {result['status_code']}", result=result) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        cause = reason if isinstance(reason, BaseException) else exc
        raise _failure(cause, canceller) from exc
    except (OSError, http.client.HTTPException, ValueError, TypeError) as exc:
        raise _failure(exc, canceller) from exc
    finally:
        canceller.done = True
    if not 200 <= result["status_code"] < 300:
        raise ActionFailed(f"HTTP status {result['status_code']}", result=result)
    return result


def _failure(exc: BaseException, canceller: _Canceller) -> ActionFailed | ActionTimedOut:
    """Return the error to raise for a request that broke with ``exc``."""
    if canceller.canceled:
        return ActionFailed("canceled", result=None)
    if isinstance(exc, TimeoutError):
        return ActionTimedOut(f"request timed out: {exc}", result={"error": str(exc)})
    return ActionFailed(f"request failed: {exc}", result={"error": str(exc) or repr(exc)})
