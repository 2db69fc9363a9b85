"""A running execution's timeline: bars of what has not finished (task runs, items in
flight, the execution itself) reach "now" and say ``running``, in the JSON the console
draws and in the trace HTML's slices."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from runtime.trace.html import export_html
from runtime.trace.model import load_execution
from runtime.trace.timeline_groups import grouped_timeline
from runtime.trace.tree import build_tree
from tests.trace.conftest import MONO0, ROOT, TraceGen
from tests.trace.test_html import _chromium, needs_chromium

pytestmark = pytest.mark.timeout(60)


def _running_trace(path: Path) -> Path:
    """``fan`` (3 items; #0 done, #1 in flight on w1) and ``slow`` (no line since it
    started) are running; the last line of the file is at 4 s."""
    lines: list[dict[str, Any]] = []
    gen = TraceGen(ROOT, lines)
    gen.emit("workflow.started", 0.0, workflow="w.yaml", dialect="troupe")
    gen.emit("task.started", 0.5, "wf/slow@0", task="slow", route=0, run=0, attempt=1,
             action="core.local", items=None, concurrency=None)
    gen.emit("task.started", 1.0, "wf/fan@0", task="fan", route=0, run=1, attempt=1,
             action="core.noop", items=3, concurrency=2)
    for item, at in ((0, 1.1), (1, 1.2)):
        gen.message("Perform", "wf", f"wf/fan@0/w{item}", sent=at, received=at + 0.01,
                    handled=0.01, task="fan", route=0, item=item, attempt=1)
    gen.emit("item.finished", 2.0, "wf/fan@0", task="fan", route=0, run=1, item=0,
             attempt=1, status="succeeded", duration=0.9, worker="wf/fan@0/w0")
    gen.emit("message.handled", 4.0, "wf", msg="Performed", duration=0.001)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _timeline(path: Path, now: float | None = None) -> dict[str, Any]:
    loaded = load_execution(str(path), ROOT, item_details=True)
    return grouped_timeline(build_tree(loaded), now=now)


def test_unfinished_rows_reach_the_last_line_and_say_running(tmp_path: Path) -> None:
    data = _timeline(_running_trace(tmp_path / "t.jsonl"))
    assert data["running"] is True and data["now"] == pytest.approx(4.0)
    rows = {row["task"]: row for row in data["rows"]}
    slow, fan = rows["slow"], rows["fan"]
    assert slow["running"] is True and slow["status"] == "running"
    assert slow["start"] + slow["duration"] == pytest.approx(4.0)
    assert fan["running"] is True and fan["start"] + fan["duration"] == pytest.approx(4.0)
    spans = {lane["worker"]: lane["spans"] for lane in fan["items"]["lanes"]}
    assert spans[0] == [[pytest.approx(1.1), pytest.approx(0.9), "succeeded"]]
    [[start, duration, status]] = spans[1]
    assert status == "running" and start == pytest.approx(1.2)
    assert start + duration == pytest.approx(4.0)
    assert data["total"] == pytest.approx(4.0)


def test_a_later_now_stretches_only_what_runs(tmp_path: Path) -> None:
    data = _timeline(_running_trace(tmp_path / "t.jsonl"), now=MONO0 + 10.0)
    assert data["now"] == pytest.approx(10.0) and data["total"] == pytest.approx(10.0)
    for row in data["rows"]:
        assert row["start"] + row["duration"] == pytest.approx(10.0)
    lanes = {lane["worker"]: lane["spans"] for lane in data["rows"][1]["items"]["lanes"]}
    assert lanes[0][0][1] == pytest.approx(0.9)
    assert lanes[1][0][0] + lanes[1][0][1] == pytest.approx(10.0)
    earlier = _timeline(tmp_path / "t.jsonl", now=MONO0 + 1.0)
    assert earlier["now"] == pytest.approx(4.0)  # never before the last line


def test_finished_rows_are_not_running(tmp_path: Path) -> None:
    path = _running_trace(tmp_path / "t.jsonl")
    with path.open("a", encoding="utf-8") as out:
        for run, task in ((0, "slow"), (1, "fan")):
            out.write(json.dumps({"event": "task.finished", "execution": ROOT,
                                  "mono": MONO0 + 5.0, "actor": f"wf/{task}@0", "task": task,
                                  "route": 0, "run": run, "status": "canceled",
                                  "duration": 4.0}) + "\n")
        out.write(json.dumps({"event": "workflow.finished", "execution": ROOT,
                              "mono": MONO0 + 5.1, "status": "canceled", "duration": 5.1})
                  + "\n")
    data = _timeline(path, now=MONO0 + 100.0)
    assert data["running"] is False and data["total"] == pytest.approx(5.1)
    assert not any(row["running"] for row in data["rows"])
    lanes = data["rows"][1]["items"]["lanes"]
    assert all(span[2] != "running" for lane in lanes for span in lane["spans"])


def test_the_trace_html_draws_running_bars_to_the_last_line(tmp_path: Path) -> None:
    path = _running_trace(tmp_path / "t.jsonl")
    out = tmp_path / "t.html"
    with out.open("w", encoding="utf-8") as page:
        export_html(str(path), page, execution=ROOT)
    text = out.read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', text,
                        re.S)
    data = {name: json.loads(body) for name, body in blocks}
    meta, slices = data["troupe-meta"], data["troupe-slices"]
    assert meta["running"] is True and meta["now_ms"] == pytest.approx(4000.0)
    names = meta["names"]
    running = [s for s in slices if s[5] >= 0 and names[s[5]] == "running"]
    kinds = sorted(s[3] for s in running)
    assert kinds == [1, 1, 2]  # the two task runs and the item in flight
    for s in running:
        assert s[1] + s[2] == pytest.approx(4000.0)


@needs_chromium
@pytest.mark.timeout(120)
def test_the_running_page_draws_without_errors(tmp_path: Path) -> None:
    path = _running_trace(tmp_path / "t.jsonl")
    page = tmp_path / "page.html"
    with page.open("w", encoding="utf-8") as out:
        made = export_html(str(path), out, execution=ROOT)
    result = _chromium(tmp_path, page, "--dump-dom", "--enable-logging=stderr", "--v=0")
    title = re.search(r"<title>(.*?)</title>", result.stdout)
    assert title is not None, result.stderr[-2000:]
    assert title.group(1) == f"ok:{made.actors}"
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert not [line for line in console if "Uncaught" in line or "rror" in line], console
    assert "so far (up to the last line)" in result.stdout
