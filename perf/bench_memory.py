"""7. Memory: a with-items task over N items under a 1 MB context.

Workflow: ``t0`` publishes ``r_0``, a C-byte string (C = 1 MiB, or 8 bytes for the baseline);
then ``fan`` runs N items of ``bench.item`` with input
``{i: '{{ item() }}', n: '{{ ctx("r_0") | length }}'}``: every item reads the big value
through its context handle, and returns its index (so the task has real item results).

One fresh process per cell. The C-byte value is built before the baseline is read, so
``growth_kib`` = VmHWM at the end - VmRSS before ``start_workflow`` is the engine's own
growth: its state, journal, messages, threads and the results. ``results_kib`` is the
size of the item results themselves (the list and its ints, ``sys.getsizeof``), and
``beyond_results_kib`` = growth - results is the figure held to the < 30 MB target.
"""

from __future__ import annotations

import sys
from typing import Any

from _common import check_succeeded, join_actor_threads, median, proc_status

MIB = 1024 * 1024


def _workflow(n: int) -> str:
    return (
        "version: 1.0\n"
        "tasks:\n"
        "  t0:\n"
        "    action: bench.blob\n"
        "    next:\n"
        "      - publish:\n"
        "          - r_0: '{{ result() }}'\n"
        "        do: fan\n"
        "  fan:\n"
        f"    with: {{items: '{{{{ range({n}) | list }}}}', concurrency: 32}}\n"
        "    action: bench.item\n"
        "    input: {i: '{{ item() }}', n: '{{ ctx(\"r_0\") | length }}'}\n"
    )


def cell(n: int, ctx_bytes: int) -> dict[str, Any]:
    from runtime import start_workflow

    sizes: list[int] = []

    def item(i: int, n: int) -> int:
        if not sizes:
            sizes.append(n)
        return i

    small = "s" * 8
    warm = start_workflow(_workflow(4), {}, entry_points=False,
                          actions={"bench.blob": lambda: small, "bench.item": item}).wait(60)
    failures = check_succeeded([warm], "memory warm-up")
    join_actor_threads()
    sizes.clear()
    value = "x" * ctx_bytes
    text = _workflow(n)
    actions = {"bench.blob": lambda: value, "bench.item": item}
    before = proc_status()
    result = start_workflow(text, {}, actions=actions, entry_points=False).wait(600)
    after = proc_status()
    failures += check_succeeded([result], f"memory n={n} ctx={ctx_bytes}")
    results = result.task("fan").result if not failures else []
    results_bytes = sys.getsizeof(results) + sum(sys.getsizeof(r) for r in results)
    growth = after["VmHWM"] - before["VmRSS"]
    return {"n": n, "ctx_bytes": ctx_bytes, "rss0_kib": before["VmRSS"],
            "hwm_kib": after["VmHWM"], "growth_kib": growth,
            "results_kib": results_bytes / 1024,
            "beyond_results_kib": growth - results_bytes / 1024,
            "seen_len": sizes[0] if sizes else None, "failures": failures}


def run(runner: Any, quick: bool) -> dict[str, Any]:
    n = 10_000
    repeats = 1 if quick else 3
    rows = []
    for ctx_bytes in (8, MIB):
        runs = [runner("bench_memory:cell", {"n": n, "ctx_bytes": ctx_bytes})
                for _ in range(repeats)]
        failures = [f for r in runs for f in r["failures"]]
        failures += [f"memory: items saw ctx length {r['seen_len']}, wanted {ctx_bytes}"
                     for r in runs if r["seen_len"] != ctx_bytes]
        rows.append({"n": n, "ctx_bytes": ctx_bytes, "repeats": len(runs),
                     "growth_kib": median(r["growth_kib"] for r in runs),
                     "growth_all": [r["growth_kib"] for r in runs],
                     "results_kib": median(r["results_kib"] for r in runs),
                     "beyond_results_kib": median(r["beyond_results_kib"] for r in runs),
                     "rss0_kib": median(r["rss0_kib"] for r in runs),
                     "failures": failures})
    return {"rows": rows,
            "ctx_effect_kib": rows[1]["growth_kib"] - rows[0]["growth_kib"]}
