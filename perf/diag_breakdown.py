#!/usr/bin/env python
"""Diagnostic (not part of run.py): where does a with-items item's time go, engine vs floor?

Wraps ``on_receive`` of the engine's supervisor and workers and of the floor's actors (and
the supervisor's ``advance``/``advance_many`` (*machine*) and ``_feed`` (the machine and
carrying out its commands)) with wall-clock accumulators, then runs the floor
and an M = 0, K-item ``core.noop`` with-items workflow alternately in this process, and prints
per-item microseconds: total, supervisor handler, worker handler. The accumulators add ~1 µs
per wrapped call. Usage: ``python perf/diag_breakdown.py [K] [rounds]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

import actors.supervisor as supervisor_module  # noqa: E402
from actors.workers import Worker  # noqa: E402

import bench_floor  # noqa: E402
import bench_with_items  # noqa: E402
from _common import join_actor_threads  # noqa: E402

ACC: dict[str, float] = {}


def _timed(key: str, fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            ACC[key] = ACC.get(key, 0.0) + time.perf_counter() - start

    return wrapper


def main() -> None:
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    sup = supervisor_module.WorkflowSupervisor
    for cls, key in ((sup, "sup"), (Worker, "worker"), (bench_floor.FloorSupervisor, "fsup"),
                     (bench_floor.FloorWorker, "fworker")):
        cls.on_receive = _timed(key, cls.on_receive)
    sup._feed = _timed("feed", sup._feed)
    supervisor_module.advance = _timed("advance", supervisor_module.advance)
    supervisor_module.advance_many = _timed("advance", supervisor_module.advance_many)
    bench_with_items._warm_up()
    for _ in range(rounds):
        ACC.clear()
        join_actor_threads()
        floor = bench_floor.floor_once(k)[0]
        f = {key: ACC.get(key, 0.0) / k * 1e6 for key in ("fsup", "fworker")}
        ACC.clear()
        join_actor_threads()
        engine = bench_with_items.run_once(0, k, 0)["per_item_us"]
        e = {key: ACC.get(key, 0.0) / k * 1e6 for key in ("sup", "feed", "advance", "worker")}
        print(f"floor {floor:6.1f} µs/item: supervisor {f['fsup']:5.1f}, worker {f['fworker']:5.1f}"
              f" | engine {engine:6.1f} µs/item: supervisor {e['sup']:5.1f} (machine "
              f"{e['advance']:5.1f}, feed {e['feed']:5.1f}), worker {e['worker']:5.1f}")


if __name__ == "__main__":
    main()
