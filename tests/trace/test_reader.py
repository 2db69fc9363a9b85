"""The streaming reader, the execution index, actor paths and percentiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.errors import TroupeError
from runtime.trace.model import Distribution, TraceAggregator, nearest_rank
from runtime.trace.reader import (
    AmbiguousExecution,
    ExecutionInfo,
    ExecutionNotFound,
    TraceFormatError,
    iter_events,
    parse_actor,
    resolve_execution,
    scan_executions,
)
from tests.trace.conftest import CHILD, OTHER, ROOT, Demo, run_cli, write_demo_trace


def test_iter_events_yields_every_line_in_order(demo: Demo) -> None:
    events = iter_events(demo.path)
    first = next(events)
    assert first["event"] == "actor.spawned"
    assert sum(1 for _ in events) + 1 == demo.lines


def test_iter_events_is_a_generator_not_a_list(demo: Demo) -> None:
    events = iter_events(demo.path)
    assert iter(events) is events


def test_malformed_lines_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "t.jsonl", garbage=["{not json", "[1, 2]", '{"event": "x"}'])
    problems: list[TraceFormatError] = []
    count = sum(1 for _ in iter_events(demo.path, on_error=problems.append))
    assert count == demo.lines - 3
    assert [p.line for p in problems] == [2, 3, 4]
    assert all(isinstance(p, TroupeError) and p.path == str(demo.path) for p in problems)
    assert "invalid JSON" in problems[0].reason
    assert "not a JSON object" in problems[1].reason
    assert "execution" in problems[2].reason


def test_too_many_malformed_lines_raise(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "t.jsonl", garbage=["nope"] * 4)
    with pytest.raises(TraceFormatError) as info:
        for _ in iter_events(demo.path, max_errors=3):
            pass
    assert info.value.line == 5
    assert "more than 3" in info.value.reason


def test_incomplete_last_line_is_ignored_silently(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "t.jsonl", partial_last=True)
    problems: list[TraceFormatError] = []
    assert sum(1 for _ in iter_events(demo.path, on_error=problems.append)) == demo.lines
    assert problems == []


def test_cli_reports_malformed_lines_on_stderr_and_succeeds(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "t.jsonl", garbage=["oops"], partial_last=True)
    result = run_cli("summary", demo.path, "--json")
    assert result.rc == 0
    assert f"{demo.path}:2:" in result.err
    assert len(result.json()) == 3


def test_cli_exits_2_past_the_tolerance_and_on_missing_files(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "t.jsonl", garbage=["x"] * 3)
    assert run_cli("summary", demo.path, "--max-errors", "2").rc == 2
    assert run_cli("summary", demo.path, "--max-errors", "3").rc == 0
    missing = run_cli("stats", tmp_path / "missing.jsonl")
    assert missing.rc == 2
    assert "missing.jsonl" in missing.err


def test_executions_filter_keeps_only_those_lines(demo: Demo) -> None:
    kept = {ev["execution"] for ev in iter_events(demo.path, executions={CHILD})}
    assert kept == {CHILD}


def test_scan_executions_indexes_ids_parents_and_status(demo: Demo) -> None:
    index = scan_executions(demo.path)
    assert list(index) == [ROOT, CHILD, OTHER]
    assert index[ROOT].workflow == "demo.yaml"
    assert index[ROOT].status == "failed"
    assert index[CHILD].parent_execution == ROOT
    assert index[CHILD].parent_task == "sub"
    assert index[OTHER].status == "succeeded"


def test_scan_finds_executions_without_workflow_started(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        json.dumps({"event": "message.sent", "execution": "abc", "mono": 1.0, "ts": 2.0}) + "\n"
    )
    assert scan_executions(path) == {"abc": ExecutionInfo(execution="abc")}


def test_resolve_execution_by_prefix() -> None:
    index = {
        "aa1": ExecutionInfo(execution="aa1"),
        "aa1b": ExecutionInfo(execution="aa1b", parent_execution="aa1"),
        "aa2": ExecutionInfo(execution="aa2"),
        "b": ExecutionInfo(execution="b"),
    }
    assert resolve_execution(index, "b", path="f") == "b"
    assert resolve_execution(index, "aa1", path="f") == "aa1"  # exact id
    assert resolve_execution(index, "aa2", path="f") == "aa2"
    with pytest.raises(AmbiguousExecution) as info:
        resolve_execution(index, "aa", path="f")
    assert set(info.value.candidates) == {"aa1", "aa2"}  # aa1b is under aa1
    with pytest.raises(ExecutionNotFound):
        resolve_execution(index, "zz", path="f")
    with pytest.raises(AmbiguousExecution):
        resolve_execution(index, None, path="f")
    one = {
        "x": ExecutionInfo(execution="x"),
        "y": ExecutionInfo(execution="y", parent_execution="x"),
    }
    assert resolve_execution(one, None, path="f") == "x"


def test_parse_actor_paths() -> None:
    assert parse_actor("wf").kind == "supervisor"
    task = parse_actor("wf/build@2")
    assert (task.task, task.route, task.worker, task.kind) == ("build", 2, None, "task")
    worker = parse_actor("wf/fan@out@0/w12")
    assert (worker.task, worker.route, worker.worker, worker.kind) == ("fan@out", 0, 12, "item")
    assert worker.task_actor == "wf/fan@out@0"
    assert parse_actor("wf/odd").task is None


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert nearest_rank(values, 50) == 50.0
    assert nearest_rank(values, 95) == 95.0
    assert nearest_rank(values, 100) == 100.0
    assert nearest_rank([3.0], 50) == 3.0
    dist = Distribution.of([5.0, 1.0, 3.0])
    assert (dist.count, dist.p50, dist.p95, dist.max, dist.mean) == (3, 3.0, 5.0, 5.0, 3.0)
    assert Distribution.of([]).p50 is None


def test_aggregator_counts_without_item_details(demo: Demo) -> None:
    aggregator = TraceAggregator(item_durations=False)
    aggregator.feed_all(iter_events(demo.path))
    records = {r.execution: r for r in aggregator.records()}
    root = records[ROOT]
    fanout = next(run for run in root.task_runs if run.task == "fanout")
    assert fanout.items == demo.items
    assert fanout.items_succeeded == demo.items
    assert fanout.item_durations is None
    assert root.error_count == 1
    assert root.items_total == demo.items
    flaky = next(run for run in root.task_runs if run.task == "flaky")
    assert (flaky.attempts, flaky.retries) == (2, 1)
    actors = {actor.path: actor for actor in root.actors}
    assert set(actors) == set(demo.root_actors)
    assert actors["wf/fanout@0/w1"].kind == "item"
    assert actors["wf/fanout@0/w1"].parent == "wf/fanout@0"
    assert actors["wf/start@0"].status == "stopped"


def test_running_execution_is_measured_to_its_last_line(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "t.jsonl", other=False)
    lines = demo.path.read_text().splitlines()
    cut = next(i for i, line in enumerate(lines) if '"join_all"' in line and "task.started" in line)
    demo.path.write_text("\n".join(lines[: cut + 1]) + "\n")
    rows = run_cli("summary", demo.path, "--json").json()
    root = next(row for row in rows if row["execution"] == ROOT)
    assert root["status"] == "running"
    assert root["errors"] == 1  # the failed task run so far
    tree = run_cli("tree", demo.path, ROOT, "--json").json()
    join = next(task for task in tree["tasks"] if task["task"] == "join_all")
    assert join["status"] == "running"
    assert join["duration"] == pytest.approx(0.0)
