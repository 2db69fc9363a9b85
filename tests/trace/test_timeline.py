"""``troupe trace timeline``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trace.conftest import CHILD, ROOT, Demo, run_cli, write_demo_trace


def test_timeline_json_rows(demo: Demo) -> None:
    result = run_cli("timeline", demo.path, "e1", "--json")
    assert result.rc == 0
    data = result.json()
    assert data["execution"] == ROOT
    assert data["total"] == pytest.approx(0.162)
    rows = data["rows"]
    labels = [row["label"] for row in rows]
    assert labels[:8] == [
        "start@0",
        "fanout@0",
        "flaky@0",
        "check@0",
        "broken@0",
        "cleanup@0",
        "join_all@0",
        "sub@0",
    ]
    start = rows[0]
    assert start["start"] == pytest.approx(0.001)
    assert start["duration"] == pytest.approx(0.010)
    sub_exec = rows[8]
    assert (sub_exec["kind"], sub_exec["execution"], sub_exec["depth"]) == ("execution", CHILD, 1)
    assert [row["label"] for row in rows[9:]] == ["child_a@0", "child_b@0"]
    assert all(row["depth"] == 2 for row in rows[9:])
    for row in rows:
        assert 0 <= row["start"] <= row["start"] + row["duration"] <= data["total"] + 1e-9


def test_timeline_items_rows(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "t.jsonl", items=5)
    rows = run_cli("timeline", demo.path, ROOT, "--items", "--json").json()["rows"]
    items = [row for row in rows if row["kind"] == "item"]
    assert [row["item"] for row in items] == list(range(5))
    assert [row["label"] for row in items] == ["#0 w0", "#1 w1", "#2 w2", "#3 w3", "#4 w0"]


@pytest.mark.parametrize("width", [60, 100, 160])
def test_timeline_bars_scale_to_width(demo: Demo, width: int) -> None:
    result = run_cli("timeline", demo.path, "e1", "--width", str(width))
    lines = result.out.splitlines()
    assert lines[0].startswith(ROOT)
    bars = [line for line in lines[2:] if "|" in line]
    assert len(bars) == 11
    spans = {len(line.split("|")[1]) for line in bars}
    assert len(spans) == 1
    bar_width = spans.pop()
    assert max(len(line.split("|")[0]) + 2 + bar_width for line in bars) <= width
    start, sub = bars[0].split("|")[1], bars[7].split("|")[1]
    assert start.startswith("█") and start.strip("█ ") == ""
    assert sub.rstrip().endswith("█")
    assert "▒" in bars[4].split("|")[1]  # broken failed
    assert bars[0].endswith("+0.001s  10.0ms  succeeded")
