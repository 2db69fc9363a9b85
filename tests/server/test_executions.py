"""Starting, showing, listing executions; 400s with diagnostics, 404s, 413, 503, readiness."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime import Engine
from runtime.server import create_app

from .conftest import Gate, settings_for

pytestmark = pytest.mark.timeout(60)


def _start(client: TestClient, workflow: str, **parameters: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/executions", json={"workflow": workflow,
                                                     "parameters": parameters})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _finish(client: TestClient, execution_id: str) -> dict[str, Any]:
    """Follow the event stream to its end; the execution then."""
    with client.stream("GET", f"/api/v1/executions/{execution_id}/events",
                       headers={"Accept": "text/event-stream"}) as stream:
        assert "event: end" in "".join(stream.iter_text())
    body: dict[str, Any] = client.get(f"/api/v1/executions/{execution_id}").json()
    return body


def test_an_execution_by_name_runs_and_reads_back(client: TestClient) -> None:
    started = _start(client, "hello", name="Ann")
    assert started["workflow"] == "hello" and started["parent"] is None
    assert started["status"] in {"requested", "running", "succeeded"}
    done = _finish(client, started["id"])
    assert done["status"] == "succeeded"
    assert done["output"] == {"greeting": "Hello, Ann!"}
    assert done["parameters"] == {"name": "Ann"}
    assert done["errors"] == []
    [task] = done["tasks"]
    assert (task["name"], task["status"], task["attempts"], task["items"]) == (
        "greet", "succeeded", 1, None)
    assert task["result"] == "Hello, Ann!"
    assert done["finished_at"].endswith("Z") and done["created_at"].endswith("Z")


def test_an_execution_from_yaml_text(client: TestClient) -> None:
    text = "version: 1.0\ntasks:\n  a:\n    action: troupe.echo message=hi\n"
    done = _finish(client, _start(client, text)["id"])
    assert done["status"] == "succeeded"
    assert done["workflow"] == "<inline>"


def test_a_running_with_items_execution_shows_its_item_counts(client: TestClient,
                                                              gate: Gate) -> None:
    started = _start(client, "gated", n=3)
    gate.wait_entered(3)
    shown = client.get(f"/api/v1/executions/{started['id']}").json()
    assert shown["status"] == "running" and shown["output"] is None
    [task] = shown["tasks"]
    assert task["items"] == {"total": 3, "done": 0, "succeeded": 0, "failed": 0,
                             "running": 3, "waiting": 0}
    gate.opened.set()
    done = _finish(client, started["id"])
    assert done["tasks"][0]["items"] == {"total": 3, "done": 3, "succeeded": 3, "failed": 0,
                                         "running": 0, "waiting": 0}
    assert done["output"] == {"items": [0, 1, 2]}


def test_a_bad_workflow_gets_400_with_located_diagnostics(client: TestClient) -> None:
    answer = client.post("/api/v1/executions", json={"workflow": "broken"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_workflow"
    codes = {(d["code"], d["line"] is not None) for d in error["diagnostics"]}
    assert codes and all(located for _, located in codes)
    assert error["details"]["diagnostics"] == error["diagnostics"]
    text = "version: 1.0\ntasks:\n  a:\n    action: troupe.echo\n    next: [{do: nowhere}]\n"
    error = client.post("/api/v1/executions", json={"workflow": text}).json()["error"]
    assert error["code"] == "invalid_workflow"
    [diagnostic] = [d for d in error["diagnostics"] if d["severity"] == "error"]
    assert (diagnostic["task"], diagnostic["line"]) == ("a", 5)
    yaml_error = client.post("/api/v1/executions", json={"workflow": "a: [\nb"}).json()
    assert yaml_error["error"]["diagnostics"][0]["code"] == "T100"


def test_bad_parameters_get_400_naming_the_parameter(client: TestClient) -> None:
    error = client.post("/api/v1/executions", json={
        "workflow": "typed", "parameters": {"count": "many"}}).json()["error"]
    assert error["code"] == "bad_parameters"
    assert [p["parameter"] for p in error["problems"]] == ["count"]
    error = client.post("/api/v1/executions", json={"workflow": "typed"}).json()["error"]
    assert error["missing"] == ["count"]


@pytest.mark.parametrize("name", ["/etc/passwd", "../workflows/hello", "sub/hello", "nope",
                                  ".hidden", "escape"])
def test_workflow_names_are_confined_to_the_directory(client: TestClient, workflows_dir: Path,
                                                      name: str) -> None:
    outside = workflows_dir.parent / "outside.yaml"
    outside.write_text("version: 1.0\ntasks:\n  a:\n    action: core.noop\n", encoding="utf-8")
    (workflows_dir / "escape.yaml").symlink_to(outside)
    answer = client.post("/api/v1/executions", json={"workflow": name})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] in {"unknown_workflow", "bad_workflow_name"}
    assert client.get("/api/v1/executions").json()["items"] == []


def test_a_workflow_name_may_carry_its_suffix(client: TestClient) -> None:
    assert _finish(client, _start(client, "hello.yaml")["id"])["status"] == "succeeded"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"workflow": 3}',
                                  b'{"workflow": "hello", "parameters": [1]}',
                                  b'{"workflow": "hello", "idempotency_key": ""}'])
def test_malformed_requests_get_400(client: TestClient, body: bytes) -> None:
    answer = client.post("/api/v1/executions", content=body,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] in {"bad_json", "bad_request"}


def test_a_body_over_the_limit_gets_413(engine: Engine, workflows_dir: Path,
                                        tmp_path: Path) -> None:
    app = create_app(engine, settings_for(workflows_dir, tmp_path, max_body_bytes=1000))
    with TestClient(app) as client:
        answer = client.post("/api/v1/executions", json={"workflow": "x" * 2000})
        assert answer.status_code == 413
        assert answer.json()["error"] == {"code": "too_large", "limit": 1000, "message": (
            "the request body is over 1000 bytes"), "details": {"limit": 1000}}

        def chunks() -> Any:  # no Content-Length: counted while read
            yield b'{"workflow": "'
            for _ in range(20):
                yield b"x" * 100
            yield b'"}'

        assert client.post("/api/v1/executions", content=chunks()).status_code == 413


@pytest.mark.parametrize("path", ["/api/v1/executions/nobody",
                                  "/api/v1/executions/nobody/events",
                                  "/api/v1/executions/nobody/trace"])
def test_unknown_executions_get_404(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert answer.json()["error"]["execution_id"] == "nobody"


def test_unknown_routes_and_controls_get_json_404_and_405(client: TestClient) -> None:
    assert client.get("/api/v2/nothing").json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/executions/x/explode").status_code == 404
    answer = client.delete("/api/v1/executions")
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"


def test_a_draining_daemon_starts_nothing(client: TestClient) -> None:
    state = client.app.state.troupe  # type: ignore[attr-defined]
    state.draining = True
    answer = client.post("/api/v1/executions", json={"workflow": "hello"})
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "draining"
    assert client.get("/api/v1/executions").json()["items"] == []
    state.draining = False
    assert client.post("/api/v1/executions", json={"workflow": "hello"}).status_code == 201


def test_ready_after_recovery_and_healthy_always(engine: Engine, workflows_dir: Path,
                                                 tmp_path: Path) -> None:
    app = create_app(engine, settings_for(workflows_dir, tmp_path))
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").status_code == 503
        assert client.get("/readyz").json()["error"]["code"] == "not_ready"
        app.state.troupe.ready = True
        assert client.get("/readyz").json() == {"ready": True, "draining": False}


def test_the_list_pages_newest_first_and_filters(client: TestClient) -> None:
    ids = [_start(client, "hello", name=str(n))["id"] for n in range(3)]
    for execution_id in ids:
        _finish(client, execution_id)
    failed = _start(client, "typed", count=1)  # noop: succeeds too, another workflow
    _finish(client, failed["id"])
    page = client.get("/api/v1/executions", params={"limit": 2}).json()
    assert [e["id"] for e in page["items"]] == [failed["id"], ids[2]]
    rest = client.get("/api/v1/executions", params={"limit": 2, "cursor": page["cursor"]})
    assert [e["id"] for e in rest.json()["items"]] == [ids[1], ids[0]]
    hello = client.get("/api/v1/executions", params={"workflow": "hello"}).json()
    assert [e["id"] for e in hello["items"]] == ids[::-1]
    assert set(hello["items"][0]) == {"id", "workflow", "status", "created_at",
                                      "finished_at", "parent", "parent_task", "counts"}
    assert hello["items"][0]["counts"] == {
        "tasks": 1, "tasks_done": 1,
        "items": {"total": 0, "done": 0, "failed": 0, "running": 0}}
    succeeded = client.get("/api/v1/executions", params={"status": "succeeded"}).json()
    assert len(succeeded["items"]) == 4
    for bad in ({"limit": 0}, {"limit": "x"}, {"status": "sleepy"}, {"cursor": "zz"}):
        assert client.get("/api/v1/executions", params=bad).status_code == 400


def test_sub_workflows_are_listed_under_their_parent(client: TestClient,
                                                     workflows_dir: Path) -> None:
    (workflows_dir / "parent.yaml").write_text(textwrap.dedent("""\
        version: 1.0
        tasks:
          call:
            with: n in {{ [1, 2] }}
            action: hello.yaml
            input: {name: '{{ item("n") }}'}
        """), encoding="utf-8")
    parent = _start(client, "parent")
    assert _finish(client, parent["id"])["status"] == "succeeded"
    children = client.get("/api/v1/executions", params={"parent": parent["id"]}).json()
    assert len(children["items"]) == 2
    for child in children["items"]:
        assert child["parent"] == parent["id"] and child["parent_task"] == "call"
        shown = client.get(f"/api/v1/executions/{child['id']}").json()
        assert shown["status"] == "succeeded"
        assert shown["output"]["greeting"] in {"Hello, 1!", "Hello, 2!"}
        assert client.post(f"/api/v1/executions/{child['id']}/pause").status_code == 409
