"""``troupe trace why``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.trace.conftest import CHILD, ROOT, Demo, run_cli, write_demo_trace


def _steps(demo: Demo, task: str, *extra: str) -> list[dict[str, Any]]:
    result = run_cli("why", demo.path, "e1", task, "--json", *extra)
    assert result.rc == 0, result.err
    data = result.json()
    assert data["execution"] == ROOT
    assert data["task"] == task
    steps: list[dict[str, Any]] = data["steps"]
    return steps


def test_why_walks_back_through_a_join_to_the_start_task(demo: Demo) -> None:
    steps = _steps(demo, "join_all")
    assert steps[0]["kind"] == "run"
    assert (steps[0]["task"], steps[0]["run"], steps[0]["depth"]) == ("join_all", 7, 0)
    staged = [step for step in steps if step["kind"] == "staged" and step["task"] == "join_all"]
    assert [(s["source"], s["satisfied"], s["required"], s["ready"]) for s in staged] == [
        ("fanout", 1, 2, False),
        ("flaky", 2, 2, True),
    ]
    assert all(s["depth"] == 1 and s["join"] == "all" for s in staged)
    transitions = [step for step in steps if step["kind"] == "transition"]
    fanout = next(t for t in transitions if t["source"] == "fanout")
    assert (fanout["when"], fanout["result"], fanout["published"]) == (
        "<% succeeded() %>",
        True,
        ["results"],
    )
    assert fanout["depth"] == 2
    kinds = [(step["kind"], step["task"]) for step in steps]
    assert ("start", "start") in kinds  # reached the start task
    assert ("seen", "start") in kinds  # the second path to it is not repeated
    runs = [step["task"] for step in steps if step["kind"] == "run"]
    assert runs == ["join_all", "fanout", "start", "flaky"]


def test_why_of_a_task_whose_transition_was_false(demo: Demo) -> None:
    result = run_cli("why", demo.path, "e1", "never_ran", "--json").json()
    assert result["started"] is False
    steps = result["steps"]
    assert steps[0] == {
        "depth": 0,
        "kind": "not_started",
        "task": "never_ran",
        "route": None,
        "run": None,
        "execution_status": "failed",
    }
    assert len(steps) == 2
    transition = steps[1]
    assert (transition["source"], transition["source_run"], transition["transition"]) == (
        "check",
        4,
        0,
    )
    assert (transition["when"], transition["result"]) == ("<% ctx().strict %>", False)


def test_why_of_a_join_never_satisfied(demo: Demo) -> None:
    steps = _steps(demo, "gate")
    assert steps[0]["kind"] == "not_started"
    false = [s for s in steps if s["kind"] == "transition" and not s["result"]]
    assert [(s["source"], s["source_status"]) for s in false] == [("broken", "failed")]
    staged = [s for s in steps if s["kind"] == "staged"]
    assert [(s["source"], s["satisfied"], s["required"], s["ready"]) for s in staged] == [
        ("fanout", 1, 2, False)
    ]


def test_why_in_a_sub_workflow(demo: Demo) -> None:
    data = run_cli("why", demo.path, "c2", "child_b", "--json").json()
    assert data["execution"] == CHILD
    assert [(s["kind"], s["task"]) for s in data["steps"]] == [
        ("run", "child_b"),
        ("staged", "child_b"),
        ("transition", "child_b"),
        ("run", "child_a"),
        ("start", "child_a"),
    ]


def test_why_human_output(demo: Demo) -> None:
    result = run_cli("why", demo.path, "e1", "cleanup")
    assert result.rc == 0
    assert result.out.splitlines() == [
        f"why cleanup in {ROOT} (demo.yaml, failed)",
        "  cleanup@0 (run 6) succeeded: started +0.036s, took 10.0ms, attempts 1",
        "    staged cleanup@0 from broken (run 5): 1/1 satisfied, ready",
        "      transition #1 of broken@0 (run 5, failed): when <% failed() %> -> true",
        "      broken@0 (run 5) failed: started +0.025s, took 10.0ms, attempts 1",
        "        staged broken@0 from check (run 4): 1/1 satisfied, ready",
        "          transition #1 of check@0 (run 4, succeeded):"
        " when <% not ctx().strict %> -> true",
        "          check@0 (run 4) succeeded: started +0.014s, took 10.0ms, attempts 1",
        "            staged check@0 from start (run 1): 1/1 satisfied, ready",
        "              transition #0 of start@0 (run 1, succeeded): when <% succeeded() %> -> true,"
        " published greeting",
        "              start@0 (run 1) succeeded: started +0.001s, took 10.0ms, attempts 1",
        "                start@0 is a start task: nothing staged it",
    ]


def test_why_human_output_for_a_task_that_never_ran(demo: Demo) -> None:
    out = run_cli("why", demo.path, "e1", "gate").out.splitlines()
    assert out[1] == "  gate never started (execution failed)"
    assert (
        out[2] == "    transition #0 of broken@0 (run 5, failed): when <% succeeded() %> -> false"
    )
    assert out[-1] == "      staged gate@0 from fanout (run 2): join all, 1/2 satisfied, not ready"


def test_why_exit_codes(demo: Demo) -> None:
    unknown = run_cli("why", demo.path, "e1", "nope")
    assert unknown.rc == 1
    assert "nope" in unknown.err
    assert run_cli("why", demo.path, "zz", "start").rc == 1
    assert run_cli("why", demo.path, "e1", "broken", "--status", "failed").rc == 0
    assert run_cli("why", demo.path, "e1", "broken", "--status", "succeeded").rc == 1
    assert run_cli("why", demo.path, "e1", "broken", "--task", "other").rc == 1


def test_why_lists_unfinished_sources_of_a_running_execution(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "t.jsonl", other=False)
    lines = demo.path.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if '"task.finished"' in line and '"check"' in line)
    demo.path.write_text("".join(lines[:cut]), encoding="utf-8")
    data = run_cli("why", demo.path, "e1", "broken", "--json").json()
    kinds = [(step["kind"], step["task"]) for step in data["steps"]]
    assert kinds[:2] == [("not_started", "broken"), ("unreached", "broken")]
    assert ("unfinished", "check") in kinds
    assert all(kind == "unfinished" for kind, _ in kinds[2:])
    human = run_cli("why", demo.path, "e1", "broken").out
    assert "    check@0 (run 4) never finished (running)" in human.splitlines()
