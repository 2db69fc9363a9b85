"""Progress events: JSON and server-sent events, resumed from Last-Event-ID, numbered the
same after a restart; control (202, 409) while an execution runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime import Engine
from runtime.actions import idempotent
from runtime.server import create_app

from .conftest import Gate, settings_for

pytestmark = pytest.mark.timeout(60)


def parse_sse(text: str) -> list[dict[str, Any]]:
    """The messages of an event stream: {"id", "event", "data"} (comments as "comment")."""
    messages = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        message: dict[str, Any] = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                message["comment"] = line[1:].strip()
                continue
            name, _, value = line.partition(": ")
            message[name] = json.loads(value) if name == "data" else value
        messages.append(message)
    return messages


def _stream(client: TestClient, execution_id: str, **headers: str) -> list[dict[str, Any]]:
    with client.stream("GET", f"/api/v1/executions/{execution_id}/events",
                       headers={"Accept": "text/event-stream", **headers}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        return parse_sse("".join(stream.iter_text()))


def _gated(client: TestClient, n: int) -> str:
    answer = client.post("/api/v1/executions", json={"workflow": "gated",
                                                     "parameters": {"n": n}})
    assert answer.status_code == 201
    execution_id: str = answer.json()["id"]
    return execution_id


def test_the_stream_carries_every_event_then_the_end(client: TestClient, gate: Gate) -> None:
    execution_id = _gated(client, 3)
    gate.opened.set()
    messages = [m for m in _stream(client, execution_id) if "comment" not in m]
    progress, end = messages[:-1], messages[-1]
    assert [m["event"] for m in progress] == ["progress"] * len(progress)
    assert [int(m["id"]) for m in progress] == list(range(1, len(progress) + 1))
    assert [m["data"]["id"] for m in progress] == list(range(1, len(progress) + 1))
    kinds = [m["data"]["kind"] for m in progress if not m["data"].get("pseudo")]
    assert kinds == ["task_started", "item_finished", "item_finished", "item_finished",
                     "task_finished", "workflow_finished"]
    assert [m["data"]["done"] for m in progress[1:4]] == [1, 2, 3]
    assert progress[5]["data"]["pseudo"] is True  # the `continue` of a next without do
    assert all(m["data"]["execution_id"] == execution_id for m in progress)
    assert end["event"] == "end"
    assert end["data"]["id"] == execution_id and end["data"]["status"] == "succeeded"
    listed = client.get(f"/api/v1/executions/{execution_id}/events").json()
    assert listed == {"items": [m["data"] for m in progress], "finished": True}


def test_a_stream_resumes_after_last_event_id(client: TestClient, gate: Gate) -> None:
    execution_id = _gated(client, 3)
    gate.opened.set()
    everything = [m for m in _stream(client, execution_id) if m.get("event") == "progress"]
    resumed = _stream(client, execution_id, **{"Last-Event-ID": "4"})
    assert [m["data"] for m in resumed if m.get("event") == "progress"] == [
        m["data"] for m in everything[4:]]
    assert resumed[-1]["event"] == "end"
    after = client.get(f"/api/v1/executions/{execution_id}/events", params={"after": 5})
    assert after.json()["items"] == [m["data"] for m in everything[5:]]
    assert client.get(f"/api/v1/executions/{execution_id}/events",
                      params={"after": "x"}).status_code == 400


def test_event_ids_are_the_same_after_a_restart(store_url: str, gate: Gate,
                                                workflows_dir: Path, tmp_path: Path) -> None:
    """Half the items done, the daemon stops (its execution left unfinished, as a kill
    leaves it); the next one recovers it: the events seen before keep their numbers."""
    settings = settings_for(workflows_dir, tmp_path)
    actions = {"t.gate": idempotent(gate)}  # run again after the restart
    engine = Engine(store=store_url, actions=actions)
    with TestClient(create_app(engine, settings)) as client:
        execution_id = _gated(client, 2)
        gate.wait_entered(2)
        before = client.get(f"/api/v1/executions/{execution_id}/events").json()
        assert before["finished"] is False
        assert [e["kind"] for e in before["items"]] == ["task_started"]
    engine.close(drain_timeout=0)  # abandoned: unfinished in the store
    gate.opened.set()
    with Engine(store=store_url, actions=actions) as engine, TestClient(
            create_app(engine, settings)) as client:
        early = client.get(f"/api/v1/executions/{execution_id}/events").json()
        assert early["items"][:1] == before["items"]
        [handle] = engine.recover()
        assert handle.wait(timeout=30).status == "succeeded"
        after = [m["data"] for m in _stream(client, execution_id)
                 if m.get("event") == "progress"]
        assert after[:1] == before["items"]
        assert [e["id"] for e in after] == list(range(1, len(after) + 1))
        assert after[-1]["kind"] == "workflow_finished"


def test_a_quiet_stream_gets_pings_and_wakes_on_progress(engine: Engine, gate: Gate,
                                                         workflows_dir: Path,
                                                         tmp_path: Path) -> None:
    """The stream of a paused execution pings; resuming it wakes the stream (a commit of
    its execution), which then runs to the end."""
    app = create_app(engine, settings_for(workflows_dir, tmp_path, keepalive=0.05))
    with TestClient(app) as client:
        execution_id = _gated(client, 1)
        gate.wait_entered()
        assert client.post(f"/api/v1/executions/{execution_id}/pause").status_code == 202
        gate.opened.set()
        with client.stream("GET", f"/api/v1/executions/{execution_id}/events",
                           headers={"Accept": "text/event-stream"}) as stream:
            seen = ""
            for chunk in stream.iter_text():
                seen += chunk
                if ": ping" in seen and "workflow_paused" in seen:
                    break
        assert client.get(f"/api/v1/executions/{execution_id}").json()["status"] == "paused"
        assert client.post(f"/api/v1/executions/{execution_id}/resume").status_code == 202
        messages = _stream(client, execution_id, **{"Last-Event-ID": "0"})
        kinds = [m["data"]["kind"] for m in messages if m.get("event") == "progress"]
        assert "workflow_paused" in kinds and kinds[-1] == "workflow_finished"
        assert messages[-1]["data"]["status"] == "succeeded"


def test_controls_answer_409_when_the_status_does_not_allow_them(client: TestClient,
                                                                 gate: Gate) -> None:
    execution_id = _gated(client, 1)
    gate.wait_entered()
    resume = client.post(f"/api/v1/executions/{execution_id}/resume")
    assert resume.status_code == 409
    assert resume.json()["error"]["code"] == "bad_status"
    assert resume.json()["error"]["status"] == "running"
    cancel = client.post(f"/api/v1/executions/{execution_id}/cancel")
    assert cancel.status_code == 202
    assert cancel.json()["id"] == execution_id
    gate.opened.set()
    end = _stream(client, execution_id)[-1]
    assert end["data"]["status"] == "canceled"
    for control in ("cancel", "pause", "resume"):
        answer = client.post(f"/api/v1/executions/{execution_id}/{control}")
        assert answer.status_code == 409
        assert answer.json()["error"] == {
            "code": "bad_status", "message": "the execution is canceled",
            "status": "canceled", "allowed": answer.json()["error"]["allowed"],
            "details": {"status": "canceled",
                        "allowed": answer.json()["error"]["allowed"]}}
    assert client.post("/api/v1/executions/nobody/cancel").status_code == 404
