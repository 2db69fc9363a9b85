"""Runaway executions end at a guard with an error naming the task: task runs per execution,
sub-workflow depth, items per with-items task (runtime.limits, runtime.machine).

The loops exit on a condition that never holds at run time: a loop whose transitions are all
unconditional is refused at load already (T209)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from runtime import start_workflow
from runtime.limits import DEFAULT_LIMITS, Limits

pytestmark = pytest.mark.timeout(120)

LOOP = """
version: 1.0
tasks:
  start:
    action: core.noop
    next: [{do: spin}]
  spin:
    action: core.noop
    next: [{when: '{{ succeeded() }}', do: spin}]
"""

FAN_OUT_LOOP = """
version: 1.0
tasks:
  start:
    action: core.noop
    next: [{do: fan}]
  fan:
    action: core.noop
    next: [{when: '{{ succeeded() }}', do: [fan, fan]}]
"""


@pytest.mark.parametrize("workflow", [LOOP, FAN_OUT_LOOP], ids=["loop", "fan-out"])
def test_a_loop_with_no_exit_ends_at_the_task_runs_guard(workflow: str) -> None:
    limits = DEFAULT_LIMITS.but(task_runs_max=500)
    result = start_workflow(workflow, limits=limits).wait(timeout=100)
    assert result.status == "failed"
    runaway = [e for e in result.errors if e.kind == "task_runs_exceeded"]
    assert runaway, result.errors
    assert runaway[0].task == ("spin" if workflow is LOOP else "fan")
    assert runaway[0].result == {"limit": 500, "limit_name": "task_runs_max"}
    assert len(result.tasks) <= 500 + 2


def test_a_with_items_task_over_the_items_limit_fails_naming_it() -> None:
    workflow = """
version: 1.0
tasks:
  many:
    with: '{{ range(11) | list }}'
    action: core.noop
"""
    result = start_workflow(workflow, limits=DEFAULT_LIMITS.but(items_max=10)).wait(timeout=30)
    assert result.status == "failed"
    (error,) = result.errors
    assert (error.kind, error.task, error.field) == ("expression", "many", "with.items")
    assert error.result == {"limit_name": "items_max"}


def _depth_failure(result_errors: list[object]) -> list[str]:
    return [str(getattr(e, "message", "")) for e in result_errors
            if "subworkflow_depth_max" in str(getattr(e, "message", ""))]


def test_a_workflow_calling_itself_ends_at_the_depth_guard(tmp_path: Path) -> None:
    (tmp_path / "self.yaml").write_text("tasks:\n  again:\n    action: self.yaml\n")
    before = threading.active_count()
    limits = DEFAULT_LIMITS.but(subworkflow_depth_max=5)
    result = start_workflow(tmp_path / "self.yaml", limits=limits).wait(timeout=60)
    assert result.status == "failed"
    assert result.errors[0].task == "again"
    assert "sub-workflow" in result.errors[0].message
    assert threading.active_count() < before + 50


def test_two_workflows_calling_each_other_end_at_the_depth_guard(tmp_path: Path) -> None:
    (tmp_path / "ping.yaml").write_text("tasks:\n  call:\n    action: pong.yaml\n")
    (tmp_path / "pong.yaml").write_text("tasks:\n  back:\n    action: ping.yaml\n")
    result = start_workflow(tmp_path / "ping.yaml").wait(timeout=60)
    assert result.status == "failed"
    assert result.errors[0].task == "call"


def test_the_depth_guard_allows_nesting_up_to_the_limit(tmp_path: Path) -> None:
    for name, child in (("a", "b"), ("b", "c")):
        (tmp_path / f"{name}.yaml").write_text(f"tasks:\n  t:\n    action: {child}.yaml\n")
    (tmp_path / "c.yaml").write_text("tasks:\n  leaf:\n    action: core.noop\n")
    ok = start_workflow(tmp_path / "a.yaml",
                        limits=DEFAULT_LIMITS.but(subworkflow_depth_max=2)).wait(timeout=60)
    assert ok.status == "succeeded", ok.errors
    deep = start_workflow(tmp_path / "a.yaml",
                          limits=DEFAULT_LIMITS.but(subworkflow_depth_max=1)).wait(timeout=60)
    assert deep.status == "failed"


def test_the_run_guards_read_the_environment() -> None:
    limits = Limits.from_env({"TROUPE_TASK_RUNS_MAX": "7", "TROUPE_SUBWORKFLOW_DEPTH_MAX": "3",
                              "TROUPE_ITEMS_MAX": "9"})
    assert (limits.task_runs_max, limits.subworkflow_depth_max, limits.items_max) == (7, 3, 9)
