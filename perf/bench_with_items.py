"""2. with-items scaling through the real engine (``start_workflow``), one fresh process per cell.

Workflow: M chained tasks that each publish an S-byte result (``bench.blob``), then ``fan``:
``with: {items: '{{ range(N) | list }}', concurrency: 32}``, ``action: core.noop``.

Per cell: ``total_s`` (``start_workflow`` call to ``handle.wait()`` return: validation, the
chain, the fan-out and the result), ``per_item_us`` (the fan task's own span, from the
engine's start and finish times of the run, divided by N), and memory: ``rss0_kib`` (VmRSS
after a warm-up workflow), ``hwm_kib`` (VmHWM at the end) and their difference ``growth_kib``.

The same cell function also serves the trace on/off comparison (``trace=True`` writes a trace
file in perf/out/) and the Orquesta side-by-side (its ``total_s`` is Troupe's side).
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

from _common import (
    KB,
    OUT,
    blob_action,
    chain_then_items,
    check_succeeded,
    join_actor_threads,
    median,
    proc_status,
    read_trace,
)


def _warm_up() -> None:
    from runtime import start_workflow

    result = start_workflow(chain_then_items(1, 4), {}, actions={"bench.blob": blob_action(8)},
                            entry_points=False).wait(60)
    assert str(result.status) == "succeeded", result.errors
    join_actor_threads()


def run_once(m: int, n: int, s: int, *, concurrency: int = 32, trace: str | None = None,
             trace_level: str | None = None, head: str = "",
             item_input: str | None = None) -> dict[str, Any]:
    """Run one workflow in this process; return timings (no memory figures)."""
    from runtime import start_workflow

    text = chain_then_items(m, n, concurrency=concurrency, head=head, item_input=item_input)
    actions = {"bench.blob": blob_action(s)}
    start = time.perf_counter()
    options: dict[str, Any] = {"trace": trace, "entry_points": False}
    if trace_level is not None:
        options["trace_level"] = trace_level
    handle = start_workflow(text, {}, actions=actions, **options)
    result = handle.wait(1800)
    total = time.perf_counter() - start
    out: dict[str, Any] = {"total_s": total, "failures": check_succeeded(
        [result], f"with-items m={m} n={n} s={s}")}
    try:
        fan = result.task("fan")
    except KeyError:
        fan = None
    if fan is not None and fan.duration is not None:
        out["fan_s"] = fan.duration
        out["per_item_us"] = fan.duration / n * 1e6
        out["items"] = fan.items
    out["events"] = result.events
    out["_result"] = result
    return out


def cell(m: int, n: int, s: int, concurrency: int = 32) -> dict[str, Any]:
    _warm_up()
    before = proc_status()
    out = run_once(m, n, s, concurrency=concurrency)
    after = proc_status()
    out.pop("_result")
    out.update(m=m, n=n, s=s, rss0_kib=before["VmRSS"], hwm_kib=after["VmHWM"],
               growth_kib=after["VmHWM"] - before["VmRSS"])
    return out


def trace_cell(n: int, repeats: int = 2) -> dict[str, Any]:
    """Alternate trace=None, trace=<file> (default level ``info``) and trace=<file> at level
    ``debug`` (which adds the per-item worker messages) on one N-item with-items task."""
    _warm_up()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"trace-bench-{os.getpid()}.jsonl"
    variants: dict[str, str | None] = {"off": None, "info": "info", "debug": "debug"}
    per_item: dict[str, list[float]] = {v: [] for v in variants}
    lines: dict[str, int] = {}
    bad_lines: dict[str, list[int]] = {v: [] for v in variants if v != "off"}
    failures: list[str] = []
    try:
        for _ in range(repeats):
            for variant, level in variants.items():
                if path.exists():
                    path.unlink()
                join_actor_threads()
                r = run_once(0, n, 0, trace=str(path) if level else None, trace_level=level)
                per_item[variant].append(r["per_item_us"])
                failures += r["failures"]
                if level:
                    records, bad = read_trace(path)
                    lines[variant] = len(records)
                    bad_lines[variant].append(bad)
    finally:
        if path.exists():
            path.unlink()
    out: dict[str, Any] = {"n": n, "trace_lines": lines, "trace_bad_lines": bad_lines,
                           "failures": failures}
    for variant, values in per_item.items():
        out[f"{variant}_us"] = median(values)
        out[f"{variant}_all"] = values
    return out


def run(runner: Any, quick: bool) -> dict[str, Any]:
    ns = [10, 100, 1000] if quick else [10, 100, 1000, 10_000]
    ms = [0, 100]
    s = 10 * KB
    repeats = 1 if quick else 5
    cells = [(m, n) for n in ns for m in ms]
    # repeats outermost: each pass runs every cell once, so slow spells of the (shared)
    # machine fall on all cells alike rather than on one cell's repeats; within a pass the
    # M = 0 and M = 100 cells of one N run back to back, and their ratio is taken per pass
    done: dict[tuple[int, int], list[dict[str, Any]]] = {c: [] for c in cells}
    for _ in range(repeats):
        for m, n in cells:
            done[(m, n)].append(runner("bench_with_items:cell", {"m": m, "n": n, "s": s}))
    rows = []
    for m, n in cells:
        runs = done[(m, n)]
        row: dict[str, Any] = {"m": m, "n": n, "s": s, "repeats": len(runs)}
        for key in ("total_s", "per_item_us", "growth_kib", "hwm_kib", "rss0_kib"):
            row[key] = median(r[key] for r in runs)
            row[key + "_all"] = [r[key] for r in runs]
        row["failures"] = [f for r in runs for f in r["failures"]]
        rows.append(row)
    summary: dict[str, Any] = {"rows": rows}
    by = {(r["m"], r["n"]): r for r in rows}
    per_pass = {str(n): [a["per_item_us"] / b["per_item_us"]
                         for a, b in zip(done[(100, n)], done[(0, n)], strict=True)]
                for n in ns}
    summary["per_item_ratio_m100_m0"] = {n: median(v) for n, v in per_pass.items()}
    summary["per_item_ratio_m100_m0_passes"] = per_pass
    # linearity: marginal total time per added item between consecutive N (equal = linear)
    marginal: dict[str, dict[str, float]] = {}
    for m in ms:
        marginal[str(m)] = {
            f"{a}-{b}": (by[(m, b)]["total_s"] - by[(m, a)]["total_s"]) / (b - a) * 1e6
            for a, b in itertools.pairwise(ns)}
    summary["marginal_us"] = marginal
    summary["linearity"] = {m: list(v.values())[-1] / list(v.values())[-2]
                            for m, v in marginal.items()}
    return summary


def run_trace(runner: Any, quick: bool) -> dict[str, Any]:
    n = 2000 if quick else 10_000
    repeats = 1 if quick else 3
    runs = [runner("bench_with_items:trace_cell", {"n": n, "repeats": 1 if quick else 2})
            for _ in range(repeats)]
    out: dict[str, Any] = {"n": n, "repeats": len(runs),
                           "failures": [f for r in runs for f in r["failures"]]}
    for variant in ("off", "info", "debug"):
        out[f"{variant}_us"] = median(r[f"{variant}_us"] for r in runs)
    for variant in ("info", "debug"):
        ratios = [r[f"{variant}_us"] / r["off_us"] for r in runs]
        out[f"{variant}_ratio"] = median(ratios)
        out[f"{variant}_ratios"] = ratios
        out[f"{variant}_lines"] = runs[-1]["trace_lines"][variant]
        out[f"{variant}_bad_lines"] = [b for r in runs for b in r["trace_bad_lines"][variant]]
    # the default level is what start_workflow(trace=path) writes
    out["on_us"], out["ratio"], out["ratios"] = out["info_us"], out["info_ratio"], out[
        "info_ratios"]
    out["trace_lines"] = out["info_lines"]
    return out


ITEM_INPUTS = {"jinja": "{x: '{{ item() }}'}", "yaql": "{x: '<% item() %>'}"}
"""The fan task's input per expression language (section 2b): the item, rendered per item."""


