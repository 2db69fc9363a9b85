"""`troupe trace why` explains a rerun task: its run ran again in a rerun, and the first
run's chain follows (the trace of the first run and of the rerun, in one file)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from runtime import ActionFailed, Engine
from runtime.trace.cli import main as trace_main

pytestmark = pytest.mark.timeout(60)

FLOW = """\
version: 1.0
tasks:
  start:
    action: t.step
    input: {name: start}
    next: [{when: '{{ succeeded() }}', do: flaky}]
  flaky:
    action: t.step
    input: {name: flaky}
    next: [{when: '{{ succeeded() }}', do: after}]
  after:
    action: t.step
    input: {name: after}
"""


def test_why_a_rerun_task_ran(tmp_path: Path) -> None:
    failing = {"flaky"}

    def step(name: str) -> Any:
        if name in failing:
            raise ActionFailed("not yet")
        return name

    path = tmp_path / "run.jsonl"
    with Engine(store=f"sqlite:///{tmp_path / 'troupe.db'}",
                actions={"t.step": step}) as engine:
        handle = engine.start_workflow(FLOW, trace=path)
        assert handle.wait(timeout=30).status == "failed"
        failing.clear()
        assert engine.rerun(handle.execution_id, trace=path).wait(timeout=30).succeeded
    out, err = io.StringIO(), io.StringIO()
    assert trace_main(["why", str(path), handle.execution_id, "after", "--json"],
                      stream=out, err=err) == 0, err.getvalue()
    steps = json.loads(out.getvalue())["steps"]
    [rerun] = [s for s in steps if s["kind"] == "rerun"]
    assert (rerun["task"], rerun["number"], rerun["rerun_of"]) == ("flaky", 1, 1)
    runs = [(s["task"], s["run"], s["status"]) for s in steps if s["kind"] == "run"]
    assert runs == [("after", 3, "succeeded"), ("flaky", 2, "succeeded"),
                    ("flaky", 1, "failed"), ("start", 0, "succeeded")]
    text = io.StringIO()
    assert trace_main(["why", str(path), handle.execution_id, "flaky"], stream=text,
                      err=err) == 0
    assert "ran again in rerun #1, a rerun of run 1" in text.getvalue()
