"""4. Transition latency: a chain of K tasks, one after the other.

Three views of the time from one task's completion to the next task's start:

* ``step``: trace lines of a chain of ``core.noop`` tasks run with ``trace=<file>``: the
  ``mono`` of task i's ``task.finished`` to task i+1's ``task.started`` (the supervisor's
  decision, inside one machine step);
* ``handoff``: the same trace: task i's worker sending ``Performed`` to task i+1's worker
  receiving ``Perform`` (completion message, machine step, spawning the next task actor,
  dispatch: the whole hop between two actions);
* ``action``: no trace; the tasks run ``bench.stamp``, a no-op that records
  ``time.monotonic()`` when it is entered and when it returns; latency = entry of i+1 minus
  exit of i (what an action author sees, with the tracer off).

Plus ``spawn`` (trace: a task's ``task.started`` to its new task actor's ``actor.spawned``,
i.e. the thread creation inside the hop) and ``per_task_ms``: the chain's total time divided
by K, trace off, the workflow loaded beforehand (``load_ms``, not counted).
"""

from __future__ import annotations

import os
import time
from typing import Any

from _common import (
    OUT,
    check_succeeded,
    join_actor_threads,
    median,
    noop_chain,
    percentile,
    read_trace,
)


def _stats(values: list[float]) -> dict[str, float]:
    us = [v * 1e6 for v in values]
    return {"median_us": median(us), "p90_us": percentile(us, 90), "p99_us": percentile(us, 99),
            "max_us": max(us), "n": len(us)}


def _trace_latencies(path: Any, k: int) -> dict[str, Any]:
    finished: dict[str, float] = {}
    started: dict[str, float] = {}
    sent: dict[str, float] = {}
    received: dict[str, float] = {}
    spawned: dict[str, float] = {}
    records, bad = read_trace(path)
    for rec in records:
        event, task = rec.get("event"), rec.get("task")
        if event == "actor.spawned" and rec.get("actor", "").startswith("wf/c"):
            spawned[rec["actor"][3:].partition("@")[0]] = rec["mono"]
        elif event == "task.finished":
            finished[task] = rec["mono"]
        elif event == "task.started":
            started[task] = rec["mono"]
        elif event == "message.sent" and rec.get("msg") == "Performed":
            sent[task] = rec["mono"]
        elif event == "message.received" and rec.get("msg") == "Perform" \
                and rec.get("actor") != "wf":
            received[task] = rec["mono"]
    return {
        "trace_lines": len(records),
        "trace_bad_lines": bad,
        "step": _stats([started[f"c{i + 1}"] - finished[f"c{i}"] for i in range(k - 1)
                        if f"c{i + 1}" in started and f"c{i}" in finished]),
        "handoff": _stats([received[f"c{i + 1}"] - sent[f"c{i}"] for i in range(k - 1)
                           if f"c{i + 1}" in received and f"c{i}" in sent]),
        # task.started -> its task actor spawned (Worker.start returned): thread creation
        "spawn": _stats([spawned[f"c{i}"] - started[f"c{i}"] for i in range(1, k)
                         if f"c{i}" in spawned and f"c{i}" in started]),
    }


def cell(k: int) -> dict[str, Any]:
    from runtime import start_workflow
    from runtime.spec import load_workflow

    warm = start_workflow(noop_chain(3), {}, entry_points=False).wait(60)
    failures = check_succeeded([warm], "latency warm-up")
    join_actor_threads()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"latency-{os.getpid()}.jsonl"
    if path.exists():
        path.unlink()
    out: dict[str, Any] = {"k": k}
    # load once, outside the timed spans (validating a 1,000-task file is not a transition)
    start = time.perf_counter()
    chain = load_workflow(noop_chain(k))
    out["load_ms"] = (time.perf_counter() - start) * 1e3
    stamped_chain = load_workflow(noop_chain(k, "bench.stamp"),
                                  action_exists=lambda ref: True)
    try:
        result = start_workflow(chain, {}, trace=str(path), entry_points=False).wait(600)
        failures += check_succeeded([result], f"latency chain k={k} (trace)")
        trace_views = _trace_latencies(path, k)
        out.update(trace_views)
    finally:
        if path.exists():
            path.unlink()

    join_actor_threads()
    stamps: list[tuple[float, float]] = []
    clock = time.monotonic

    def stamp() -> None:
        entered = clock()
        stamps.append((entered, clock()))

    start = time.perf_counter()
    result = start_workflow(stamped_chain, {}, actions={"bench.stamp": stamp},
                            entry_points=False).wait(600)
    elapsed = time.perf_counter() - start
    failures += check_succeeded([result], f"latency chain k={k} (stamped)")
    join_actor_threads()
    out["action"] = _stats([stamps[i + 1][0] - stamps[i][1] for i in range(len(stamps) - 1)])
    start = time.perf_counter()
    result = start_workflow(chain, {}, entry_points=False).wait(600)
    out["per_task_ms"] = (time.perf_counter() - start) / k * 1e3
    out["per_task_stamped_ms"] = elapsed / k * 1e3
    failures += check_succeeded([result], f"latency chain k={k} (no trace)")
    out["failures"] = failures
    return out


def run(runner: Any, quick: bool) -> dict[str, Any]:
    k = 500 if quick else 1000
    repeats = 1 if quick else 3
    runs = [runner("bench_latency:cell", {"k": k}) for _ in range(repeats)]
    summary: dict[str, Any] = {"k": k, "repeats": len(runs), "runs": runs,
                               "trace_bad_lines": [r["trace_bad_lines"] for r in runs],
                               "failures": [f for r in runs for f in r["failures"]]}
    summary["load_ms"] = median(r["load_ms"] for r in runs)
    for view in ("step", "handoff", "spawn", "action"):
        summary[view] = {key: median(r[view][key] for r in runs)
                         for key in ("median_us", "p90_us", "p99_us", "max_us")}
    summary["per_task_ms"] = median(r["per_task_ms"] for r in runs)
    return summary
