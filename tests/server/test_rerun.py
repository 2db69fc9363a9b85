"""POST /api/v1/executions/{id}/rerun: what reruns, the history in the execution JSON, the
progress event, and the 400/404/409 answers."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime import ActionFailed, Engine
from runtime.server import create_app

from .conftest import Gate, settings_for

pytestmark = pytest.mark.timeout(90)

FLAKY = textwrap.dedent("""\
    version: 1.0
    input:
      - n
      - tag: {required: true, type: string}
    tasks:
      fan:
        with: '{{ range(ctx("n")) | list }}'
        action: t.flaky
        input: {item: '{{ item() }}', tag: '{{ ctx("tag") }}'}
        next: [{when: '{{ succeeded() }}', do: last}]
      last:
        action: t.flaky
        input: {item: -1, tag: '{{ ctx("tag") }}'}
    """)


class Flaky:
    """Fails the items in ``failing``; logs every call (appends: atomic)."""

    def __init__(self) -> None:
        self.failing: set[int] = set()
        self.log: list[tuple[int, str]] = []

    def __call__(self, item: int, tag: str) -> Any:
        self.log.append((item, tag))
        if item in self.failing:
            raise ActionFailed(f"item {item}")
        return item


@pytest.fixture
def flaky() -> Flaky:
    return Flaky()


@pytest.fixture
def rerun_client(tmp_path: Path, workflows_dir: Path, flaky: Flaky,
                 gate: Gate) -> Iterator[TestClient]:
    (workflows_dir / "flaky.yaml").write_text(FLAKY, encoding="utf-8")
    with Engine(store=f"sqlite:///{tmp_path / 'rerun.db'}",
                actions={"t.flaky": flaky, "t.gate": gate}) as engine:
        app = create_app(engine, settings_for(workflows_dir, tmp_path))
        app.state.troupe.ready = True
        with TestClient(app) as made:
            yield made
        gate.opened.set()


def _finished(client: TestClient, execution_id: str) -> dict[str, Any]:
    with client.stream("GET", f"/api/v1/executions/{execution_id}/events",
                       headers={"Accept": "text/event-stream"}) as stream:
        assert "event: end" in "".join(stream.iter_text())
    body: dict[str, Any] = client.get(f"/api/v1/executions/{execution_id}").json()
    return body


def _failed(client: TestClient, flaky: Flaky) -> str:
    flaky.failing = {4, 9, 13}
    answer = client.post("/api/v1/executions", json={
        "workflow": "flaky", "parameters": {"n": 20, "tag": "one"}})
    assert answer.status_code == 201, answer.text
    execution_id: str = answer.json()["id"]
    assert _finished(client, execution_id)["status"] == "failed"
    assert _finished(client, execution_id)["reruns"] == []
    flaky.failing = set()
    flaky.log.clear()
    return execution_id


def test_a_rerun_runs_the_failed_items_and_the_history_shows_it(
        rerun_client: TestClient, flaky: Flaky) -> None:
    execution_id = _failed(rerun_client, flaky)
    answer = rerun_client.post(f"/api/v1/executions/{execution_id}/rerun",
                               json={"parameters": {"tag": "two"}})
    assert answer.status_code == 202, answer.text
    assert answer.json()["id"] == execution_id
    assert answer.json()["status"] in {"running", "succeeded"}
    done = _finished(rerun_client, execution_id)
    assert done["status"] == "succeeded"
    assert sorted(flaky.log) == [(-1, "two"), (4, "two"), (9, "two"), (13, "two")]
    [entry] = done["reruns"]
    assert entry["number"] == 1 and entry["reset"] == [] and entry["parameters"] == ["tag"]
    assert [(t["task"], t["route"]) for t in entry["tasks"]] == [("fan", 0)]
    assert entry["requested_at"].endswith("Z")
    assert done["errors"] == []
    events = rerun_client.get(f"/api/v1/executions/{execution_id}/events").json()["items"]
    [rerun] = [e for e in events if e["kind"] == "rerun"]
    assert rerun["status"] == "running" and "task" not in rerun


def test_named_tasks_with_routes_and_reset(rerun_client: TestClient, flaky: Flaky) -> None:
    execution_id = _failed(rerun_client, flaky)
    answer = rerun_client.post(f"/api/v1/executions/{execution_id}/rerun", json={
        "tasks": [{"task": "fan", "route": 0}], "reset": ["fan"]})
    assert answer.status_code == 202, answer.text
    assert _finished(rerun_client, execution_id)["status"] == "succeeded"
    assert sorted(item for item, _ in flaky.log) == [-1, *range(20)]


def test_an_empty_body_reruns_the_failed_tasks(rerun_client: TestClient, flaky: Flaky) -> None:
    execution_id = _failed(rerun_client, flaky)
    answer = rerun_client.post(f"/api/v1/executions/{execution_id}/rerun")
    assert answer.status_code == 202, answer.text
    assert _finished(rerun_client, execution_id)["status"] == "succeeded"


def test_refusals(rerun_client: TestClient, flaky: Flaky, gate: Gate) -> None:
    execution_id = _failed(rerun_client, flaky)
    url = f"/api/v1/executions/{execution_id}/rerun"
    answer = rerun_client.post(url, json={"tasks": ["last"]})
    assert answer.status_code == 400
    assert {k: answer.json()["error"][k] for k in ("code", "task", "reason")} == {
        "code": "bad_rerun", "task": "last", "reason": "never_ran"}
    answer = rerun_client.post(url, json={"parameters": {"tag": 3}})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "bad_parameters"
    assert [p["parameter"] for p in error["problems"]] == ["tag"]
    assert rerun_client.post(url, json={"tasks": [{"route": 1}]}).status_code == 400
    assert rerun_client.post(url, json={"reset": "fan"}).status_code == 400
    assert rerun_client.post("/api/v1/executions/nope/rerun").status_code == 404
    started = rerun_client.post("/api/v1/executions", json={
        "workflow": "gated", "parameters": {"n": 1}}).json()
    gate.wait_entered()
    answer = rerun_client.post(f"/api/v1/executions/{started['id']}/rerun")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "bad_status"
    assert answer.json()["error"]["status"] == "running"
    gate.opened.set()
    assert flaky.log == []
