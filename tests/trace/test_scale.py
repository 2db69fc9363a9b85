"""A 10,000-item execution (~70k lines): tree and stats stream through it and are right."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.trace.model import nearest_rank
from tests.trace.conftest import ROOT, item_duration, run_cli, write_demo_trace

ITEMS = 10_000


@pytest.mark.timeout(60)
def test_tree_and_stats_of_a_10000_item_execution(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "big.jsonl", items=ITEMS, failed_items=[17, 4242])
    assert demo.lines > 60_000
    ordered = sorted(item_duration(i) for i in range(ITEMS))

    tree = run_cli("tree", demo.path, "e1", "--json")
    assert tree.rc == 0, tree.err
    fanout = next(task for task in tree.json()["tasks"] if task["task"] == "fanout")
    assert fanout["items"]["total"] == ITEMS
    assert (fanout["items"]["done"], fanout["items"]["failed"]) == (ITEMS - 2, 2)
    assert fanout["items"]["p50"] == pytest.approx(nearest_rank(ordered, 50))
    assert fanout["items"]["p95"] == pytest.approx(nearest_rank(ordered, 95))
    assert fanout["items"]["max"] == pytest.approx(ordered[-1])
    assert "item_list" not in fanout

    stats = run_cli("stats", demo.path, "--json", "--task", "fanout")
    assert stats.rc == 0, stats.err
    (group,) = stats.json()["tasks"]
    assert group["items"]["count"] == ITEMS
    assert group["items_failed"] == 2
    assert group["items"]["p95"] == pytest.approx(nearest_rank(ordered, 95))

    items = run_cli("tree", demo.path, ROOT, "--items", "--json", "--task", "fanout")
    (task,) = items.json()["tasks"]
    assert len(task["item_list"]) == ITEMS
    assert [item["index"] for item in task["item_list"] if item["status"] == "failed"] == [
        17,
        4242,
    ]
    assert {item["worker"] for item in task["item_list"]} == {0, 1, 2, 3}

    text = run_cli("tree", demo.path, "e1").out
    assert f"items {ITEMS}: {ITEMS - 2} done, 2 failed" in text
