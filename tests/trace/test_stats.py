"""``troupe trace stats``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runtime.trace.model import nearest_rank
from runtime.trace.reader import parse_actor
from tests.trace.conftest import Demo, item_duration, run_cli


def _group(groups: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(group for group in groups if group["name"] == name)


def _mean_wait(demo: Demo, task: str) -> float:
    waits = []
    with open(demo.path, encoding="utf-8") as handle:
        for line in handle:
            ev = json.loads(line)
            if ev["event"] == "message.received" and parse_actor(ev["actor"]).task == task:
                waits.append(ev["mailbox_wait"])
    return sum(waits) / len(waits)


def test_stats_per_task(demo: Demo) -> None:
    result = run_cli("stats", demo.path, "--json")
    assert result.rc == 0
    data = result.json()
    assert data["executions"] == 3
    tasks = data["tasks"]
    assert [group["name"] for group in tasks] == sorted(
        [
            "start",
            "fanout",
            "flaky",
            "check",
            "broken",
            "cleanup",
            "join_all",
            "sub",
            "child_a",
            "child_b",
            "only",
        ]
    )
    flaky = _group(tasks, "flaky")
    assert (flaky["count"], flaky["retries"], flaky["failures"]) == (1, 1, 0)
    assert flaky["p50"] == pytest.approx(0.090)
    broken = _group(tasks, "broken")
    assert (broken["failures"], broken["retries"]) == (1, 0)
    fanout = _group(tasks, "fanout")
    assert fanout["mean_mailbox_wait"] == pytest.approx(_mean_wait(demo, "fanout"))
    ordered = sorted(item_duration(i) for i in range(demo.items))
    assert fanout["items"]["count"] == demo.items
    assert fanout["items"]["p95"] == pytest.approx(nearest_rank(ordered, 95))
    assert fanout["items"]["max"] == pytest.approx(ordered[-1])
    assert _group(tasks, "start")["items"] is None
    assert _group(tasks, "start")["mean_mailbox_wait"] == pytest.approx(_mean_wait(demo, "start"))


def test_stats_per_action(demo: Demo) -> None:
    actions = run_cli("stats", demo.path, "--json").json()["actions"]
    echo = _group(actions, "troupe.echo")
    # start, check, cleanup, join_all, child_a, child_b (10ms / 5ms) and only (20ms)
    assert echo["count"] == 7
    assert echo["max"] == pytest.approx(0.020)
    assert echo["p50"] == pytest.approx(0.010)
    assert _group(actions, "core.fail")["failures"] == 1
    assert _group(actions, "core.flaky")["retries"] == 1


def test_stats_filters(demo: Demo) -> None:
    only_child = run_cli("stats", demo.path, "--json", "--execution", "c2").json()
    assert only_child["executions"] == 1
    assert [group["name"] for group in only_child["tasks"]] == ["child_a", "child_b"]
    failed = run_cli("stats", demo.path, "--json", "--status", "failed").json()
    assert [group["name"] for group in failed["tasks"]] == ["broken"]
    one = run_cli("stats", demo.path, "--json", "--task", "fanout").json()
    assert [group["name"] for group in one["tasks"]] == ["fanout"]
    assert [group["name"] for group in one["actions"]] == ["core.http"]
    assert run_cli("stats", demo.path, "--task", "nope").rc == 1


def test_stats_human_tables(demo: Demo) -> None:
    out = run_cli("stats", demo.path).out.splitlines()
    assert out[0] == "3 execution(s)"
    assert out[1].split()[:5] == ["TASK", "RUNS", "P50", "P95", "MAX"]
    assert any(line.startswith("ACTION") for line in out)
