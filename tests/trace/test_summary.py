"""``troupe trace summary``."""

from __future__ import annotations

import pytest

from tests.trace.conftest import CHILD, OTHER, ROOT, Demo, run_cli


def test_summary_json_has_one_row_per_execution(demo: Demo) -> None:
    result = run_cli("summary", demo.path, "--json")
    assert result.rc == 0
    rows = {row["execution"]: row for row in result.json()}
    assert list(rows) == [ROOT, CHILD, OTHER]
    root = rows[ROOT]
    assert root["workflow"] == "demo.yaml"
    assert root["status"] == "failed"
    assert root["task_runs"] == 8
    assert root["items"] == demo.items
    assert root["errors"] == 1
    assert root["start_time"] == "2023-11-14T22:13:20.000Z"
    assert root["duration"] == pytest.approx(0.162, abs=1e-6)
    child = rows[CHILD]
    assert child["parent_execution"] == ROOT
    assert (child["status"], child["task_runs"], child["items"], child["errors"]) == (
        "succeeded",
        2,
        0,
        0,
    )


def test_summary_filters(demo: Demo) -> None:
    by_status = run_cli("summary", demo.path, "--json", "--status", "succeeded").json()
    assert [row["execution"] for row in by_status] == [CHILD, OTHER]
    by_task = run_cli("summary", demo.path, "--json", "--task", "child_a").json()
    assert [row["execution"] for row in by_task] == [CHILD]
    by_id = run_cli("summary", demo.path, "--json", "--execution", "5e").json()
    assert [row["execution"] for row in by_id] == [OTHER]
    nothing = run_cli("summary", demo.path, "--status", "canceled")
    assert nothing.rc == 1


def test_summary_human_table(demo: Demo) -> None:
    result = run_cli("summary", demo.path)
    lines = result.out.splitlines()
    assert lines[0].split() == [
        "EXECUTION",
        "WORKFLOW",
        "STATUS",
        "STARTED",
        "DURATION",
        "RUNS",
        "ITEMS",
        "ERRORS",
    ]
    assert lines[1].split() == [
        ROOT,
        "demo.yaml",
        "failed",
        "2023-11-14T22:13:20.000Z",
        "162.0ms",
        "8",
        "8",
        "1",
    ]
    assert lines[2].startswith(f"↳ {CHILD}")
