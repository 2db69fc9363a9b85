"""``troupe watch``: sub-workflows followed two levels deep, with-items bars to N/N, a
stream that drops (the daemon restarts) resumed from Last-Event-ID without a lost or a
repeated event, and ``troupe top``."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from actors.mailbox import BatchingInbox
from tests.client.conftest import Ran, Seen, Served, troupe
from tests.server.conftest import Gate

pytestmark = pytest.mark.timeout(90)


def test_watch_follows_two_levels_of_sub_workflows(daemon: Served) -> None:
    started = json.loads(troupe("submit", "top", "-p", "n=4", "--json",
                                "--server", daemon.url).out)
    done = troupe("watch", started["id"], "--server", daemon.url)
    assert done.code == 0, done.err
    assert done.out == "mid:\n- 0\n- 1\n- 2\n- 3\n"
    lines = done.err.splitlines()
    root = started["id"]
    assert "▶ outer" in lines and "✔ outer succeeded" in lines
    mid, leaf = f"{root}.outer.0", f"{root}.outer.0.inner.0"
    assert f"  ↳ mid {mid}: ▶ inner" in lines
    assert f"  ↳ mid {mid}: ✔ inner succeeded" in lines
    assert f"    ↳ leaf {leaf}: ▶ fan (4 items)" in lines
    assert f"    ↳ leaf {leaf}:   fan [{'#' * 30}] 4/4" in lines
    assert f"    ↳ leaf {leaf}: workflow succeeded" in lines
    assert lines[-1] == f"workflow {root} succeeded"


def test_watch_shows_a_running_sub_workflow_live(daemon: Served, gate: Gate,
                                                 workflows_dir: Path) -> None:
    (workflows_dir / "calls_gated.yaml").write_text(
        "version: 1.0\ntasks:\n  call:\n    action: gated.yaml\n    input: {n: 2}\n")
    started = json.loads(troupe("submit", "calls_gated", "--json", "--server", daemon.url).out)
    err = Seen()
    child_started = err.when(f"↳ gated {started['id']}.call.0: ▶ fan (2 items)")
    ran: list[Ran] = []
    watcher = threading.Thread(target=lambda: ran.append(
        troupe("watch", started["id"], "--server", daemon.url, err=err)))
    watcher.start()
    assert child_started.wait(timeout=30), err.getvalue()  # while its items are held
    assert "✔ call succeeded" not in err.getvalue()
    gate.opened.set()
    watcher.join(timeout=60)
    assert ran and ran[0].code == 0, err.getvalue()
    lines = ran[0].err.splitlines()
    assert lines.index(f"  ↳ gated {started['id']}.call.0:   fan [{'#' * 30}] 2/2") < \
        lines.index("✔ call succeeded")


def test_watch_no_children(daemon: Served) -> None:
    started = json.loads(troupe("submit", "top", "-p", "n=2", "--json",
                                "--server", daemon.url).out)
    done = troupe("watch", started["id"], "--no-children", "--server", daemon.url)
    assert done.code == 0 and "↳" not in done.err


def test_watch_resumes_after_the_daemon_restarts(daemon: Served, gate: Gate) -> None:
    started = json.loads(troupe("submit", "gated", "-p", "n=3", "--json",
                                "--server", daemon.url).out)
    err = Seen()
    seen = err.when("▶ fan (3 items)")
    ran: list[Ran] = []
    watcher = threading.Thread(target=lambda: ran.append(
        troupe("watch", started["id"], "--server", daemon.url, err=err)))
    watcher.start()
    assert seen.wait(timeout=30)
    gate.wait_entered(3)
    daemon.restart()  # the open stream is cut; the watch connects again
    gate.opened.set()
    watcher.join(timeout=60)
    assert ran and ran[0].code == 0, err.getvalue()
    lines = ran[0].err.splitlines()
    assert lines.count("▶ fan (3 items)") == 1  # resumed after the last event seen
    assert lines.count("✔ fan succeeded") == 1
    assert f"  fan [{'#' * 30}] 3/3" in lines
    assert ran[0].out == "items: ['0', '1', '2']\n" or ran[0].out.startswith("items:")


def test_top_once_shows_running_executions(daemon: Served, gate: Gate) -> None:
    started = json.loads(troupe("submit", "gated", "-p", "n=2", "--json",
                                "--server", daemon.url).out)
    gate.wait_entered(2)
    done = troupe("top", "--once", "--server", daemon.url)
    assert done.code == 0, done.err
    row = next(line for line in done.out.splitlines() if started["id"] in line)
    assert row.replace("│", " ").split()[1:] == ["gated", "fan", "2", "-"] or \
        row.replace("│", " ").split()[1:4] == ["gated", "fan", "2"]
    gate.opened.set()
    assert troupe("watch", started["id"], "--server", daemon.url).code == 0


@pytest.mark.xfail(not hasattr(BatchingInbox, "qsize"), strict=True,
                   reason="/metrics answers 500 while an execution runs: handle.mailbox_depth "
                   "needs BatchingInbox.qsize (added on h-daemon12)")
def test_top_shows_the_metrics_of_a_running_execution(daemon: Served, gate: Gate) -> None:
    started = json.loads(troupe("submit", "gated", "-p", "n=2", "--json",
                                "--server", daemon.url).out)
    gate.wait_entered(2)
    done = troupe("top", "--once", "--server", daemon.url)
    gate.opened.set()
    assert troupe("watch", started["id"], "--server", daemon.url).code == 0
    assert "items in flight: 2" in done.out and "metrics unavailable" not in done.out


def test_watch_follows_sub_workflows_of_a_with_items_task(daemon: Served,
                                                          workflows_dir: Path) -> None:
    (workflows_dir / "many.yaml").write_text(
        "version: 1.0\ntasks:\n  each:\n    with: i in {{ range(3) }}\n"
        "    action: leaf.yaml\n    input: {n: 2}\n")
    started = json.loads(troupe("submit", "many", "--json", "--server", daemon.url).out)
    done = troupe("watch", started["id"], "--server", daemon.url)
    assert done.code == 0, done.err
    lines = done.err.splitlines()
    assert f"  each [{'#' * 30}] 3/3" in lines
    for item in range(3):
        child = f"{started['id']}.each.0.{item}"
        assert f"  ↳ leaf {child}:   fan [{'#' * 30}] 2/2" in lines, done.err
        assert f"  ↳ leaf {child}: workflow succeeded" in lines
