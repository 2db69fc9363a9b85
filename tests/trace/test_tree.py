"""``troupe trace tree``."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.trace.model import nearest_rank
from tests.trace.conftest import CHILD, ROOT, Demo, item_duration, run_cli, write_demo_trace


def _task(tree: dict[str, Any], name: str) -> dict[str, Any]:
    return next(task for task in tree["tasks"] if task["task"] == name)


def test_tree_json_lists_task_runs_in_start_order(demo: Demo) -> None:
    result = run_cli("tree", demo.path, "e1", "--json")
    assert result.rc == 0
    tree = result.json()
    assert tree["execution"] == ROOT
    assert tree["supervisor"] == {"actor": "wf", "status": "failed", "duration": tree["duration"]}
    names = [task["task"] for task in tree["tasks"]]
    assert names == ["start", "fanout", "flaky", "check", "broken", "cleanup", "join_all", "sub"]
    start = _task(tree, "start")
    assert start["actor"] == "wf/start@0"
    assert (start["status"], start["attempts"], start["route"]) == ("succeeded", 1, 0)
    assert start["duration"] == pytest.approx(0.010)
    assert start["items"] is None
    broken = _task(tree, "broken")
    assert broken["status"] == "failed"
    assert broken["error"] == "ActionFailed: exit code 3"
    flaky = _task(tree, "flaky")
    assert (flaky["attempts"], flaky["retries"]) == (2, 1)


def test_tree_with_items_line_has_counts_and_percentiles(demo: Demo) -> None:
    tree = run_cli("tree", demo.path, "e1", "--json").json()
    fanout = _task(tree, "fanout")
    ordered = sorted(item_duration(i) for i in range(demo.items))
    assert fanout["items"]["total"] == demo.items
    assert fanout["items"]["done"] == demo.items
    assert fanout["items"]["failed"] == 0
    assert fanout["items"]["p50"] == pytest.approx(nearest_rank(ordered, 50))
    assert fanout["items"]["p95"] == pytest.approx(nearest_rank(ordered, 95))
    assert fanout["items"]["max"] == pytest.approx(max(ordered))
    assert "item_list" not in fanout


def test_tree_items_expands_each_item_with_worker(tmp_path: Any) -> None:
    demo = write_demo_trace(tmp_path / "t.jsonl", items=10, failed_items=[3])
    tree = run_cli("tree", demo.path, ROOT, "--items", "--json").json()
    fanout = _task(tree, "fanout")
    assert fanout["status"] == "failed"
    assert (fanout["items"]["done"], fanout["items"]["failed"]) == (9, 1)
    items = fanout["item_list"]
    assert [item["index"] for item in items] == list(range(10))
    assert [item["worker"] for item in items] == [i % 4 for i in range(10)]
    assert items[3]["status"] == "failed"
    assert items[7]["duration"] == pytest.approx(item_duration(7))
    failed_only = run_cli("tree", demo.path, ROOT, "--items", "--json", "--status", "failed")
    tasks = failed_only.json()["tasks"]
    assert [task["task"] for task in tasks] == ["fanout", "broken"]
    assert [item["index"] for item in tasks[0]["item_list"]] == [3]


def test_sub_workflow_nests_under_its_parent_task(demo: Demo) -> None:
    tree = run_cli("tree", demo.path, "e1", "--json").json()
    sub = _task(tree, "sub")
    assert [child["execution"] for child in sub["children"]] == [CHILD]
    child = sub["children"][0]
    assert child["parent_task"] == "sub"
    assert [task["task"] for task in child["tasks"]] == ["child_a", "child_b"]
    assert all(not task["children"] for task in tree["tasks"] if task["task"] != "sub")


def test_tree_task_filter_keeps_parents_of_matching_sub_workflow_runs(demo: Demo) -> None:
    tree = run_cli("tree", demo.path, "e1", "--json", "--task", "child_b").json()
    assert [task["task"] for task in tree["tasks"]] == ["sub"]
    assert [task["task"] for task in tree["tasks"][0]["children"][0]["tasks"]] == ["child_b"]
    assert run_cli("tree", demo.path, "e1", "--task", "nope").rc == 1


def test_tree_execution_selection_errors(demo: Demo) -> None:
    ambiguous = run_cli("tree", demo.path)
    assert ambiguous.rc == 2
    assert "several executions" in ambiguous.err
    assert run_cli("tree", demo.path, "zzz").rc == 1
    assert run_cli("tree", demo.path, "--execution", "c2", "--json").json()["execution"] == CHILD
    assert run_cli("tree", demo.path, "e1", "--execution", "c2").rc == 1


def test_tree_human_output(demo: Demo) -> None:
    result = run_cli("tree", demo.path, "e1")
    assert result.rc == 0
    lines = result.out.splitlines()
    assert lines[0].startswith(f"execution {ROOT}  demo.yaml  failed  162.0ms")
    assert lines[1] == "wf  supervisor  failed  162.0ms  errors 1"
    assert lines[2] == "├─ start@0  succeeded  attempts 1  10.0ms  troupe.echo"
    assert lines[3].startswith(
        "├─ fanout@0  succeeded  attempts 1  43.0ms  core.http  items 8: 8 done, 0 failed  p50 "
    )
    assert (
        "├─ broken@0  failed  attempts 1  10.0ms  core.fail  error: ActionFailed: exit code 3"
        in lines
    )
    assert "└─ sub@0  succeeded  attempts 1  50.0ms  demo.child" in lines
    assert lines[-4].startswith(f"   └─ sub-workflow execution {CHILD}  child.yaml  succeeded")
    assert lines[-3] == "      wf  supervisor  succeeded  23.0ms"
    assert lines[-2] == "      ├─ child_a@0  succeeded  attempts 1  10.0ms  troupe.echo"
    assert lines[-1] == "      └─ child_b@0  succeeded  attempts 1  10.0ms  troupe.echo"


def test_tree_human_items(demo: Demo) -> None:
    out = run_cli("tree", demo.path, "e1", "--items").out.splitlines()
    at = next(i for i, line in enumerate(out) if line.startswith("├─ fanout@0"))
    assert out[at + 1] == "│  ├─ #0  succeeded  10.0ms  w0"
    assert out[at + 8] == "│  └─ #7  succeeded  10.5ms  w3"
