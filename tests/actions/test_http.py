"""Tests of core.http against a local ThreadingHTTPServer."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from runtime.actions import ActionFailed, ActionTimedOut
from runtime.actions.builtin import core_http
from runtime.actions.http import _ssl_context
from tests.actions.support import Registrations

pytestmark = pytest.mark.timeout(30)


class Server:
    """A test server whose /slow handler blocks until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.slow_arrived = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Test", "yes")
                self.end_headers()
                with contextlib.suppress(ConnectionError):  # the client gave up (cancel tests)
                    self.wfile.write(body)

            def _json(self, status: int, value: Any) -> None:
                self._send(status, json.dumps(value).encode(), "application/json")

            def do_GET(self) -> None:
                if self.path == "/json":
                    self._json(200, {"hello": "world"})
                elif self.path == "/text":
                    self._send(200, "héllo\n".encode(), "text/plain; charset=utf-8")
                elif self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "/json")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path.startswith("/query"):
                    self._json(200, {"path": self.path,
                                     "auth": self.headers.get("Authorization")})
                elif self.path == "/slow":
                    server.slow_arrived.set()
                    server.release.wait(20)
                    self._json(200, {"late": True})
                else:
                    self._json(404, {"error": "nope"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                self._json(
                    201,
                    {
                        "received": json.loads(raw) if raw else None,
                        "content_type": self.headers.get("Content-Type"),
                        "method": self.command,
                        "auth": self.headers.get("Authorization"),
                    },
                )

            do_PUT = do_POST

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture(scope="module")
def running_server() -> Iterator[Server]:
    """One local server for the module (stopping one takes half a second)."""
    with Server() as running:
        yield running


@pytest.fixture
def server(running_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The local server, with proxies from the environment ignored and /slow reset after."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield running_server
    running_server.release.set()
    running_server.release = threading.Event()
    running_server.slow_arrived = threading.Event()


def test_get_json(server: Server) -> None:
    """StackStorm's http runner shape: status_code, the parsed body, parsed, headers."""
    result = core_http(f"{server.base}/json", call=Registrations().call())
    assert set(result) == {"status_code", "body", "parsed", "headers"}
    assert result["status_code"] == 200
    assert result["body"] == {"hello": "world"}
    assert result["parsed"] is True
    assert result["headers"]["X-Test"] == "yes"


def test_get_text(server: Server) -> None:
    """A non-JSON body is returned as text decoded with its charset, parsed false."""
    result = core_http(f"{server.base}/text", call=Registrations().call())
    assert result["body"] == "héllo\n"
    assert result["parsed"] is False


def test_redirect_is_followed(server: Server) -> None:
    """Redirects are followed: the result is the final response's."""
    result = core_http(f"{server.base}/redirect", call=Registrations().call())
    assert result["status_code"] == 200
    assert result["body"] == {"hello": "world"}


def test_params_extend_the_query_and_username_sends_basic_auth(server: Server) -> None:
    """st2's params (query string) and username/password (basic auth) are applied."""
    result = core_http(f"{server.base}/query?a=1", params={"b": "x y"}, username="u",
                       password="p", call=Registrations().call())
    assert result["body"]["path"] == "/query?a=1&b=x+y"
    assert result["body"]["auth"] == "Basic dTpw"  # base64 of "u:p"
    plain = core_http(f"{server.base}/query", params={"b": 2}, call=Registrations().call())
    assert plain["body"] == {"path": "/query?b=2", "auth": None}


@pytest.mark.parametrize("body", [{"a": [1, 2]}, [1, "x"]])
def test_post_json_body_is_echoed(server: Server, body: Any) -> None:
    """A dict or list body is sent as JSON with a JSON content type."""
    result = core_http(
        f"{server.base}/echo",
        method="post",
        body=body,
        headers={"Authorization": "Bearer t"},
        call=Registrations().call(),
    )
    assert result["status_code"] == 201
    assert result["body"] == {
        "received": body,
        "content_type": "application/json",
        "method": "POST",
        "auth": "Bearer t",
    }


def test_explicit_content_type_is_kept(server: Server) -> None:
    """A content type given in headers is not replaced."""
    result = core_http(
        f"{server.base}/echo",
        method="PUT",
        body={"a": 1},
        headers={"content-type": "application/vnd.test+json"},
        call=Registrations().call(),
    )
    assert result["body"]["content_type"] == "application/vnd.test+json"


def test_not_found_fails_with_the_response(server: Server) -> None:
    """A 404 raises ActionFailed whose result is the full response."""
    with pytest.raises(ActionFailed) as info:
        core_http(f"{server.base}/missing", call=Registrations().call())
    assert info.value.result["status_code"] == 404
    assert info.value.result["body"] == {"error": "nope"}


def test_connection_refused_fails_with_error() -> None:
    """A connection error raises ActionFailed with an error string."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ActionFailed) as info:
        core_http(f"http://127.0.0.1:{port}/", call=Registrations().call())
    assert isinstance(info.value.result["error"], str)


def test_bad_url_fails_with_error() -> None:
    """A URL urllib cannot handle raises ActionFailed with an error string."""
    with pytest.raises(ActionFailed) as info:
        core_http("not a url", call=Registrations().call())
    assert info.value.result["error"]


@pytest.mark.parametrize("where", ["input", "task"])
def test_timeout_raises_timed_out(server: Server, where: str) -> None:
    """A response slower than the timeout (input or task-level) raises ActionTimedOut."""
    with pytest.raises(ActionTimedOut):
        if where == "input":
            core_http(f"{server.base}/slow", timeout=0.2, call=Registrations().call())
        else:
            core_http(f"{server.base}/slow", call=Registrations().call(timeout=0.2))


def test_cancel_at_registration_aborts(server: Server) -> None:
    """A kill function called as soon as it is registered aborts the request."""
    stub = Registrations(kill_immediately=True)
    with pytest.raises(ActionFailed) as info:
        core_http(f"{server.base}/slow", timeout=20, call=stub.call())
    assert info.value.result is None


def test_cancel_while_waiting_for_the_response(server: Server) -> None:
    """Calling the registered kill from another thread wakes a request blocked on the server."""
    stub = Registrations()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            core_http(f"{server.base}/slow", timeout=20, call=stub.call())
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert server.slow_arrived.wait(10)
    stub.kills[0]()
    worker.join(10)
    assert not worker.is_alive()
    assert [type(e) for e in errors] == [ActionFailed]


def test_kill_after_completion_is_harmless(server: Server) -> None:
    """The registered kill does nothing once the request is over."""
    stub = Registrations()
    core_http(f"{server.base}/json", call=stub.call())
    stub.kills[0]()


def test_https_to_a_plain_server_fails_with_error(server: Server) -> None:
    """A TLS handshake with a server that does not speak TLS raises ActionFailed with an error."""
    url = server.base.replace("http://", "https://") + "/json"
    with pytest.raises(ActionFailed) as info:
        core_http(url, verify_ssl=False, timeout=5, call=Registrations().call())
    assert info.value.result["error"]


def test_verify_ssl_false_disables_certificate_checks() -> None:
    """verify_ssl=False builds a context that checks neither hostname nor certificate."""
    context = _ssl_context(False)
    assert context is not None
    assert (context.check_hostname, context.verify_mode) == (False, ssl.CERT_NONE)
    assert _ssl_context(True) is None
