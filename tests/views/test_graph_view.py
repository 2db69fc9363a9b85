"""The graph JSON of an execution (runtime.graph_view) and its layout (runtime.graph_layout):
plain calls on workflows run by the synchronous driver, and a hypothesis test of the layout
over random graphs."""

from __future__ import annotations

import itertools
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.driver import mock_outcomes, run_sync
from runtime.graph_layout import layered_layout
from runtime.graph_view import graph_json
from runtime.machine import initial_state
from runtime.spec import load_workflow
from runtime.status import Outcome

pytestmark = pytest.mark.timeout(60)

JOIN_AND_LOOP = textwrap.dedent("""\
    version: 1.0
    vars: [n: 0]
    tasks:
      start:
        action: core.noop
        next:
          - do: [left, right]
      left:
        action: core.noop
        next:
          - do: both
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
        next:
          - do: again
      again:
        action: core.noop
        next:
          - when: '{{ ctx().n < 2 }}'
            publish: [n: '{{ ctx().n + 1 }}']
            do: again
          - when: '{{ ctx().n >= 2 }}'
            do: done
      done:
        action: core.noop
    """)


def _by(items: list[dict], key: str) -> dict:
    return {item[key]: item for item in items}


def test_a_join_a_loop_and_what_ran() -> None:
    defn = load_workflow(JOIN_AND_LOOP)
    state = run_sync(defn, action=mock_outcomes({})).state
    graph = graph_json(defn, state)
    nodes = _by(graph["nodes"], "name")
    assert list(nodes) == ["start", "left", "right", "both", "again", "done", "fail"]
    assert nodes["both"]["join"] == "all" and nodes["left"]["join"] is False
    assert nodes["fail"]["command"] is True and nodes["fail"]["runs"] == 0
    assert nodes["again"]["runs"] == 3 and nodes["again"]["status"] == "succeeded"
    assert nodes["done"]["status"] == "succeeded" and nodes["fail"]["status"] is None
    edges = {(e["from"], e["to"], e["on"]): e for e in graph["edges"]}
    assert len(edges) == len(graph["edges"]) == 8
    assert edges[("right", "both", "succeeded")]["taken"] is True
    assert edges[("right", "fail", "failed")]["taken"] is False
    assert edges[("left", "both", "completed")]["taken"] is True
    loop = edges[("again", "again", "expr")]
    assert loop["loop"] is True and loop["taken"] is True and "ctx().n < 2" in loop["label"]
    assert [e for e in graph["edges"] if e["loop"]] == [loop]
    assert nodes["both"]["layer"] == 2 and nodes["done"]["layer"] == 4


def test_a_failed_branch_takes_the_failure_edge() -> None:
    defn = load_workflow(JOIN_AND_LOOP)
    state = run_sync(defn, action=mock_outcomes({"right": (Outcome.FAILED, "no")})).state
    graph = graph_json(defn, state)
    edges = {(e["from"], e["to"]): e for e in graph["edges"]}
    assert edges[("right", "fail")]["taken"] is True
    assert edges[("right", "both")]["taken"] is False
    assert _by(graph["nodes"], "name")["right"]["status"] == "failed"


def test_nothing_ran_yet() -> None:
    defn = load_workflow(JOIN_AND_LOOP)
    graph = graph_json(defn, initial_state(defn))
    assert all(n["status"] is None and n["runs"] == 0 for n in graph["nodes"])
    assert not any(e["taken"] for e in graph["edges"])


def test_a_chain_of_two_hundred_tasks_is_two_hundred_layers() -> None:
    names = [f"t{i}" for i in range(200)]
    layout = layered_layout(names, list(itertools.pairwise(names)))
    assert [layout.layer[n] for n in names] == list(range(200))
    assert layout.back == frozenset()


def test_an_unknown_target_raises() -> None:
    with pytest.raises(KeyError):
        layered_layout(["a"], [("a", "b")])


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str]]]:
    count = draw(st.integers(1, 30))
    nodes = [f"n{i}" for i in range(count)]
    pairs = st.tuples(st.sampled_from(nodes), st.sampled_from(nodes))
    return nodes, draw(st.lists(pairs, max_size=60))


@given(graphs())
@settings(max_examples=200, deadline=None)
def test_layers_are_consistent_with_the_forward_edges(
        graph: tuple[list[str], list[tuple[str, str]]]) -> None:
    nodes, edges = graph
    layout = layered_layout(nodes, edges)
    assert set(layout.layer) == set(layout.order) == set(nodes)
    for index, (source, target) in enumerate(edges):
        if index not in layout.back:
            assert layout.layer[target] > layout.layer[source]
        elif source == target:
            continue
    by_layer: dict[int, list[int]] = {}
    for node in nodes:
        by_layer.setdefault(layout.layer[node], []).append(layout.order[node])
    for orders in by_layer.values():
        assert sorted(orders) == list(range(len(orders)))
    forward = [e for i, e in enumerate(edges) if i not in layout.back]
    assert _acyclic(nodes, forward)


def _acyclic(nodes: list[str], edges: list[tuple[str, str]]) -> bool:
    indegree = dict.fromkeys(nodes, 0)
    for _, target in edges:
        indegree[target] += 1
    ready = [n for n in nodes if indegree[n] == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for source, target in edges:
            if source == node:
                indegree[target] -= 1
                if indegree[target] == 0:
                    ready.append(target)
    return seen == len(nodes)


@st.composite
def workflows(draw: st.DrawFn) -> str:
    count = draw(st.integers(1, 12))
    names = [f"task{i}" for i in range(count)]
    lines = ["version: 1.0", "tasks:"]
    for name in names:
        lines += [f"  {name}:", "    action: core.noop"]
        targets = draw(st.lists(st.sampled_from(names), max_size=3))
        if targets:
            lines.append("    next:")
            for target in targets:
                on = draw(st.sampled_from(["", "    when: '{{ succeeded() }}'"]))
                lines.append(f"      - do: {target}")
                if on:
                    lines.append("  " + on)
    return "\n".join(lines) + "\n"


@given(workflows())
@settings(max_examples=50, deadline=None)
def test_every_task_is_a_node_once_and_every_transition_an_edge(text: str) -> None:
    from runtime.errors import ValidationFailed

    try:
        defn = load_workflow(text)
    except ValidationFailed:
        return  # e.g. no start task: the validator's business, not the view's
    graph = graph_json(defn, initial_state(defn))
    names = [n["name"] for n in graph["nodes"]]
    assert names == list(defn.task_order)
    written = [(name, target) for name in defn.task_order
               for t in defn.tasks[name].transitions for target in t.targets]
    assert [(e["from"], e["to"]) for e in graph["edges"]] == written
    layer = {n["name"]: n["layer"] for n in graph["nodes"]}
    for edge in graph["edges"]:
        assert edge["loop"] or layer[edge["to"]] > layer[edge["from"]]
