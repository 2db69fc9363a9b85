"""``troupe rerun`` against a real daemon app on loopback: output, exit codes, refusals."""

from __future__ import annotations

import json

import pytest

from tests.client.conftest import Served, troupe

pytestmark = pytest.mark.timeout(60)


def _failed(daemon: Served) -> str:
    done = troupe("submit", "fails", "--wait", "--json", "--server", daemon.url)
    assert done.code == 1, done.err
    execution_id: str = json.loads(done.out)["id"]
    return execution_id


def test_rerun_prints_the_execution_and_waits_like_watch(daemon: Served) -> None:
    execution_id = _failed(daemon)
    printed = troupe("rerun", execution_id, "--server", daemon.url)
    assert printed.code == 0, printed.err
    assert execution_id in printed.out
    assert "reruns:\n  #1 " in printed.out and printed.out.rstrip().endswith(" boom@0")
    waited = troupe("rerun", execution_id, "--task", "boom:0", "--wait", "--json",
                    "--server", daemon.url)
    assert waited.code == 1  # it fails again: t.fail always does
    execution = json.loads(waited.out)
    assert [r["number"] for r in execution["reruns"]] == [1, 2]
    assert [t["name"] for t in execution["tasks"]] == ["boom", "boom", "boom"]


def test_rerun_refusals_exit_2_and_say_why(daemon: Served, gate: object) -> None:
    execution_id = _failed(daemon)
    unknown = troupe("rerun", execution_id, "--task", "nothing", "--server", daemon.url)
    assert unknown.code == 2
    assert unknown.err == f"troupe: cannot rerun {execution_id}: task nothing: unknown_task\n"
    assert troupe("rerun", "nope", "--server", daemon.url).code == 2
    started = json.loads(troupe("submit", "gated", "-p", "n=1", "--json",
                                "--server", daemon.url).out)
    gate.wait_entered(1)  # type: ignore[attr-defined]
    running = troupe("rerun", started["id"], "--server", daemon.url)
    assert running.code == 2
    assert running.err == f"troupe: cannot rerun {started['id']}: the execution is running\n"
    gate.opened.set()  # type: ignore[attr-defined]
