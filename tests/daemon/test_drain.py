"""SIGTERM drains: new executions get 503, no new action starts, the running ones may
finish for up to the drain timeout; the daemon exits 0 as soon as they did, and what was
left is finished after a restart (no ``outcome_unknown``: nothing was cut off). A second
signal stops at once, and that is durable too."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.daemon.gates import Gate
from tests.daemon.harness import Daemon, Notifications, finished, submit

pytestmark = pytest.mark.timeout(300)

WORKFLOW = """\
version: 1.0
input: [gate, n]
tasks:
  first:
    action: gate.wait
    input: {address: '{{ ctx().gate }}', value: '{{ ctx().n }}'}
    next: [{publish: [x: '{{ result() }}'], do: second}]
  second:
    action: gate.wait
    input: {address: '{{ ctx().gate }}', value: '{{ ctx().x * 10 }}'}
    next: [{publish: [y: '{{ result() }}']}]
output:
  - y: '{{ ctx().y }}'
"""
ONCE = WORKFLOW.replace("gate.wait", "gate.once")
"""The same, on actions that are not idempotent (cut off, they would end outcome_unknown)."""
ARGS = ["--actions", "tests.daemon.gates:ACTIONS"]


@pytest.fixture
def gate() -> Iterator[Gate]:
    opened = Gate()
    yield opened
    opened.close()


def _start(tmp_path: Path, notes: Notifications, drain: float,
           workflow: str = WORKFLOW) -> Daemon:
    flows = tmp_path / "flows"
    flows.mkdir(exist_ok=True)
    (flows / "two_gates.yaml").write_text(workflow)
    return Daemon.start(tmp_path, notes, args=[*ARGS, "--workflows", str(flows),
                                               "--drain-timeout", str(drain)])


def test_sigterm_drains_then_a_restart_finishes_everything(tmp_path: Path, gate: Gate) -> None:
    with Notifications() as notes:
        daemon = _start(tmp_path, notes, drain=120, workflow=ONCE)
        with httpx.Client(base_url=daemon.url, timeout=30) as http:
            ids = [submit(http, "two_gates", {"gate": gate.address, "n": n})["id"]
                   for n in range(3)]
            assert sorted(gate.arrivals(3)) == sorted((i, "first") for i in ids)
            daemon.proc.send_signal(signal.SIGTERM)
            assert notes.until("STOPPING=1")[-1] == "STOPPING=1"
            refused = http.post("/api/v1/executions",
                                json={"workflow": "two_gates",
                                      "parameters": {"gate": gate.address, "n": 9}})
            assert refused.status_code == 503
            assert http.get(f"/api/v1/executions/{ids[0]}").status_code == 200
            began = time.monotonic()
            gate.release()  # the running actions finish inside the drain...
        assert daemon.proc.wait(timeout=60) == 0
        assert time.monotonic() - began < 60  # ...and the daemon exits: not the 120 s
        assert gate.pending() == 0  # the `second`s became ready and did not start
        assert daemon.logged("drained")[0]["left_unfinished"] == 3

        again = _start(tmp_path, notes, drain=30, workflow=ONCE)
        assert again.logged("ready")[0]["recovered"] == 3
        assert sorted(gate.arrivals(3)) == sorted((i, "second") for i in ids)
        gate.release()
        with httpx.Client(base_url=again.url, timeout=30) as http:
            ends = {i: finished(http, i) for i in ids}
            listed = http.get("/api/v1/executions").json()["items"]
        assert {i: (e["status"], e["output"], e["errors"]) for i, e in ends.items()} == {
            i: ("succeeded", {"y": n * 10}, []) for n, i in enumerate(ids)}  # none unknown
        assert {e["id"] for e in listed} == set(ids)  # the refused one never existed
        assert again.stop(signal.SIGTERM) == 0


def test_a_second_signal_stops_at_once_and_durably(tmp_path: Path, gate: Gate) -> None:
    with Notifications() as notes:
        daemon = _start(tmp_path, notes, drain=600)
        with httpx.Client(base_url=daemon.url, timeout=30) as http:
            execution = submit(http, "two_gates", {"gate": gate.address, "n": 4})["id"]
        assert gate.arrivals(1) == [(execution, "first")]
        daemon.proc.send_signal(signal.SIGTERM)
        notes.until("STOPPING=1")
        assert daemon.stop(signal.SIGINT, timeout=30) == 1  # not the 600 s of the drain
        assert daemon.logged("stopping_now")
        gate.release()  # its daemon is gone: nothing to let go

        again = _start(tmp_path, notes, drain=30)
        assert again.logged("ready")[0]["recovered"] == 1
        assert gate.arrivals(1) == [(execution, "first")]  # idempotent: run again
        gate.release()
        assert gate.arrivals(1) == [(execution, "second")]
        gate.release()
        with httpx.Client(base_url=again.url, timeout=30) as http:
            end = finished(http, execution)
        assert (end["status"], end["output"]) == ("succeeded", {"y": 40})
        assert again.stop(signal.SIGTERM) == 0
