"""The bearer token (401 everywhere but /healthz) and secrets masked in every response."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runtime import ActionFailed, Engine
from runtime.server import create_app

from .conftest import settings_for
from .test_events import parse_sse

pytestmark = pytest.mark.timeout(60)

TOKEN = "t0ken-of-the-daemon"
SECRET = "hunter2-very-secret"
PATHS = [("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.json"),
         ("GET", "/api/v1/executions"), ("POST", "/api/v1/executions"),
         ("GET", "/api/v1/executions/x"), ("GET", "/api/v1/executions/x/events"),
         ("GET", "/api/v1/executions/x/trace"), ("POST", "/api/v1/executions/x/cancel"),
         ("POST", "/api/v1/validate"), ("GET", "/api/v1/workflows"), ("GET", "/nowhere")]


@pytest.fixture
def guarded(engine: Engine, workflows_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(engine, settings_for(workflows_dir, tmp_path, token=TOKEN))
    app.state.troupe.ready = True
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(("method", "path"), PATHS)
@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer",
                                    f"Bearer {TOKEN}x"])
def test_a_request_without_the_token_gets_401(guarded: TestClient, method: str, path: str,
                                              header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    answer = guarded.request(method, path, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["error"]["code"] == "unauthorized"
    assert TOKEN not in answer.text


def test_the_token_opens_every_endpoint_and_healthz_needs_none(guarded: TestClient) -> None:
    assert guarded.get("/healthz").status_code == 200
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert guarded.get("/readyz", headers=auth).status_code == 200
    answer = guarded.post("/api/v1/executions", json={"workflow": "hello"}, headers=auth)
    assert answer.status_code == 201
    assert guarded.get("/api/v1/executions", headers=auth).status_code == 200


LEAKY = textwrap.dedent("""\
    version: 1.0
    input:
      - token: {secret: true}
    tasks:
      echo:
        action: troupe.echo
        input: {message: 'token={{ ctx("token") }}'}
        next:
          - publish: [said: '{{ result() }}']
            do: refuse
      refuse:
        action: t.leak
        input: {token: '{{ ctx("token") }}'}
    output:
      - said: '{{ ctx("said") }}'
      - token: '{{ ctx("token") }}'
    """)


def _leak(token: str) -> None:
    raise ActionFailed(f"refused {token}", result={"token": token})


def test_secrets_are_masked_in_every_response(store_url: str, workflows_dir: Path,
                                              tmp_path: Path) -> None:
    (workflows_dir / "leaky.yaml").write_text(LEAKY, encoding="utf-8")
    with Engine(store=store_url, actions={"t.leak": _leak}) as engine, TestClient(
            create_app(engine, settings_for(workflows_dir, tmp_path))) as client:
        started = client.post("/api/v1/executions", json={
            "workflow": "leaky", "parameters": {"token": SECRET}})
        assert started.status_code == 201
        execution_id = started.json()["id"]
        with client.stream("GET", f"/api/v1/executions/{execution_id}/events",
                           headers={"Accept": "text/event-stream"}) as stream:
            streamed = "".join(stream.iter_text())
        shown = client.get(f"/api/v1/executions/{execution_id}")
        listed = client.get(f"/api/v1/executions/{execution_id}/events")
        trace = client.get(f"/api/v1/executions/{execution_id}/trace")
        texts = [started.text, streamed, shown.text, listed.text, trace.text,
                 client.get("/api/v1/executions").text]
        assert all(SECRET not in text for text in texts)
        body = shown.json()
        assert body["status"] == "failed"
        assert body["parameters"] == {"token": "***"}
        assert body["tasks"][0]["result"] == "token=***"
        assert body["tasks"][1]["result"] == {"token": "***"}
        assert any(e["message"] == "refused ***" for e in body["errors"])
        failed = [m["data"] for m in parse_sse(streamed)
                  if m.get("event") == "progress" and m["data"].get("error")]
        assert failed and all("***" in e["error"] for e in failed)
        assert trace.status_code == 200 and trace.text.strip()
        assert all(json.loads(line)["execution"] == execution_id
                   for line in trace.text.splitlines())