def lang_cell(m: int, n: int, lang: str) -> dict[str, Any]:
    """One with-items run whose items render ``ITEM_INPUTS[lang]`` after ``m`` 10 KB results."""
    _warm_up()
    out = run_once(m, n, 10 * KB, item_input=ITEM_INPUTS[lang])
    out.pop("_result")
    out.update(m=m, n=n, lang=lang)
    return out


def run_languages(runner: Any, quick: bool) -> dict[str, Any]:
    """Section 2b: per-item cost with YAQL item inputs against Jinja ones, at M = 0 and 100.

    Each pass runs the four cells back to back (so a slow spell of the shared machine falls
    on all of them); the ratios are taken per pass, then their median is reported.
    """
    n = 300 if quick else 2000
    repeats = 1 if quick else 5
    cells = [(m, lang) for m in (0, 100) for lang in ITEM_INPUTS]
    done: dict[tuple[int, str], list[dict[str, Any]]] = {c: [] for c in cells}
    for _ in range(repeats):
        for m, lang in cells:
            done[(m, lang)].append(runner("bench_with_items:lang_cell",
                                          {"m": m, "n": n, "lang": lang}))
    rows = [{"m": m, "lang": lang, "n": n, "repeats": repeats,
             "per_item_us": median(r["per_item_us"] for r in done[(m, lang)]),
             "per_item_us_all": [r["per_item_us"] for r in done[(m, lang)]]}
            for m, lang in cells]

    def ratios(a: tuple[int, str], b: tuple[int, str]) -> list[float]:
        return [x["per_item_us"] / y["per_item_us"]
                for x, y in zip(done[a], done[b], strict=True)]

    passes = {
        "yaql_over_jinja_m0": ratios((0, "yaql"), (0, "jinja")),
        "yaql_over_jinja_m100": ratios((100, "yaql"), (100, "jinja")),
        "yaql_m100_over_m0": ratios((100, "yaql"), (0, "yaql")),
        "jinja_m100_over_m0": ratios((100, "jinja"), (0, "jinja")),
    }
    return {"n": n, "rows": rows, "ratios": {k: median(v) for k, v in passes.items()},
            "ratio_passes": passes,
            "failures": [f for runs in done.values() for r in runs for f in r["failures"]]}
