"""A real run's trace, read back with `troupe trace`: tree, stats, why, exports, secrets."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from runtime import start_workflow
from runtime.trace.cli import main as trace_main
from tests.trace.test_perfetto import validate_chrome_trace

pytestmark = pytest.mark.timeout(60)

SECRET = "sup3r-s3cret-t0ken"

WORKFLOW = """
version: 1.0
input:
  - token: {secret: true, required: true}
tasks:
  start:
    action: core.echo message="auth {{ ctx('token') }}"
    next:
      - when: '{{ succeeded() }}'
        publish: [{header: '{{ result() }}'}]
        do: [fan, checker]
  fan:
    with: {items: '{{ range(5) | list }}', concurrency: 2}
    action: core.echo message={{ item() }}
    next:
      - do: done
  checker:
    action: core.noop
    next:
      - when: '{{ failed() }}'
        do: never
  never:
    action: core.noop
  done:
    action: core.local
    input:
      cmd: 'echo "{{ ctx("header") }}" >&2; false'
    retry: {count: 1}
    next:
      - when: '{{ failed() }}'
        do: noop
"""


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    path = tmp_path_factory.mktemp("trace") / "run.jsonl"
    result = start_workflow(WORKFLOW, {"token": SECRET}, trace=path).wait(timeout=30)
    return path, result


def trace(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    err = io.StringIO()
    code = trace_main(list(args), stream=out, err=err)
    return code, out.getvalue() + err.getvalue()


def test_the_run_itself_succeeds_with_errors_naming_their_task(traced: tuple[Path, Any]) -> None:
    """The workflow succeeds (the failure is handled) and records both failed attempts."""
    _, result = traced
    assert result.status == "succeeded"
    assert [(e.kind, e.task) for e in result.errors] == [("action_failed", "done")] * 2


def test_tree_shows_every_task_run_and_item_statistics(traced: tuple[Path, Any]) -> None:
    """`tree` lists each task run with status and attempts; with-items has item counts."""
    path, result = traced
    code, out = trace("tree", str(path), result.execution_id, "--json")
    assert code == 0
    tree = json.loads(out)
    assert tree["status"] == "succeeded"
    tasks = {t["task"]: t for t in tree["tasks"]}
    assert {"start", "fan", "checker", "done"} <= set(tasks)
    assert "never" not in tasks
    assert tasks["fan"]["items"]["total"] == 5
    assert tasks["fan"]["items"]["done"] == 5
    assert tasks["done"]["status"] == "failed"
    assert tasks["done"]["attempts"] == 2


def test_stats_count_retries_failures_and_items(traced: tuple[Path, Any]) -> None:
    """`stats` reports per task: runs, retries, failures, item durations."""
    path, _ = traced
    code, out = trace("stats", str(path), "--json")
    assert code == 0
    stats = {row["name"]: row for row in json.loads(out)["tasks"]}
    assert stats["done"]["retries"] == 1
    assert stats["done"]["failures"] == 1
    assert stats["fan"]["items"]["count"] == 5
    assert stats["start"]["count"] == 1


def test_why_walks_back_to_the_start_task(traced: tuple[Path, Any]) -> None:
    """`why fan` shows the transition of `start` that staged it, with what it published."""
    path, result = traced
    code, out = trace("why", str(path), result.execution_id, "fan", "--json")
    assert code == 0
    steps = json.loads(out)["steps"]
    transitions = [s for s in steps if s["kind"] == "transition"]
    assert transitions[0]["source"] == "start"
    assert transitions[0]["result"] is True
    assert transitions[0]["published"] == ["header"]


def test_why_explains_a_task_that_never_ran(traced: tuple[Path, Any]) -> None:
    """`why never` points at the transition whose condition was false."""
    path, result = traced
    code, out = trace("why", str(path), result.execution_id, "never", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["started"] is False
    falsy = [s for s in report["steps"] if s["kind"] == "transition"]
    assert falsy
    assert falsy[0]["source"] == "checker"
    assert falsy[0]["result"] is False


def test_perfetto_export_of_a_real_run_is_valid(traced: tuple[Path, Any], tmp_path: Path) -> None:
    """The export of a real trace passes the trace-event validator."""
    path, _ = traced
    out_file = tmp_path / "perfetto.json"
    code, _ = trace("export", str(path), "--format", "perfetto", "-o", str(out_file))
    assert code == 0
    events = validate_chrome_trace(json.loads(out_file.read_text()))
    assert any(e["ph"] == "X" for e in events)
    assert any(e["ph"] == "s" for e in events)


def test_a_secret_input_appears_nowhere(traced: tuple[Path, Any], tmp_path: Path) -> None:
    """Neither the trace file, nor any subcommand's output, nor the errors hold the secret."""
    path, result = traced
    assert SECRET not in path.read_text()
    exec_id = result.execution_id
    outputs = [
        trace("summary", str(path))[1],
        trace("tree", str(path), exec_id, "--items")[1],
        trace("timeline", str(path), exec_id, "--width", "80")[1],
        trace("stats", str(path))[1],
        trace("why", str(path), exec_id, "done")[1],
        trace("export", str(path), "--format", "perfetto")[1],
    ]
    html = tmp_path / "page.html"
    trace("html", str(path), exec_id, "-o", str(html))
    outputs.append(html.read_text())
    for text in outputs:
        assert SECRET not in text
    for error in result.errors:
        assert SECRET not in error.message
        assert SECRET not in json.dumps(error.result)


def test_debug_level_adds_per_item_messages_with_paired_flows(tmp_path: Path) -> None:
    """At debug level each item has a send and a receive on both sides, paired by msg_id."""
    path = tmp_path / "debug.jsonl"
    start_workflow("tasks:\n  t:\n    with: '{{ [1, 2, 3] }}'\n    action: core.noop\n",
                   trace=path, trace_level="debug").wait(timeout=20)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    sent = {e["msg_id"] for e in lines if e["event"] == "message.sent"}
    received = {e["msg_id"] for e in lines if e["event"] == "message.received"
                and e["msg"] in ("Perform", "Performed")}
    item_messages = [e for e in lines if e["event"] == "message.received"
                     and e["msg"] == "Perform" and e["item"] is not None]
    assert len(item_messages) == 3
    assert received <= sent
