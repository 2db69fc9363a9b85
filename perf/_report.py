"""Turn ``perf/out/results.json`` into the tables of perf/README.md and the PNGs of perf/plots/.

The README keeps hand-written text outside marked blocks; only the blocks
``<!-- perf:NAME -->`` ... ``<!-- /perf:NAME -->`` are rewritten by ``python perf/run.py``
(or ``python perf/run.py --report-only`` from the last results).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from _common import KB, PERF, PLOTS, machine_line

README = PERF / "README.md"

TARGETS = {
    "context_flat": 1.5,
    "m100_over_m0": 1.2,
    "orquesta_ratio": 1000.0,
    "floor_ratio": 2.0,
    "memory_mib": 30.0,
    "trace_ratio": 2.0,
    "yaql_over_jinja": 1.5,
}


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if math.isnan(value):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def _size(nbytes: int) -> str:
    if nbytes >= 1024 * 1024:
        return f"{nbytes // (1024 * 1024)} MiB"
    if nbytes >= KB:
        return f"{nbytes // KB} KB"
    return f"{nbytes} B"


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ---- tables --------------------------------------------------------------------------------


def tables(res: dict[str, Any]) -> dict[str, str]:
    sec = res["sections"]
    out: dict[str, str] = {}
    info = res["machine"]
    out["machine"] = "\n".join([
        f"- **Machine:** {info['nproc']} CPUs, {info['cpu_model']}, {info['mem_gib']} GiB RAM, "
        f"Linux {info['kernel']}",
        f"- **Software:** {info['implementation']} {info['python']}, pykka {info['pykka']}, "
        f"pyrsistent {info['pyrsistent']}, jinja2 {info['jinja2']}, structlog "
        f"{info['structlog']}, orquesta {info['orquesta'] or 'not installed'}; engine at "
        f"commit {info.get('engine_revision', '?')}",
        f"- **Run:** `python perf/run.py` ({res['mode']} mode), {res['started']}, took "
        f"{res['duration_s'] / 60:.1f} min; 1-minute load average {res['loadavg']['start']:.2f} "
        f"at the start, {res['loadavg']['end']:.2f} at the end (2 CPUs: other work was running)",
        f"- **Failures:** {', '.join(res['failures']) if res['failures'] else 'none'} "
        "(every benchmark workflow succeeded)" if not res["failures"] else
        f"- **Failures:** {'; '.join(res['failures'])}",
    ])
    out["headline"] = _headline(res)

    ctx = sec.get("context")
    if ctx:
        rows = [[str(r["m"]), _size(r["s"]), _fmt(r["task_us"]), _fmt(r["item_us"]),
                 _fmt(r["publish_us"]), _fmt(r["lookup_us"]), _fmt(r["step_us"])]
                for r in ctx["rows"]]
        flat = ctx["max_over_min"]
        worst = max(flat.values())
        out["context"] = _table(
            ["M tasks done", "S", "hand to task µs", "hand to item µs", "publish µs",
             "ctx lookup µs", "machine step per item µs"], rows) + (
            f"\n\nLargest/smallest across all {len(ctx['rows'])} cells: "
            + ", ".join(f"{k.removesuffix('_us')} {v:.2f}x" for k, v in flat.items())
            + f" (flat: target ≤ {TARGETS['context_flat']}x, "
            f"{_verdict(worst <= TARGETS['context_flat'])}). "
            f"Median of {ctx['rows'][0]['repeats']} processes.")

    wi = sec.get("with_items")
    if wi:
        rows = []
        for r in wi["rows"]:
            rows.append([str(r["n"]), str(r["m"]), _fmt(r["total_s"] * 1e3),
                         _fmt(r["per_item_us"]), _fmt(r["total_s"] / r["n"] * 1e6),
                         _fmt(r["hwm_kib"] / 1024), _fmt(r["growth_kib"] / 1024)])
        ratio = wi["per_item_ratio_m100_m0"]
        lin = wi["linearity"]
        ok = all(v <= TARGETS["m100_over_m0"] for n, v in ratio.items() if int(n) >= 1000)
        out["with_items"] = _table(
            ["N items", "M tasks (S = 10 KB)", "total ms", "engine µs/item (fan span / N)",
             "total µs / N", "peak RSS MiB", "RSS growth MiB"], rows) + (
            "\n\nPer-item time at M = 100 over M = 0: "
            + ", ".join(f"N = {int(n):,}: {v:.2f}x" for n, v in ratio.items())
            + f" (target ≤ {TARGETS['m100_over_m0']}x at N ≥ 1,000: {_verdict(ok)}; the "
            "median of the ratios of each pass, whose M = 0 and M = 100 cells ran back to "
            "back"
            + (": at N = 10,000 " + ", ".join(
                f"{v:.2f}" for v in wi["per_item_ratio_m100_m0_passes"].get("10000", []))
               if wi.get("per_item_ratio_m100_m0_passes", {}).get("10000") else "")
            + "). "
            + "Linearity: marginal total time per added item, "
            + "; ".join(f"M = {m}: " + ", ".join(f"N {k.replace('-', '→')}: {v:.0f} µs"
                                                 for k, v in wi["marginal_us"][m].items())
                        for m in wi["marginal_us"])
            + " (last over previous interval: "
            + ", ".join(f"M = {m}: {v:.2f}" for m, v in lin.items())
            + f"; 1.00 = linear). Median of {wi['rows'][0]['repeats']} fresh processes per "
            "cell.")

    orq = sec.get("orquesta")
    if orq:
        if orq.get("skipped"):
            out["orquesta"] = f"_Skipped: {orq['skipped']}._"
        else:
            rows = []
            for r in orq["rows"]:
                rows.append([f"{r['n']:,}", str(r["m"]), _fmt(r["orquesta_s"], 2),
                             str(r["repeats"]), _fmt(r.get("troupe_s", float("nan")) * 1e3),
                             f"**{_fmt(r.get('ratio'), 1)}x**",
                             _fmt(r.get("orquesta_fan_s"), 2),
                             _fmt(r.get("troupe_fan_s", float("nan")) * 1e3),
                             f"{_fmt(r.get('fan_ratio'), 1)}x"])
            key = next((r for r in orq["rows"] if r["m"] == 100 and r["n"] == 1000), None)
            note = ""
            if key is not None and "ratio" in key:
                note = (f"\n\nAt N = 1,000, M = 100, S = 10 KB Troupe is **{key['ratio']:,.0f}x** "
                        f"faster end to end (target ≥ {TARGETS['orquesta_ratio']:,.0f}x: "
                        f"{_verdict(key['ratio'] >= TARGETS['orquesta_ratio'])}), and "
                        f"{key.get('fan_ratio', float('nan')):,.0f}x on the with-items task "
                        "alone; that Orquesta "
                        f"cell ran once ({_fmt(key['orquesta_s'], 0)} s), the others "
                        "are medians of 3 processes; Troupe's column is the median of the "
                        "section-2 cell of this run.")
            out["orquesta"] = _table(
                ["N items", "M tasks (S = 10 KB)", "Orquesta 1.2.0 s", "runs",
                 "Troupe ms", "Orquesta / Troupe", "with-items task alone: Orquesta s",
                 "Troupe ms", "ratio"], rows) + note

    lat = sec.get("latency")
    if lat:
        names = {"step": "supervisor step (trace: task.finished → next task.started)",
                 "handoff": "hop between actions (trace: Performed sent → next Perform received)",
                 "spawn": "of which: starting the next task's actor (trace: task.started → "
                          "actor.spawned)",
                 "action": "action exit → next action entry (no trace, stamping no-op)"}
        rows = [[names[v], _fmt(lat[v]["median_us"]), _fmt(lat[v]["p90_us"]),
                 _fmt(lat[v]["p99_us"]), _fmt(lat[v]["max_us"])] for v in names if v in lat]
        out["latency"] = _table(["view", "median µs", "p90 µs", "p99 µs", "max µs"], rows) + (
            f"\n\nChain of {lat['k']:,} tasks; medians over {lat['repeats']} processes of each "
            f"statistic. Without the trace the whole chain takes {lat['per_task_ms']:.2f} ms per "
            f"task (total / K, the workflow loaded beforehand: loading and validating the "
            f"{lat['k']:,}-task file took {lat.get('load_ms', float('nan')):.0f} ms).")

    con = sec.get("concurrency")
    if con:
        out["concurrency"] = _table(
            ["workflows × items", "aggregate items/s", "same items as 1 workflow, items/s",
             "ratio", "peak threads", "worker limit", "wall s"],
            [[f"{con['workflows']} × {con['items']}", _fmt(con["items_per_s"]),
              _fmt(con["single_items_per_s"]), f"{con['ratio_to_single']:.2f}",
              str(con["peak_threads"]), str(con.get("worker_limit") or "–"),
              _fmt(con["elapsed_s"], 2)]]) + (
            f"\n\nMedian of {con['repeats']} processes (peak threads: the largest seen; per run "
            f"{', '.join(map(str, con['peak_threads_all']))}).")

    flo = sec.get("floor")
    if flo:
        rows = [[f"{r['k']:,}", _fmt(r["floor_us"]), _fmt(r["floor_steady_us"]),
                 _fmt(r.get("machine_us")), _fmt(r.get("machine_batched_us")),
                 _fmt(r["engine_us"]), f"{r['ratio']:.2f}x",
                 ", ".join(f"{x:.2f}" for x in r["ratios"])] for r in flo["rows"]]
        worst = max(r["ratio"] for r in flo["rows"] if r["k"] >= 1000) if any(
            r["k"] >= 1000 for r in flo["rows"]) else max(r["ratio"] for r in flo["rows"])
        out["floor"] = _table(
            ["K items", "pykka floor µs/item", "floor after the pool started µs/item",
             "machine, 1 completion per step µs/item",
             "machine, 16 per step µs/item", "engine µs/item", "engine / floor",
             "ratio per process"], rows) + (
            f"\n\nTarget engine ≤ {TARGETS['floor_ratio']}x the floor (K ≥ 1,000): "
            f"{_verdict(worst <= TARGETS['floor_ratio'])} (worst median {worst:.2f}x). "
            f"Median of {flo['rows'][0]['repeats']} processes, each alternating floor and engine.")

    mem = sec.get("memory")
    if mem:
        rows = [[f"{r['n']:,}", _size(r["ctx_bytes"]), _fmt(r["rss0_kib"] / 1024),
                 _fmt(r["growth_kib"] / 1024, 2), _fmt(r["results_kib"] / 1024, 2),
                 _fmt(r["beyond_results_kib"] / 1024, 2)] for r in mem["rows"]]
        big = mem["rows"][-1]
        out["memory"] = _table(
            ["N items", "context value", "RSS before MiB", "peak growth MiB",
             "item results MiB", "growth beyond results MiB"], rows) + (
            f"\n\nTarget < {TARGETS['memory_mib']:.0f} MiB beyond the results with the 1 MiB "
            f"context: {_verdict(big['beyond_results_kib'] / 1024 < TARGETS['memory_mib'])}. "
            f"The 1 MiB context changes the peak by {mem['ctx_effect_kib'] / 1024:+.2f} MiB "
            f"against the 8-byte one. Median of {big['repeats']} processes.")

    lang = sec.get("languages")
    if lang:
        out["languages"] = _languages(lang)

    tr = sec.get("trace")
    if tr:
        rows = [[f"{tr['n']:,}", "off (`trace=None`)", _fmt(tr["off_us"]), "1.00x", "–", "–",
                 "–"]]
        for variant, label in (("info", "`trace=<file>` (default level `info`)"),
                               ("debug", "`trace=<file>, trace_level=\"debug\"`")):
            rows.append([f"{tr['n']:,}", label, _fmt(tr[f"{variant}_us"]),
                         f"**{tr[f'{variant}_ratio']:.2f}x**",
                         ", ".join(f"{x:.2f}" for x in tr[f"{variant}_ratios"]),
                         f"{tr[f'{variant}_lines']:,}",
                         ", ".join(str(b) for b in tr[f"{variant}_bad_lines"])])
        out["trace"] = _table(
            ["N items", "trace", "engine µs/item", "vs off", "ratio per process",
             "lines written", "unparsable lines per run"], rows, "llrrrrr") + (
            f"\n\nTarget ≤ {TARGETS['trace_ratio']}x at the default level: "
            f"{_verdict(tr['ratio'] <= TARGETS['trace_ratio'])}. Median of {tr['repeats']} "
            "processes, each alternating the three variants twice.")
    return out


def _languages(lang: dict[str, Any]) -> str:
    """Section 2b: YAQL item inputs against Jinja ones, and both against M."""
    rows = [[str(r["m"]), r["lang"], f"{r['n']:,}", _fmt(r["per_item_us"]),
             ", ".join(_fmt(v) for v in r["per_item_us_all"])] for r in lang["rows"]]
    ratio = lang["ratios"]
    speed_ok = max(ratio["yaql_over_jinja_m0"], ratio["yaql_over_jinja_m100"]) <= TARGETS[
        "yaql_over_jinja"]
    flat_ok = ratio["yaql_m100_over_m0"] <= TARGETS["m100_over_m0"]
    return _table(["M tasks (S = 10 KB)", "item input", "N items", "engine µs/item",
                   "per process"], rows, "lllrr") + (
        f"\n\nYAQL over Jinja per item: M = 0: {ratio['yaql_over_jinja_m0']:.2f}x, M = 100: "
        f"{ratio['yaql_over_jinja_m100']:.2f}x (target ≤ {TARGETS['yaql_over_jinja']}x: "
        f"{_verdict(speed_ok)}). M = 100 over M = 0: YAQL {ratio['yaql_m100_over_m0']:.2f}x, "
        f"Jinja {ratio['jinja_m100_over_m0']:.2f}x (target ≤ {TARGETS['m100_over_m0']}x: "
        f"{_verdict(flat_ok)}). Medians of the per-pass ratios, "
        f"{lang['rows'][0]['repeats']} passes of the four cells back to back.")


def _headline(res: dict[str, Any]) -> str:
    sec = res["sections"]
    rows = []
    flo = sec.get("floor")
    if flo:
        r = next((r for r in flo["rows"] if r["k"] == 10_000), flo["rows"][-1])
        rows.append([f"engine per item vs pykka floor (K = {r['k']:,})",
                     f"{_fmt(r['engine_us'])} µs vs {_fmt(r['floor_us'])} µs = "
                     f"**{r['ratio']:.2f}x**", f"≤ {TARGETS['floor_ratio']}x",
                     _verdict(r["ratio"] <= TARGETS["floor_ratio"])])
    orq = sec.get("orquesta")
    if orq and not orq.get("skipped"):
        for r in orq["rows"]:
            if r["n"] == 1000 and "ratio" in r:
                target = TARGETS["orquesta_ratio"] if r["m"] == 100 else None
                rows.append([f"Orquesta 1.2.0 / Troupe, N = 1,000, M = {r['m']}, end to end",
                             f"{_fmt(r['orquesta_s'], 1)} s / {_fmt(r['troupe_s'] * 1e3)} ms = "
                             f"**{r['ratio']:,.0f}x**",
                             f"≥ {target:,.0f}x" if target else "–",
                             _verdict(r["ratio"] >= target) if target else "–"])
                if r["m"] == 100 and "fan_ratio" in r:
                    rows.append([f"the same, N = 1,000, M = {r['m']}, with-items task alone",
                                 f"{_fmt(r['orquesta_fan_s'], 1)} s / "
                                 f"{_fmt(r['troupe_fan_s'] * 1e3)} ms = "
                                 f"**{r['fan_ratio']:,.0f}x**", "–", "–"])
    wi = sec.get("with_items")
    if wi:
        ratio = wi["per_item_ratio_m100_m0"]
        n = max(ratio, key=int)
        rows.append([f"per item, M = 100 over M = 0 (N = {int(n):,})", f"**{ratio[n]:.2f}x**",
                     f"≤ {TARGETS['m100_over_m0']}x",
                     _verdict(ratio[n] <= TARGETS["m100_over_m0"])])
    tr = sec.get("trace")
    if tr:
        rows.append([f"trace on / off per item (N = {tr['n']:,})",
                     f"{_fmt(tr['on_us'])} / {_fmt(tr['off_us'])} µs = **{tr['ratio']:.2f}x**",
                     f"≤ {TARGETS['trace_ratio']}x",
                     _verdict(tr["ratio"] <= TARGETS["trace_ratio"])])
    mem = sec.get("memory")
    if mem:
        big = mem["rows"][-1]
        mib = big["beyond_results_kib"] / 1024
        rows.append([f"peak RSS growth beyond results, {big['n']:,} items, 1 MiB context",
                     f"**{mib:.1f} MiB**", f"< {TARGETS['memory_mib']:.0f} MiB",
                     _verdict(mib < TARGETS["memory_mib"])])
    lat = sec.get("latency")
    if lat:
        rows.append([f"transition latency, chain of {lat['k']:,} (action exit → next entry)",
                     f"median **{_fmt(lat['action']['median_us'])} µs**, p99 "
                     f"{_fmt(lat['action']['p99_us'])} µs (supervisor step alone: median "
                     f"{_fmt(lat['step']['median_us'])} µs, p99 {_fmt(lat['step']['p99_us'])} µs)",
                     "–", "–"])
    con = sec.get("concurrency")
    if con:
        rows.append([f"{con['workflows']} workflows × {con['items']} items at once",
                     f"{_fmt(con['items_per_s'])} items/s, {con['peak_threads']} threads at peak"
                     + (f" (worker limit {con['worker_limit']})" if con.get("worker_limit")
                        else ""),
                     "–", "–"])
    ctx = sec.get("context")
    if ctx:
        worst = max(ctx["max_over_min"].values())
        rows.append(["context hand-off / publish across M = 0…500, S = 1–10 KB",
                     f"largest/smallest **{worst:.2f}x**", f"≤ {TARGETS['context_flat']}x (flat)",
                     _verdict(worst <= TARGETS["context_flat"])])
    return _table(["what", "measured", "target", ""], rows, "llll")


# ---- README --------------------------------------------------------------------------------


def update_readme(res: dict[str, Any], path: Path = README) -> list[str]:
    """Rewrite the marked blocks; return the names of blocks that had no marker."""
    text = path.read_text(encoding="utf-8")
    missing = []
    for name, body in tables(res).items():
        pattern = re.compile(rf"(<!-- perf:{name} -->)\n.*?(<!-- /perf:{name} -->)", re.DOTALL)
        if not pattern.search(text):
            missing.append(name)
            continue
        text = pattern.sub(lambda m, body=body: f"{m.group(1)}\n{body}\n{m.group(2)}", text)
    path.write_text(text, encoding="utf-8")
    return missing


# ---- plots ---------------------------------------------------------------------------------


def plots(res: dict[str, Any]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    PLOTS.mkdir(parents=True, exist_ok=True)
    footer = (f"{machine_line(res['machine'])}; engine {res['machine'].get('engine_revision')}; "
              f"{res['started']}, 1-min load {res['loadavg']['start']:.1f}→"
              f"{res['loadavg']['end']:.1f} (shared machine: noisy). Medians of repeated fresh "
              "processes (see perf/README.md). Reproduce: python perf/run.py")
    sec = res["sections"]
    written = []

    def save(fig: Any, name: str, title: str) -> None:
        fig.suptitle(title, fontsize=11)
        fig.text(0.01, 0.01, footer, fontsize=6.5, color="0.35", ha="left", va="bottom",
                 wrap=True)
        fig.tight_layout(rect=(0, 0.05, 1, 0.95))
        target = PLOTS / name
        fig.savefig(target, dpi=110)
        plt.close(fig)
        written.append(target)

    ctx = sec.get("context")
    if ctx:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
        for ax, s in zip(axes, sorted({r["s"] for r in ctx["rows"]}), strict=False):
            rows = [r for r in ctx["rows"] if r["s"] == s]
            ms = [max(r["m"], 1) for r in rows]
            for key, label in (("task_us", "hand to task"), ("item_us", "hand to item"),
                               ("publish_us", "publish"), ("lookup_us", "ctx lookup"),
                               ("step_us", "machine step / item")):
                ax.plot(ms, [r[key] for r in rows], marker="o", label=label)
            ax.set_xscale("log")
            ax.set_xlabel("M completed tasks (0 plotted at 1)")
            ax.set_title(f"S = {_size(s)} per published result")
            ax.grid(True, alpha=0.3)
        axes[0].set_ylabel("µs per operation (median)")
        top = max(r[k] for r in ctx["rows"] for k in ("task_us", "item_us", "publish_us",
                                                      "lookup_us", "step_us"))
        axes[0].set_ylim(0, top * 1.45)
        for ax in axes:
            ax.legend(fontsize=7, loc="upper center", ncol=3)
        save(fig, "context_cost.png", "1. Context cost is flat in M and S")

    wi = sec.get("with_items")
    if wi:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        for m in sorted({r["m"] for r in wi["rows"]}):
            rows = [r for r in wi["rows"] if r["m"] == m]
            ns = [r["n"] for r in rows]
            ax1.plot(ns, [r["total_s"] for r in rows], marker="o", label=f"M = {m}")
            ax2.plot(ns, [r["per_item_us"] for r in rows], marker="o", label=f"M = {m}")
        ns = sorted({r["n"] for r in wi["rows"]})
        ref = next(r for r in wi["rows"] if r["m"] == 0 and r["n"] == ns[-1])
        ax1.plot(ns, [ref["total_s"] * n / ns[-1] for n in ns], ls="--", color="0.6",
                 label="linear")
        for ax in (ax1, ax2):
            ax.set_xscale("log")
            ax.set_xlabel("N items (concurrency 32, core.noop)")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        ax1.set_yscale("log")
        ax1.set_ylabel("total seconds (start_workflow → wait)")
        ax2.set_ylabel("engine µs per item (fan span / N)")
        ax2.set_yscale("log")
        save(fig, "with_items_scaling.png",
             "2. with-items: linear in N, per-item cost independent of M (S = 10 KB)")

    orq = sec.get("orquesta")
    if orq and orq.get("rows"):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for m, color in ((0, "tab:blue"), (100, "tab:red")):
            rows = [r for r in orq["rows"] if r["m"] == m and "troupe_s" in r]
            if not rows:
                continue
            ns = [r["n"] for r in rows]
            ax.plot(ns, [r["orquesta_s"] for r in rows], marker="s", color=color,
                    label=f"Orquesta 1.2.0, M = {m}")
            ax.plot(ns, [r["troupe_s"] for r in rows], marker="o", ls="--", color=color,
                    label=f"Troupe, M = {m}")
            for r in rows:
                ax.annotate(f"{r['ratio']:,.0f}x", (r["n"], r["orquesta_s"]),
                            textcoords="offset points", xytext=(4, 6), fontsize=8, color=color)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N items (concurrency 32), after M tasks publishing 10 KB each")
        ax.set_ylabel("total seconds")
        ax.grid(True, alpha=0.3, which="both")
        ax.legend(fontsize=8)
        save(fig, "orquesta_vs_troupe.png", "3. Same workflow, Orquesta 1.2.0 vs Troupe")

    lat = sec.get("latency")
    flo = sec.get("floor")
    if lat or flo:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        if lat:
            ax = axes[0]
            views = [(v, name) for v, name in (("step", "supervisor step"),
                                               ("spawn", "actor start"),
                                               ("handoff", "actor hop"),
                                               ("action", "action → action")) if v in lat]
            x = range(len(views))
            for key, offset, label in (("median_us", -0.2, "median"), ("p99_us", 0.2, "p99")):
                ax.bar([i + offset for i in x], [lat[v][key] for v, _ in views], width=0.4,
                       label=label)
            ax.set_xticks(list(x), [name for _, name in views])
            ax.set_ylabel("µs")
            ax.set_title(f"4. Transition latency, chain of {lat['k']:,}")
            ax.legend(fontsize=8)
            ax.grid(True, axis="y", alpha=0.3)
        if flo:
            ax = axes[1]
            ks = [r["k"] for r in flo["rows"]]
            x = range(len(ks))
            ax.bar([i - 0.27 for i in x], [r["floor_us"] for r in flo["rows"]], width=0.27,
                   color="tab:blue", label="pykka floor")
            ax.bar(list(x), [r["floor_us"] for r in flo["rows"]], width=0.27, color="tab:blue",
                   alpha=0.5)
            ax.bar(list(x), [r.get("machine_batched_us", r.get("machine_us", 0))
                             for r in flo["rows"]], width=0.27,
                   bottom=[r["floor_us"] for r in flo["rows"]], color="tab:green",
                   label="+ machine (advance_many, 16 per step)")
            ax.bar([i + 0.27 for i in x], [r["engine_us"] for r in flo["rows"]], width=0.27,
                   color="tab:orange", label="engine")
            for i, r in zip(x, flo["rows"], strict=True):
                ax.annotate(f"{r['ratio']:.2f}x", (i + 0.27, r["engine_us"]),
                            textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
            ax.set_xticks(list(x), [f"K = {k:,}" for k in ks])
            ax.set_ylabel("µs per item")
            ax.set_title("6. Engine vs pykka's own floor (window 32)")
            ax.legend(fontsize=8)
            ax.grid(True, axis="y", alpha=0.3)
        save(fig, "latency_and_floor.png", "Transition latency and per-item floor")

    con, mem, tr = sec.get("concurrency"), sec.get("memory"), sec.get("trace")
    if con or mem or tr:
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
        if con:
            ax = axes[0]
            ax.bar(["1 workflow", f"{con['workflows']} at once"],
                   [con["single_items_per_s"], con["items_per_s"]], color=["0.6", "tab:blue"])
            ax.set_ylabel("items per second")
            ax.set_title(f"5. {con['workflows'] * con['items']:,} items; "
                         f"peak {con['peak_threads']} threads", fontsize=9)
            ax.grid(True, axis="y", alpha=0.3)
        if mem:
            ax = axes[1]
            labels = [f"ctx {_size(r['ctx_bytes'])}" for r in mem["rows"]]
            ax.bar(labels, [r["beyond_results_kib"] / 1024 for r in mem["rows"]],
                   label="growth beyond results")
            ax.bar(labels, [r["results_kib"] / 1024 for r in mem["rows"]],
                   bottom=[r["beyond_results_kib"] / 1024 for r in mem["rows"]],
                   label="item results")
            ax.axhline(TARGETS["memory_mib"], color="tab:red", ls="--", label="30 MiB target")
            ax.set_ylabel("peak RSS growth, MiB")
            ax.set_title(f"7. Memory, {mem['rows'][0]['n']:,} items", fontsize=9)
            ax.legend(fontsize=7)
            ax.grid(True, axis="y", alpha=0.3)
        if tr:
            ax = axes[2]
            ax.bar(["trace=None", "trace=file", "level debug"],
                   [tr["off_us"], tr["info_us"], tr["debug_us"]],
                   color=["0.6", "tab:orange", "tab:red"])
            ax.axhline(tr["off_us"] * TARGETS["trace_ratio"], color="tab:red", ls="--",
                       label="2x target")
            ax.set_ylabel("engine µs per item")
            ax.set_title(f"Trace cost, {tr['n']:,} items: {tr['ratio']:.2f}x", fontsize=9)
            ax.legend(fontsize=7)
            ax.grid(True, axis="y", alpha=0.3)
        save(fig, "throughput_memory_trace.png", "Concurrency, memory and trace cost")
    return written
