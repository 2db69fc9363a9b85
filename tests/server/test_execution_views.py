"""GET /api/v1/executions/{id}/graph, /actors and /timeline: the console's three views of
one execution (a join and a loop in the graph, sub-workflows nested in the live actor tree
and in the one rebuilt from the trace, with-items grouped in the timeline), and 404s."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from starlette.testclient import TestClient

from runtime import Engine
from runtime.server import create_app
from runtime.server.openapi import DOCUMENT

from .conftest import Gate, settings_for

pytestmark = pytest.mark.timeout(60)

FLOWS = {
    "loopjoin": """\
        version: 1.0
        vars: [n: 0]
        tasks:
          start:
            action: core.noop
            next: [{do: [left, right]}]
          left:
            action: core.noop
            next: [{do: both}]
          right:
            action: core.noop
            next:
              - when: '{{ succeeded() }}'
                do: both
              - when: '{{ failed() }}'
                do: fail
          both:
            join: all
            action: core.noop
            next: [{do: again}]
          again:
            action: core.noop
            next:
              - when: '{{ ctx().n < 2 }}'
                publish: [n: '{{ ctx().n + 1 }}']
                do: again
        """,
    "outer": """\
        version: 1.0
        tasks:
          call:
            action: middle.yaml
        """,
    "middle": """\
        version: 1.0
        tasks:
          deeper:
            action: leaf.yaml
        """,
    "leaf": """\
        version: 1.0
        tasks:
          wait:
            action: t.gate
            input: {value: 1}
        """,
    "fan": """\
        version: 1.0
        input: [n]
        tasks:
          fan:
            with:
              items: i in {{ range(ctx().n) }}
              concurrency: 2
            action: t.gate
            input: {value: '{{ item("i") }}'}
        """,
}


@pytest.fixture(autouse=True)
def _flows(workflows_dir: Path) -> None:
    for name, text in FLOWS.items():
        (workflows_dir / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")


def _start(client: TestClient, workflow: str, **parameters: Any) -> str:
    answer = client.post("/api/v1/executions", json={"workflow": workflow,
                                                     "parameters": parameters})
    assert answer.status_code == 201, answer.text
    execution_id: str = answer.json()["id"]
    return execution_id


def _settled(client: TestClient, engine: Engine, execution_id: str) -> None:
    """The execution ended and its supervisor stopped (its trace's last lines written)."""
    with client.stream("GET", f"/api/v1/executions/{execution_id}/events",
                       headers={"Accept": "text/event-stream"}) as stream:
        assert "event: end" in "".join(stream.iter_text())
    handle = engine.get(execution_id)
    handle.wait(timeout=20)
    supervisor = handle._supervisor  # the test waits for the actor's end, not by sleeping
    if supervisor is not None:
        assert supervisor.actor_stopped.wait(20)


def _json_schema(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema (``nullable`` -> a null alternative)."""
    if isinstance(schema, list):
        return [_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    made = {k: _json_schema(v) for k, v in schema.items() if k != "nullable"}
    return {"anyOf": [made, {"type": "null"}]} if schema.get("nullable") else made


def _conforms(body: Any, name: str) -> None:
    """``body`` is what /openapi.json says the view answers."""
    components = _json_schema(DOCUMENT["components"])
    jsonschema.validate(body, {"$ref": f"#/components/schemas/{name}",
                               "components": components})


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node["children"] for n in _walk(child))]


@pytest.mark.parametrize("view", ["graph", "actors", "timeline"])
def test_an_unknown_execution_is_404(client: TestClient, view: str) -> None:
    answer = client.get(f"/api/v1/executions/nobody/{view}")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_the_graph_shows_a_join_a_loop_and_what_ran(client: TestClient,
                                                    engine: Engine) -> None:
    execution_id = _start(client, "loopjoin")
    _settled(client, engine, execution_id)
    graph = client.get(f"/api/v1/executions/{execution_id}/graph").json()
    _conforms(graph, "Graph")
    nodes = {n["name"]: n for n in graph["nodes"]}
    assert set(nodes) == {"start", "left", "right", "both", "again", "fail"}
    assert nodes["both"]["join"] == "all" and nodes["both"]["status"] == "succeeded"
    assert nodes["again"]["runs"] == 3 and nodes["fail"]["command"] is True
    assert nodes["both"]["layer"] > nodes["left"]["layer"] > nodes["start"]["layer"]
    edges = {(e["from"], e["to"]): e for e in graph["edges"]}
    assert len(edges) == len(graph["edges"]) == 7
    assert edges[("again", "again")]["loop"] is True
    assert [e for e in graph["edges"] if e["loop"]] == [edges[("again", "again")]]
    assert edges[("right", "both")]["on"] == "succeeded" and edges[("right", "both")]["taken"]
    assert edges[("right", "fail")]["taken"] is False


def test_the_actor_tree_nests_sub_workflows_live_and_from_the_trace(
        client: TestClient, engine: Engine, gate: Gate) -> None:
    execution_id = _start(client, "outer")
    gate.wait_entered()
    live = client.get(f"/api/v1/executions/{execution_id}/actors").json()
    assert live["live"] is True
    _conforms(live, "Actors")
    root = live["root"]
    assert root["kind"] == "supervisor" and root["execution"] == execution_id
    assert isinstance(root["mailbox"], int)
    [call] = root["children"]
    assert (call["kind"], call["name"], call["status"]) == ("task", "call", "running")
    [middle] = call["children"]
    assert middle["kind"] == "subworkflow" and isinstance(middle["mailbox"], int)
    [deeper] = middle["children"]
    [leaf] = deeper["children"]
    assert leaf["kind"] == "subworkflow"
    [wait] = leaf["children"]
    assert (wait["name"], wait["status"]) == ("wait", "running")
    assert isinstance(wait["mailbox"], int)
    paths = [n["path"] for n in _walk(root)]
    assert len(paths) == len(set(paths)) == 6
    sub = client.get(f"/api/v1/executions/{middle['execution']}/actors").json()
    assert sub["live"] is True and sub["root"]["execution"] == middle["execution"]
    assert sub["root"]["kind"] == "supervisor"

    gate.opened.set()
    _settled(client, engine, execution_id)
    after = client.get(f"/api/v1/executions/{execution_id}/actors").json()
    assert after["live"] is False
    _conforms(after, "Actors")
    nodes = _walk(after["root"])
    assert all(n["mailbox"] is None for n in nodes)
    assert [(n["kind"], n["name"]) for n in nodes] == [
        ("supervisor", "outer"), ("task", "call"), ("subworkflow", "middle"),
        ("task", "deeper"), ("subworkflow", "leaf"), ("task", "wait")]
    assert all(n["status"] == "succeeded" for n in nodes)


def test_a_restarted_daemon_rebuilds_the_tree_from_the_trace(
        client: TestClient, engine: Engine, store_url: str, workflows_dir: Path,
        tmp_path: Path, gate: Gate) -> None:
    gate.opened.set()
    execution_id = _start(client, "outer")
    _settled(client, engine, execution_id)
    engine.close()
    with Engine(store=store_url, actions={"t.gate": gate}) as again:
        app = create_app(again, settings_for(workflows_dir, tmp_path))
        with TestClient(app) as fresh:
            tree = fresh.get(f"/api/v1/executions/{execution_id}/actors").json()
    assert tree["live"] is False
    assert [n["kind"] for n in _walk(tree["root"])].count("subworkflow") == 2


def test_a_with_items_run_shows_its_live_workers_and_counts_the_rest(
        client: TestClient, engine: Engine, gate: Gate) -> None:
    execution_id = _start(client, "fan", n=10)
    gate.wait_entered(2)
    tree = client.get(f"/api/v1/executions/{execution_id}/actors").json()
    _conforms(tree, "Actors")
    [fan] = tree["root"]["children"]
    assert fan["items"]["total"] == 10 and fan["items"]["running"] == 2
    assert fan["items"]["shown"] == len(fan["children"]) == 2
    assert {n["kind"] for n in fan["children"]} == {"item"}
    assert all(isinstance(n["mailbox"], int) for n in fan["children"])
    gate.opened.set()
    _settled(client, engine, execution_id)
    after = client.get(f"/api/v1/executions/{execution_id}/actors").json()
    [fan] = after["root"]["children"]
    assert fan["items"]["done"] == 10 and 1 <= len(fan["children"]) <= 2


def test_the_timeline_groups_the_items_of_a_with_items_run(
        client: TestClient, engine: Engine, gate: Gate) -> None:
    gate.opened.set()
    execution_id = _start(client, "fan", n=7)
    _settled(client, engine, execution_id)
    timeline = client.get(f"/api/v1/executions/{execution_id}/timeline").json()
    _conforms(timeline, "Timeline")
    assert timeline["execution"] == execution_id and timeline["status"] == "succeeded"
    [row] = timeline["rows"]
    assert (row["kind"], row["task"], row["status"]) == ("task", "fan", "succeeded")
    items = row["items"]
    assert (items["total"], items["succeeded"], items["failed"]) == (7, 7, 0)
    assert 1 <= len(items["lanes"]) <= 2
    spans = [span for lane in items["lanes"] for span in lane["spans"]]
    assert spans and all(status == "succeeded" for _, _, status in spans)
    assert all(0 <= start <= timeline["total"] for start, _, _ in spans)


def test_the_timeline_of_nested_sub_workflows(client: TestClient, engine: Engine,
                                              gate: Gate) -> None:
    gate.opened.set()
    execution_id = _start(client, "outer")
    _settled(client, engine, execution_id)
    timeline = client.get(f"/api/v1/executions/{execution_id}/timeline").json()
    _conforms(timeline, "Timeline")
    rows = timeline["rows"]
    assert [(r["kind"], r["depth"]) for r in rows] == [
        ("task", 0), ("execution", 1), ("task", 2), ("execution", 3), ("task", 4)]
    assert all(r["items"] is None for r in rows)


def test_no_timeline_without_a_trace(engine: Engine, workflows_dir: Path,
                                     tmp_path: Path, gate: Gate) -> None:
    gate.opened.set()
    app = create_app(engine, settings_for(workflows_dir, tmp_path, trace_dir=None))
    with TestClient(app) as client:
        execution_id = _start(client, "loopjoin")
        _settled(client, engine, execution_id)
        answer = client.get(f"/api/v1/executions/{execution_id}/timeline")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "no_trace"
        tree = client.get(f"/api/v1/executions/{execution_id}/actors").json()
        assert tree["live"] is False
        assert [n["name"] for n in tree["root"]["children"]] == [
            "start", "left", "right", "both", "again", "again", "again"]
        assert all(n["mailbox"] is None for n in _walk(tree["root"]))
