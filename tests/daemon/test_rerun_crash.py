"""A rerun survives a kill -9 of the daemon in its middle: the restarted daemon recovers the
execution from its journal (the rerun's request with the rest) and finishes the rerun, and
the task the rerun did not name is never called again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.daemon.gates import Gate
from tests.daemon.harness import Daemon, Notifications, finished, submit
from tests.daemon.test_drain import ARGS, WORKFLOW

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def gate() -> Iterator[Gate]:
    opened = Gate()
    yield opened
    opened.close()


def _refuse(gate: Gate) -> None:
    """Let every held action go with a failure (the gate answers other than ``go``)."""
    for conn in gate.held:
        conn.sendall(b"no\n")
        conn.close()
    gate.held.clear()


def _start(tmp_path: Path, notes: Notifications) -> Daemon:
    flows = tmp_path / "flows"
    flows.mkdir(exist_ok=True)
    (flows / "two_gates.yaml").write_text(WORKFLOW)
    return Daemon.start(tmp_path, notes, args=[*ARGS, "--workflows", str(flows)])


def test_a_rerun_killed_in_its_middle_finishes_after_the_restart(tmp_path: Path,
                                                                 gate: Gate) -> None:
    with Notifications() as notes:
        daemon = _start(tmp_path, notes)
        with httpx.Client(base_url=daemon.url, timeout=30) as http:
            execution_id = submit(http, "two_gates", {"gate": gate.address, "n": 4})["id"]
            assert gate.arrivals(1) == [(execution_id, "first")]
            gate.release()
            assert gate.arrivals(1) == [(execution_id, "second")]
            _refuse(gate)
            assert finished(http, execution_id)["status"] == "failed"
            answer = http.post(f"/api/v1/executions/{execution_id}/rerun")
            assert answer.status_code == 202, answer.text
            assert gate.arrivals(1) == [(execution_id, "second")]  # held: the rerun runs
        daemon.kill()

        again = _start(tmp_path, notes)
        assert again.logged("ready")[0]["recovered"] == 1
        assert gate.arrivals(1) == [(execution_id, "second")]  # not `first`
        gate.release()
        with httpx.Client(base_url=again.url, timeout=30) as http:
            done = finished(http, execution_id)
        assert done["status"] == "succeeded"
        assert done["output"] == {"y": 40}
        assert done["errors"] == []
        assert [(t["name"], t["status"]) for t in done["tasks"]] == [
            ("first", "succeeded"), ("second", "failed"), ("second", "succeeded")]
        [entry] = done["reruns"]
        assert [t["task"] for t in entry["tasks"]] == ["second"]
        assert gate.pending() == 0
        again.stop()
