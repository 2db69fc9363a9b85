"""An inquiry in the trace: one ``inquiry`` line when it opens and one when it closes, shown
by ``troupe trace follow``; a task waiting for its answer is ``pending`` in the tree."""

from __future__ import annotations

import io
import json
import queue
from pathlib import Path

import pytest

from runtime import start_workflow
from runtime.progress import ProgressEvent
from runtime.trace.aggregate import TraceAggregator
from runtime.trace.follow import follow

pytestmark = pytest.mark.timeout(60)

ASK = """\
version: 1.0
tasks:
  ask:
    action: core.ask
    input: {ttl: 60}
"""


def test_the_trace_shows_the_inquiry(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    events: queue.SimpleQueue[ProgressEvent] = queue.SimpleQueue()
    handle = start_workflow(ASK, trace=str(path), on_event=events.put)
    while (event := events.get(timeout=30)).kind != "inquiry":
        pass
    assert event.inquiry is not None
    handle.respond(event.inquiry, {"continue": True})
    assert handle.wait(30).status == "succeeded"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    asked = [(e["status"], e["inquiry"], e["task"], e["actor"]) for e in lines
             if e["event"] == "inquiry"]
    assert asked == [("pending", event.inquiry, "ask", "wf/ask@0"),
                     ("answered", event.inquiry, "ask", "wf/ask@0")]
    timer = [e for e in lines if e["event"] == "timer.set"]
    assert [(e["kind"], e["delay"]) for e in timer] == [("inquiry", 3600)]
    out = io.StringIO()
    follow(path, stream=out, from_start=True, until_finished=True)
    shown = [line for line in out.getvalue().splitlines() if " inquiry " in line]
    assert len(shown) == 2 and "ask@0" in shown[0] and "status=pending" in shown[0]
    assert f"inquiry={event.inquiry}" in shown[1] and "status=answered" in shown[1]


def test_a_waiting_task_is_pending_in_the_tree() -> None:
    begun = [{"event": "workflow.started", "execution": "e", "mono": 0.0, "ts": 1.0,
              "actor": "wf", "workflow": "w", "dialect": "orquesta"},
             {"event": "task.started", "execution": "e", "mono": 0.1, "actor": "wf",
              "task": "ask", "route": 0, "run": 0, "action": "core.ask"},
             {"event": "inquiry", "execution": "e", "mono": 0.2, "actor": "wf/ask@0",
              "task": "ask", "route": 0, "run": 0, "inquiry": "e.inquiry.0",
              "status": "pending"}]
    aggregator = TraceAggregator()
    for ev in begun:
        aggregator.feed(ev)
    [record] = aggregator.records()
    [run] = record.task_runs
    assert run.status == "pending"
