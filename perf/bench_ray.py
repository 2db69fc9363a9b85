"""Actions on Ray: Troupe's per-item overhead against Ray's own task round trip, and items/s.

Run it inside a network namespace (Ray's processes listen on every interface)::

    unshare --net sh -c 'ip link set lo up && TROUPE_RAY_NETNS=1 RAY_USAGE_STATS_ENABLED=0 \\
        python perf/bench_ray.py'

One local Ray (``ray.init(num_cpus=2)``: two worker processes) serves both sides, in one
process, alternating (which goes first alternates too), after a warm-up of both; every
ratio is taken within one repeat:

- **round trip, one at a time.** Ray: a trivial task (it returns a small dict) submitted and
  waited for, N times in a row (``ray.get``). Troupe: a with-items task of N ``core.noop``
  items with ``concurrency: 1`` on the Ray executor, timed from start to result; per item =
  span / N. Each item is a spec built, a Ray task running :func:`runtime.executors.run_spec`,
  a completion through ``ObjectRef.future()``, a message, a step of the machine.
- **throughput, 2 workers.** Ray: K trivial tasks submitted at once, then all waited for.
  Troupe: a with-items task of K ``core.noop`` items, ``concurrency: 64``.

Prints one JSON object (medians over the repeats, and every repeat) on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _items(k: int, concurrency: int) -> str:
    return (f"version: 1.0\ntasks:\n  fan:\n    with: {{items: '{{{{ range({k}) | list }}}}', "
            f"concurrency: {concurrency}}}\n    action: core.noop\n")


def _troupe(k: int, concurrency: int) -> float:
    from runtime.api import start_workflow

    started = time.perf_counter()
    result = start_workflow(_items(k, concurrency), executor="ray").wait(timeout=600)
    took = time.perf_counter() - started
    assert result.status.value == "succeeded", result.errors
    return took


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="sequential round trips")
    parser.add_argument("--k", type=int, default=2000, help="items for the throughput")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if os.environ.get("TROUPE_RAY_NETNS") != "1" or \
            {name for _, name in socket.if_nameindex()} - {"lo"}:
        sys.stderr.write("run it in a network namespace (see the docstring)\n")
        return 2
    sys.path.insert(0, str(ROOT))
    os.environ["PYTHONPATH"] = str(ROOT)
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)

    @ray.remote
    def trivial(payload: dict[str, Any]) -> dict[str, Any]:
        return {"outcome": "succeeded", "result": payload.get("x")}

    def ray_sequential(n: int) -> float:
        started = time.perf_counter()
        for i in range(n):
            ray.get(trivial.remote({"x": i}))
        return time.perf_counter() - started

    def ray_burst(k: int) -> float:
        started = time.perf_counter()
        ray.get([trivial.remote({"x": i}) for i in range(k)])
        return time.perf_counter() - started

    ray_sequential(50), ray_burst(200), _troupe(50, 1), _troupe(200, 64)  # warm-up
    load = os.getloadavg()[0]
    runs: dict[str, list[float]] = {"ray_rtt_ms": [], "troupe_item_ms": [], "ratio": [],
                                    "ray_per_s": [], "troupe_per_s": []}
    for index in range(args.repeats):  # which side goes first alternates
        if index % 2:
            troupe_ms = _troupe(args.n, 1) / args.n * 1e3
            ray_ms = ray_sequential(args.n) / args.n * 1e3
        else:
            ray_ms = ray_sequential(args.n) / args.n * 1e3
            troupe_ms = _troupe(args.n, 1) / args.n * 1e3
        runs["ray_rtt_ms"].append(ray_ms)
        runs["troupe_item_ms"].append(troupe_ms)
        runs["ratio"].append(troupe_ms / ray_ms)
        runs["ray_per_s"].append(args.k / ray_burst(args.k))
        runs["troupe_per_s"].append(args.k / _troupe(args.k, 64))
    medians = {key: round(statistics.median(values), 3) for key, values in runs.items()}
    ray.shutdown()
    print(json.dumps({"n": args.n, "k": args.k, "repeats": args.repeats,
                      "load_before": load, "load_after": os.getloadavg()[0],
                      "ray": ray.__version__, "median": medians,
                      "runs": {key: [round(v, 3) for v in values]
                               for key, values in runs.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
