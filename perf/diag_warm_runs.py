"""Diagnostic (not a recorded benchmark): Troupe's side of section 10's fan-out, run several
times in one process, to see the fixed cost per run with and without warm workers.

``bench_peers.py`` times one workflow after an 8-item warm-up, so most of a 32-worker pool
still starts in the timed run; a long-running engine (many executions in one process) runs
on workers kept idle by the process's budget (``actors/capacity.py``). This runs the same
workload (``fan_yaml``, the same actions, the same warm-up), then ``--runs`` timed runs, and
prints each one's milliseconds as JSON (wall, and the process's CPU time, steadier on
a loaded machine); the first is ``bench_peers.py``'s cell, the later
ones the warm case::

    python perf/diag_warm_runs.py memory 1000 4
    python perf/diag_warm_runs.py sqlite 1000 4

Compare two trees by running it from each (``PYTHONPATH=<tree>``), interleaved.

Misuse: one process times both cases; a loaded machine moves every figure, so compare
trees within one interleaved run only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from typing import Any

from runtime import Engine, start_workflow

from bench_peers import WARM_N, _troupe_actions, fan_yaml


def _timed(start: Callable[[str], Any], n: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole process, every thread) of one run."""
    began, cpu = time.perf_counter(), time.process_time()
    result = start(fan_yaml(n)).wait(600)
    elapsed, used = time.perf_counter() - began, time.process_time() - cpu
    assert (result.output or {}).get("results") == list(range(n)), result.errors
    return elapsed, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", choices=["memory", "sqlite"])
    parser.add_argument("n", type=int)
    parser.add_argument("runs", type=int)
    args = parser.parse_args()
    actions = _troupe_actions()
    if args.store == "memory":
        def start(text: str) -> Any:
            return start_workflow(text, {}, actions=actions, entry_points=False)

        start(fan_yaml(WARM_N)).wait(60)
        times = [_timed(start, args.n) for _ in range(args.runs)]
    else:
        directory = tempfile.mkdtemp(prefix="diag-warm-")
        with Engine(store=f"sqlite:///{directory}/troupe.db", entry_points=False,
                    actions=actions) as engine:
            engine.start_workflow(fan_yaml(WARM_N), {}).wait(60)
            times = [_timed(lambda text: engine.start_workflow(text, {}), args.n)
                     for _ in range(args.runs)]
        shutil.rmtree(directory, ignore_errors=True)
    print(json.dumps({"store": args.store, "n": args.n,
                      "ms": [round(wall * 1e3, 1) for wall, _ in times],
                      "cpu_ms": [round(cpu * 1e3, 1) for _, cpu in times]}))


if __name__ == "__main__":
    main()
