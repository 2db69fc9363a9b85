"""5. Throughput under concurrency: W workflows started at once, each a with-items task of
I ``core.noop`` items (concurrency 32).

``items_per_s`` = W x I / (first ``start_workflow`` call to the last ``wait()`` return).
``peak_threads`` = the largest ``threading.active_count()`` seen, sampled in an ``on_event``
callback (it runs in a supervisor's thread on every progress event, so the peak is seen
while work is in flight). For comparison, the same process runs the same W x I items as one
workflow (``single_items_per_s``), so the ratio is measured under the same noise. The item
workers of all executions share the process's worker budget (``worker_limit``, the default
unless ``TROUPE_MAX_WORKERS`` is set).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from _common import chain_then_items, check_succeeded, join_actor_threads, median


def cell(workflows: int, items: int) -> dict[str, Any]:
    from actors.capacity import WORKERS
    from runtime import start_workflow

    warm = start_workflow(chain_then_items(0, 8), {}, entry_points=False).wait(60)
    failures = check_succeeded([warm], "concurrency warm-up")
    join_actor_threads()
    peak = threading.active_count()
    events = 0

    def sample(_event: Any) -> None:
        nonlocal peak, events
        events += 1
        count = threading.active_count()
        peak = max(peak, count)

    text = chain_then_items(0, items)
    start = time.perf_counter()
    handles = [start_workflow(text, {}, on_event=sample, entry_points=False)
               for _ in range(workflows)]
    results = [h.wait(600) for h in handles]
    elapsed = time.perf_counter() - start
    failures += check_succeeded(results, f"concurrency {workflows}x{items}")
    join_actor_threads()

    single_text = chain_then_items(0, workflows * items)
    start = time.perf_counter()
    single = start_workflow(single_text, {}, entry_points=False).wait(600)
    single_elapsed = time.perf_counter() - start
    failures += check_succeeded([single], f"concurrency single {workflows * items}")
    total = workflows * items
    return {"workflows": workflows, "items": items, "elapsed_s": elapsed,
            "items_per_s": total / elapsed, "peak_threads": peak, "events_seen": events,
            "single_items_per_s": total / single_elapsed, "failures": failures,
            "worker_limit": WORKERS.usage()[1]}


def run(runner: Any, quick: bool) -> dict[str, Any]:
    workflows, items = 50, 200
    repeats = 1 if quick else 3
    runs = [runner("bench_concurrency:cell", {"workflows": workflows, "items": items})
            for _ in range(repeats)]
    return {"workflows": workflows, "items": items, "repeats": len(runs),
            "items_per_s": median(r["items_per_s"] for r in runs),
            "items_per_s_all": [r["items_per_s"] for r in runs],
            "single_items_per_s": median(r["single_items_per_s"] for r in runs),
            "ratio_to_single": median(r["items_per_s"] / r["single_items_per_s"] for r in runs),
            "peak_threads": max(r["peak_threads"] for r in runs),
            "peak_threads_all": [r["peak_threads"] for r in runs],
            "elapsed_s": median(r["elapsed_s"] for r in runs),
            "worker_limit": runs[0].get("worker_limit"),
            "failures": [f for r in runs for f in r["failures"]]}
