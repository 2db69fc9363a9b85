"""A kill -9 in the middle of a with-items run over 1,000 ``core.local`` items, then
``troupe recover``: the run finishes with all 1,000 results, and the items whose command was
in flight at the kill (started, never reported) are the only ``outcome_unknown`` ones.

The run is ``troupe run --store`` in a subprocess, killed once the journal holds a few
hundred item completions (read from the SQLite file by a connection of the test's own);
recovery is ``troupe recover`` in a new process; the outcome is read with
``troupe executions show --json``.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]

WORKFLOW = textwrap.dedent("""\
    version: "1.0.0"
    ref: crash.thousand
    tasks:
      - name: fan
        action: core.local
        with_items: "{{ range(1000) }}"
        concurrency: 16
        input:
          cmd: "echo {{ item }}"
    output_map:
      count: "{{ task.fan.result | length }}"
""")


def _troupe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True,
                          text=True, timeout=240, cwd=cwd, check=False)


def _journal(db: Path) -> list[tuple[str, dict[str, object]]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT kind, body FROM entries ORDER BY execution_id, seq")
        return [(kind, json.loads(body)) for kind, body in rows]


def test_a_kill_mid_run_then_recover_keeps_every_item(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(WORKFLOW)
    db = tmp_path / "troupe.db"
    url = f"sqlite:///{db}"
    process = subprocess.Popen([sys.executable, "-m", "runtime.cli", "run", "wf.yaml",
                                "--store", url], cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    waiting = threading.Event()
    try:
        for _ in range(2000):  # until a few hundred items completed (bounded)
            if db.exists():
                try:
                    done = sum(kind == "ActionCompleted" for kind, _ in _journal(db))
                except sqlite3.OperationalError:
                    done = 0  # the schema is not there yet
                if done >= 300:
                    break
            assert process.poll() is None, "the run ended before the kill"
            waiting.wait(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    journal = _journal(db)
    started = {body["item"] for kind, body in journal if kind == "AttemptStarted"}
    completed = {body["item"] for kind, body in journal if kind == "ActionCompleted"}
    in_flight = started - completed
    assert 300 <= len(completed) < 1000 and in_flight

    recovered = _troupe("recover", "--store", url, "--json", cwd=tmp_path)
    [outcome] = json.loads(recovered.stdout)
    shown = json.loads(_troupe("executions", "show", outcome["execution_id"], "--store", url,
                               "--json", cwd=tmp_path).stdout)
    unknown = {e["item"] for e in shown["errors"] if e["kind"] == "outcome_unknown"}
    assert unknown == in_flight
    [fan] = [t for t in shown["tasks"] if t["name"] == "fan"]
    results = fan["result"]
    assert len(results) == 1000
    for index, result in enumerate(results):
        if index in unknown:
            assert result is None
        else:
            assert result["stdout"].strip() == str(index)
    effects = _journal(db)
    assert sum(kind == "AttemptStarted" for kind, _ in effects) == 1000  # none started twice
