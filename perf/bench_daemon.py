"""11. The daemon over HTTP: executions submitted per second, and POST to first task started.

Run on its own (perf/README.md, "The daemon", is written by hand from what it prints)::

    python perf/bench_daemon.py              # full: 1,000 submissions, ~20 s
    python perf/bench_daemon.py --quick      # smoke: 100 submissions

It starts ``troupe daemon`` in a subprocess (SQLite store in a temporary directory, a free
loopback port, readiness from its ``NOTIFY_SOCKET`` message), then:

- ``burst``: N ``POST /api/v1/executions`` from C concurrent clients (a thread and an httpx
  connection each) of a workflow of two ``core.noop`` tasks: submissions per second over
  the whole burst (until the last 201), and each execution's latency from the moment its
  POST was sent to its first ``task_started`` event (the event's time, as the daemon
  journaled it; same machine, same clock).
- ``paced``: M submissions one after another, each after the previous one ended (an idle
  daemon): the same latency, without a queue in front.

Latencies are read back from ``GET /api/v1/executions/{id}/events`` once every execution
has ended. Event times have millisecond resolution.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent

WORKFLOW = """\
version: 1.0
tasks:
  first:
    action: core.noop
    next: [{do: second}]
  second:
    action: core.noop
"""


def _start(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A daemon on a free loopback port; its process and URL once it is ready."""
    flows = work / "flows"
    flows.mkdir()
    (flows / "two.yaml").write_text(WORKFLOW)
    notes = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notes.bind(str(work / "n"))
    notes.settimeout(120)
    env = {**os.environ, "NOTIFY_SOCKET": str(work / "n"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "daemon", "--store", f"sqlite:///{work}/t.db",
         "--listen", "127.0.0.1:0", "--workflows", str(flows), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL)
    while True:
        message = notes.recv(4096).decode()
        if message.startswith("READY=1"):
            notes.close()
            return proc, message.partition("STATUS=serving on ")[2].split()[0]


def _post(http: httpx.Client) -> tuple[str, float]:
    sent = time.time()
    answer = http.post("/api/v1/executions", json={"workflow": "two", "parameters": {}})
    answer.raise_for_status()
    return answer.json()["id"], sent


def _first_started(http: httpx.Client, execution_id: str) -> float:
    """When the execution's first task started (its end waited on the event stream)."""
    with http.stream("GET", f"/api/v1/executions/{execution_id}/events",
                     headers={"Accept": "text/event-stream"}, timeout=300) as stream:
        for line in stream.iter_lines():
            if line == "event: end":
                break
    events = http.get(f"/api/v1/executions/{execution_id}/events").json()["items"]
    started = next(e for e in events if e["kind"] == "task_started")
    return datetime.fromisoformat(started["time"].replace("Z", "+00:00")).timestamp()


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50_ms": round(cut[49] * 1000, 1), "p99_ms": round(cut[98] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1), "n": len(ordered)}


def _burst(url: str, count: int, clients: int) -> dict[str, Any]:
    def one_client(share: int) -> list[tuple[str, float]]:
        with httpx.Client(base_url=url, timeout=120) as http:
            return [_post(http) for _ in range(share)]

    shares = [count // clients + (i < count % clients) for i in range(clients)]
    began = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        posted = [p for part in pool.map(one_client, shares) for p in part]
    took = time.monotonic() - began
    with httpx.Client(base_url=url, timeout=120) as http:
        latencies = [_first_started(http, i) - sent for i, sent in posted]
    return {"submissions": count, "clients": clients, "seconds": round(took, 2),
            "per_second": round(count / took, 1), "post_to_first_task": _percentiles(latencies)}


def _paced(url: str, count: int) -> dict[str, Any]:
    latencies = []
    with httpx.Client(base_url=url, timeout=120) as http:
        for _ in range(count):
            execution_id, sent = _post(http)
            latencies.append(_first_started(http, execution_id) - sent)
    return {"submissions": count, "post_to_first_task": _percentiles(latencies)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    burst, clients, paced = (100, 4, 30) if args.quick else (1000, 8, 200)
    with tempfile.TemporaryDirectory(prefix="tb", dir="/tmp") as work:
        proc, url = _start(Path(work))
        try:
            with httpx.Client(base_url=url, timeout=60) as http:
                for _ in range(20):  # warm-up: imports, the workflow's first load
                    _first_started(http, _post(http)[0])
            report = {"load_before": os.getloadavg()[0], "burst": _burst(url, burst, clients),
                      "paced": _paced(url, paced), "load_after": os.getloadavg()[0],
                      "cpus": os.cpu_count()}
        finally:
            proc.terminate()
            proc.wait(timeout=120)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
