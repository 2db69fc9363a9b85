#!/usr/bin/env python
"""Run Troupe's benchmarks (perf/README.md tells what each one measures).

    python perf/run.py              # full: ~10-15 min; writes perf/out/results.json,
                                    # the tables of perf/README.md and perf/plots/*.png
    python perf/run.py --quick      # smoke: < 2 min, small sizes, 1 repeat; writes
                                    # perf/out/quick.json only; no orquesta/matplotlib needed
    python perf/run.py --report-only   # rebuild README tables and plots from results.json
    python perf/run.py --only floor,trace   # some sections (full sizes), no README update

Exit status 1 if any benchmark workflow did not succeed or a cell crashed.
Every measurement runs in a fresh subprocess (``--cell``, internal).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PERF_DIR = Path(__file__).resolve().parent
if str(PERF_DIR) not in sys.path:
    sys.path.insert(0, str(PERF_DIR))
if str(PERF_DIR.parent) not in sys.path:
    sys.path.insert(1, str(PERF_DIR.parent))

from _common import OUT, CellFailed, cell_main, loadavg, machine, run_cell  # noqa: E402

SECTIONS = ("context", "with_items", "languages", "orquesta", "latency", "concurrency",
            "floor", "memory", "trace")


def _log(message: str) -> None:
    print(f"[perf {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Runner:
    """Runs cells in subprocesses, counting them and collecting crashes."""

    def __init__(self) -> None:
        self.cells = 0
        self.crashes: list[str] = []

    def __call__(self, target: str, params: dict[str, Any], *, timeout: float = 900) -> Any:
        self.cells += 1
        started = time.perf_counter()
        result = run_cell(target, params, timeout=timeout)
        _log(f"  {target} {params} ({time.perf_counter() - started:.1f} s)")
        return result


def _failures(obj: Any) -> list[str]:
    found: list[str] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "failures" and isinstance(value, list):
                found += [str(v) for v in value]
            else:
                found += _failures(value)
    elif isinstance(obj, list):
        for value in obj:
            found += _failures(value)
    return found


def run_sections(names: list[str], quick: bool) -> dict[str, Any]:
    import bench_concurrency
    import bench_context
    import bench_floor
    import bench_latency
    import bench_memory
    import bench_orquesta
    import bench_with_items

    runner = Runner()
    sections: dict[str, Any] = {}
    crashes: list[str] = []
    plan = {
        "context": lambda: bench_context.run(runner, quick),
        "with_items": lambda: bench_with_items.run(runner, quick),
        "languages": lambda: bench_with_items.run_languages(runner, quick),
        "orquesta": lambda: bench_orquesta.run(
            runner, quick, sections.get("with_items", {}).get("rows", [])),
        "latency": lambda: bench_latency.run(runner, quick),
        "concurrency": lambda: bench_concurrency.run(runner, quick),
        "floor": lambda: bench_floor.run(runner, quick),
        "memory": lambda: bench_memory.run(runner, quick),
        "trace": lambda: bench_with_items.run_trace(runner, quick),
    }
    for name in names:
        _log(f"{name} ...")
        started = time.perf_counter()
        load = loadavg()
        try:
            sections[name] = plan[name]()
        except CellFailed as exc:
            crashes.append(f"{name}: {exc}")
            _log(f"{name} CRASHED: {exc}")
            continue
        sections[name]["seconds"] = time.perf_counter() - started
        sections[name]["loadavg_start"] = load
        if name == "orquesta" and sections[name].get("skipped"):
            _log(f"orquesta skipped: {sections[name]['skipped']}")
        _log(f"{name} done in {sections[name]['seconds']:.1f} s")
    return {"sections": sections, "crashes": crashes, "cells": runner.cells}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--cell"]:
        cell_main(argv[1], argv[2] if len(argv) > 2 else "{}")
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: small, 1 repeat")
    parser.add_argument("--only", help="comma-separated sections: " + ",".join(SECTIONS))
    parser.add_argument("--out", type=Path, help="results JSON path")
    parser.add_argument("--report-only", action="store_true",
                        help="rebuild README tables and plots from perf/out/results.json")
    parser.add_argument("--no-report", action="store_true",
                        help="full mode without touching README/plots")
    args = parser.parse_args(argv)

    if args.report_only:
        import _report

        path = args.out or OUT / "results.json"
        results = json.loads(path.read_text(encoding="utf-8"))
        missing = _report.update_readme(results)
        for png in _report.plots(results):
            _log(f"wrote {png}")
        if missing:
            _log(f"README has no block for: {', '.join(missing)}")
        return 0

    names = list(SECTIONS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = set(names) - set(SECTIONS)
        if unknown:
            parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    mode = "quick" if args.quick else "full"
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.perf_counter()
    load0 = loadavg()
    _log(f"{mode} run of {', '.join(names)}")
    run = run_sections(names, args.quick)
    results = {
        "mode": mode,
        "started": started_at,
        "duration_s": time.perf_counter() - t0,
        "loadavg": {"start": load0, "end": loadavg()},
        "machine": machine(),
        "cells": run["cells"],
        "sections": run["sections"],
    }
    results["failures"] = run["crashes"] + _failures(run["sections"])
    # JSON round trip: the report reads exactly what is stored
    results = json.loads(json.dumps(results))
    out = args.out or OUT / ("quick.json" if args.quick else
                             "results.json" if not args.only else "partial.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    _log(f"wrote {out} ({results['cells']} cells, {results['duration_s']:.0f} s)")
    full = not args.quick and not args.only and not args.no_report
    if full:
        import _report

        missing = _report.update_readme(results)
        for png in _report.plots(results):
            _log(f"wrote {png}")
        if missing:
            _log(f"README has no block for: {', '.join(missing)}")
    if results["failures"]:
        _log("FAILURES:\n  " + "\n  ".join(results["failures"]))
        return 1
    _log("every benchmark workflow succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
