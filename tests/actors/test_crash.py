"""An engine bug in a supervisor's step ends the execution cleanly: nothing left running."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import actors.finishing
import actors.supervisor
from runtime import start_workflow
from runtime.events import ActionCompleted, Event
from runtime.machine import advance_many as _real_advance_many


class EngineBug(Exception):
    """Stands for a bug in the state machine."""


def _failing_on_reports(child_only: bool) -> Any:
    def advance_many(state: Any, events: Sequence[Event], **options: Any) -> Any:
        child = "." in state.execution_id
        if any(type(e) is ActionCompleted for e in events) and (child or not child_only):
            raise EngineBug("the machine broke")
        return _real_advance_many(state, events, **options)

    return advance_many


def test_a_crash_leaves_no_task_running(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    """The machine raising on the first reports: the workflow fails with an `engine` error,
    the open task run is reported failed, and every worker, timer and permit is released
    (the permit check after every test is in tests/conftest.py)."""
    monkeypatch.setattr(actors.supervisor, "advance_many", _failing_on_reports(False))
    result = start_workflow("""
tasks:
  fan:
    with: {items: '{{ range(6) | list }}', concurrency: 2}
    action: core.noop
    timeout: 300
  solo:
    action: core.noop
""", trace=tmp_path / "trace.jsonl").wait(timeout=20)
    assert result.status == "failed"
    assert [e.kind for e in result.errors] == ["engine"]
    assert result.tasks and all(t.status != "running" for t in result.sequence)
    assert {t.name: t.status for t in result.tasks} == {"fan": "failed", "solo": "failed"}
    assert all(t.error and "EngineBug" in t.error for t in result.tasks)


def test_a_crashed_subworkflow_tells_its_parent(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    """A child execution's crash fails the parent's task instead of leaving it waiting."""
    monkeypatch.setattr(actors.supervisor, "advance_many", _failing_on_reports(True))
    (tmp_path / "child.yaml").write_text("tasks:\n  t:\n    action: core.noop\n")
    parent = tmp_path / "parent.yaml"
    parent.write_text("tasks:\n  call:\n    action: child.yaml\n")
    result = start_workflow(parent).wait(timeout=20)
    assert result.status == "failed"
    call = result.task("call")
    assert call.status == "failed" and call.error is not None and "EngineBug" in call.error


def test_an_end_that_cannot_be_built_still_wakes_the_waiters(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the result raising: the caller gets the exception instead of a hang, and
    the workers and permits are released all the same."""
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise EngineBug("no result")

    monkeypatch.setattr(actors.finishing, "build_result", broken)
    handle = start_workflow("""
tasks:
  fan:
    with: {items: '{{ range(4) | list }}', concurrency: 2}
    action: core.noop
""")
    with pytest.raises(EngineBug):
        handle.wait(timeout=20)
