"""The trace of remote attempts (the stand-in executor, no Ray): a submission is a
``message.sent`` of ``Perform`` to the executor, its report a ``message.received`` from
it and the item's ``item.finished``, all with the attempt's key; the trace readers show
the runs and items as they show local ones."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from runtime.api import start_workflow
from runtime.executors import ActionOutcome
from runtime.trace.cli import main as trace_main

from .conftest import Stand

pytestmark = pytest.mark.timeout(60)

WF = textwrap.dedent("""\
    version: 1.0
    tasks:
      one:
        action: troupe.echo message=x
        executor: ray
        next: [{do: fan}]
      fan:
        with: {items: "{{ range(2) | list }}"}
        action: troupe.echo message="{{ item() }}"
        executor: ray
""")


def _run(stand: Stand, path: Path, level: str) -> tuple[str, dict[str, str]]:
    """Run WF with its trace at ``level``; its id and each attempt's key by (task, item)."""
    handle = start_workflow(WF, trace=str(path), trace_level=level)
    keys: dict[str, str] = {}
    for _ in range(3):
        spec, report = stand.next()
        keys[f"{spec.call.task}/{spec.call.item}"] = spec.call.idempotency_key
        report(ActionOutcome(outcome="succeeded", result=spec.input["message"]))
    assert handle.wait(timeout=30).succeeded
    return handle.execution_id, keys


def _lines(path: Path, event: str) -> dict[str, dict[str, Any]]:
    found = {}
    for line in path.read_text().splitlines():
        ev = json.loads(line)
        if ev["event"] == event and ev.get("task") in ("one", "fan"):
            found[f"{ev['task']}/{ev['item']}"] = ev
    return found


@pytest.mark.parametrize("level", ["info", "debug"])
def test_a_remote_attempt_is_traced_with_its_key(stand: Stand, tmp_path: Path,
                                                 level: str) -> None:
    path = tmp_path / "run.jsonl"
    _, keys = _run(stand, path, level)
    sent = _lines(path, "message.sent")
    received = _lines(path, "message.received")
    expected = set(keys) if level == "debug" else {"one/None"}  # items only at debug
    assert set(sent) == set(received) == expected
    for attempt in expected:
        assert (sent[attempt]["msg"], sent[attempt]["to"]) == ("Perform", "ray")
        assert (received[attempt]["msg"], received[attempt]["sender"]) == ("Performed", "ray")
        assert sent[attempt]["key"] == received[attempt]["key"] == keys[attempt]
    finished = _lines(path, "item.finished")
    assert {a: (ev["worker"], ev["key"]) for a, ev in finished.items()} == {
        a: ("ray", keys[a]) for a in ("fan/0", "fan/1")}


def _read(*args: str) -> Any:
    out, err = io.StringIO(), io.StringIO()
    assert trace_main([*args, "--json"], stream=out, err=err) == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_the_trace_readers_show_remote_runs_and_items(stand: Stand, tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    execution, _ = _run(stand, path, "debug")
    [summary] = _read("summary", str(path))
    assert (summary["status"], summary["task_runs"], summary["items"]) == ("succeeded", 2, 2)
    rows = _read("timeline", str(path), execution, "--items")["rows"]
    assert [(r["label"], r["status"]) for r in rows] == [
        ("one@0", "succeeded"), ("fan@0", "succeeded"), ("#0", "succeeded"),
        ("#1", "succeeded")]
    fan = rows[1]
    for item in rows[2:]:  # each item starts at its submission, within its run
        assert fan["start"] <= item["start"] <= item["start"] + item["duration"] <= (
            fan["start"] + fan["duration"] + 1e-6)
    steps = _read("why", str(path), execution, "fan")["steps"]
    runs = [(s["task"], s["status"]) for s in steps if s["kind"] == "run"]
    assert runs == [("fan", "succeeded"), ("one", "succeeded")]
