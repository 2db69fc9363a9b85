"""3. Side by side with Orquesta 1.2.0, driven through its ``WorkflowConductor``.

The same YAML runs in both engines (M chained tasks publishing S-byte results, then a
with-items task over N items with concurrency 32). Orquesta gets instant mocked completions
and no persistence (StackStorm would also serialize the conductor to its database after every
event, which is left out, so Orquesta's figures are a lower bound):

    conductor.request_workflow_status(RUNNING)
    loop: tasks = conductor.get_next_tasks()          # until it returns nothing
          for a plain task:  update_task_state(id, route, ActionExecutionEvent(RUNNING))
                             update_task_state(id, route, ActionExecutionEvent(SUCCEEDED, result))
          for each item of a with-items task (the at most `concurrency` actions returned):
                             update_task_state(id, route, TaskItemActionExecutionEvent(i, RUNNING))
                             update_task_state(id, route, TaskItemActionExecutionEvent(
                                 i, SUCCEEDED, result=None, accumulated_result=results))

``accumulated_result`` is the list of item results so far, as StackStorm passes it. The
timed span covers parsing the spec, the conductor and the loop (Troupe's ``total_s`` likewise
covers loading and validating the YAML). ``fan_s`` is the with-items task alone: from the
first ``get_next_tasks`` that returns it to the end (Troupe's side: the fan task's span).
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

from _common import KB, chain_then_items, median


def available() -> bool:
    return importlib.util.find_spec("orquesta") is not None


def _import() -> tuple[Any, Any, Any, Any]:
    import warnings

    import _orquesta_shim

    _orquesta_shim.apply()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from orquesta import conducting, events, statuses
        from orquesta.specs import native

    return conducting, events, statuses, native


def run_conductor(text: str, s: int) -> tuple[str, float, int, float | None]:
    """Run the workflow to its end; return (status, seconds, conductor calls, seconds from
    the with-items task's first appearance in ``get_next_tasks`` to the end)."""
    conducting, events, statuses, native = _import()
    blob = "x" * s
    calls = 0
    start = time.perf_counter()
    spec = native.WorkflowSpec(text)
    errors = spec.inspect()
    if errors:
        raise RuntimeError(f"orquesta rejected the workflow: {errors}")
    conductor = conducting.WorkflowConductor(spec)
    conductor.request_workflow_status(statuses.RUNNING)
    accumulated: dict[tuple[str, int], list[Any]] = {}
    fan_started: float | None = None
    while conductor.get_workflow_status() in statuses.RUNNING_STATUSES:
        tasks = conductor.get_next_tasks()
        calls += 1
        if not tasks:
            break
        for task in tasks:
            task_id, route = task["id"], task["route"]
            if "items_count" in task:
                if fan_started is None:
                    fan_started = time.perf_counter()
                results = accumulated.setdefault((task_id, route), [None] * task["items_count"])
                for action in task["actions"]:
                    item_id = action["item_id"]
                    conductor.update_task_state(task_id, route, events.TaskItemActionExecutionEvent(
                        item_id, statuses.RUNNING))
                    results[item_id] = None
                    conductor.update_task_state(task_id, route, events.TaskItemActionExecutionEvent(
                        item_id, statuses.SUCCEEDED, result=None, accumulated_result=results))
                    calls += 2
            else:
                conductor.update_task_state(task_id, route,
                                            events.ActionExecutionEvent(statuses.RUNNING))
                conductor.update_task_state(task_id, route,
                                            events.ActionExecutionEvent(statuses.SUCCEEDED,
                                                                        result=blob))
                calls += 2
    end = time.perf_counter()
    fan = end - fan_started if fan_started is not None else None
    return conductor.get_workflow_status(), end - start, calls, fan


def cell(m: int, n: int, s: int) -> dict[str, Any]:
    # warm up imports and jinja/yaql caches on a tiny workflow
    status, _, _, _ = run_conductor(chain_then_items(1, 2), 8)
    assert status == "succeeded", status
    status, elapsed, calls, fan = run_conductor(chain_then_items(m, n), s)
    failures = [] if status == "succeeded" else [f"orquesta m={m} n={n}: {status}"]
    return {"m": m, "n": n, "s": s, "total_s": elapsed, "fan_s": fan, "status": status,
            "calls": calls, "failures": failures}


def run(runner: Any, quick: bool, troupe_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Orquesta cells; ratios against the Troupe cells of section 2 measured in this run."""
    if not available():
        return {"skipped": "orquesta is not installed (pip install -e '.[perf]' && "
                "pip install --no-deps orquesta==1.2.0)", "rows": []}
    s = 10 * KB
    if quick:
        plan = [(0, 10, 1), (0, 100, 1), (100, 10, 1), (100, 100, 1)]
    else:
        plan = [(0, 10, 3), (0, 100, 3), (0, 1000, 3), (100, 10, 3), (100, 100, 3),
                (100, 1000, 1)]
    troupe = {(r["m"], r["n"]): r for r in troupe_rows}
    rows = []
    for m, n, repeats in plan:
        runs = [runner("bench_orquesta:cell", {"m": m, "n": n, "s": s}, timeout=3600)
                for _ in range(repeats)]
        row: dict[str, Any] = {"m": m, "n": n, "s": s, "repeats": len(runs),
                               "orquesta_s": median(r["total_s"] for r in runs),
                               "orquesta_all": [r["total_s"] for r in runs],
                               "orquesta_fan_s": median(r["fan_s"] for r in runs),
                               "failures": [f for r in runs for f in r["failures"]]}
        mine = troupe.get((m, n))
        if mine is not None:
            row["troupe_s"] = mine["total_s"]
            row["troupe_repeats"] = mine["repeats"]
            row["ratio"] = row["orquesta_s"] / mine["total_s"]
            row["troupe_fan_s"] = mine["per_item_us"] * n / 1e6
            row["fan_ratio"] = row["orquesta_fan_s"] / row["troupe_fan_s"]
        rows.append(row)
    return {"rows": rows}
