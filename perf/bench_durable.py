"""9. Durable executions: what the journal costs, how much group commit saves, recovery.

Run on its own (it writes the "Durable executions" section of perf/README.md by hand from
what it prints)::

    python perf/bench_durable.py            # full: ~3-5 min
    python perf/bench_durable.py --quick    # smoke: small sizes, 1 pass

Cells, each in a fresh interpreter (``run.py --cell``):

- ``with_items``: one with-items task of N ``core.noop`` items (concurrency 32) run in
  memory (``start_workflow``) and through an Engine on each store (memory, SQLite FULL,
  SQLite NORMAL, PostgreSQL when ``ENGINE_TEST_PG_DSN`` is set), alternating in one
  process; per-item time, commits and entries written.
- ``commit_per_event``: the same on SQLite FULL with group commit against a store that
  writes every entry in a transaction of its own (the baseline: one commit per event):
  commits per 1,000 events, and per-item time.
- ``concurrent``: 50 executions of 200 items at once on one SQLite file: items/s, the p99
  of append-to-commit waits, failed batches ("database is locked" would be one).
- ``sweep``: the group-commit settings (window x batch size) under 20 executions of 200
  items at once on SQLite FULL: items/s and p99 commit wait (the defaults come from here).
- ``recovery``: 1,000 executions of ~100 events each written to a SQLite file and left
  unfinished; a new engine's ``recover()`` until every one is running again (and then
  until all finished).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PERF = Path(__file__).resolve().parent
sys.path[:0] = [str(PERF), str(PERF.parent)]

from _common import chain_then_items, check_succeeded, median, run_cell  # noqa: E402

STORES = ("memory", "sqlite_full", "sqlite_normal", "postgresql")


def _url(kind: str, directory: str) -> str | None:
    if kind == "memory":
        return "memory://"
    if kind == "sqlite_full":
        return f"sqlite:///{directory}/full.db"
    if kind == "sqlite_normal":
        return f"sqlite:///{directory}/normal.db?synchronous=normal"
    dsn = os.environ.get("ENGINE_TEST_PG_DSN")
    return dsn if dsn and "://" in dsn else (f"postgresql:///?{dsn.replace(' ', '&')}"
                                             if dsn else None)


def _engine_run(url: str, text: str, group: Any = None) -> tuple[float, Any, Any]:
    from runtime import Engine

    with Engine(store=url, entry_points=False, group_commit=group) as engine:
        engine.start_workflow(chain_then_items(0, 8), {}).wait(60)
        start = time.perf_counter()
        result = engine.start_workflow(text, {}).wait(600)
        elapsed = time.perf_counter() - start
        stats = engine.journal_stats()
    return elapsed, result, stats


def with_items(n: int, passes: int) -> dict[str, Any]:
    from runtime import start_workflow

    text = chain_then_items(0, n)
    start_workflow(chain_then_items(0, 8), {}, entry_points=False).wait(60)
    directory = tempfile.mkdtemp()
    kinds = [k for k in STORES if _url(k, directory) is not None]
    times: dict[str, list[float]] = {"none": [], **{k: [] for k in kinds}}
    commits: dict[str, int] = {}
    failures: list[str] = []
    for _ in range(passes):
        start = time.perf_counter()
        result = start_workflow(text, {}, entry_points=False).wait(600)
        times["none"].append(time.perf_counter() - start)
        failures += check_succeeded([result], "in memory")
        for kind in kinds:
            url = _url(kind, directory)
            assert url is not None
            elapsed, result, stats = _engine_run(url, text)
            times[kind].append(elapsed)
            commits[kind] = stats.commits
            failures += check_succeeded([result], kind)
    per_item = {k: median(v) / n * 1e6 for k, v in times.items()}
    return {"n": n, "per_item_us": per_item,
            "ratio": {k: per_item[k] / per_item["none"] for k in per_item},
            "commits": commits, "failures": failures}


class _CommitPerEvent:
    """A store that writes every entry of a batch in a transaction of its own (the
    baseline: one commit per event); it counts its transactions."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.url = inner.url
        self.transactions = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def write(self, batch: Any) -> None:
        from runtime.store import Batch

        self.inner.write(Batch(executions=batch.executions, updates=batch.updates))
        self.transactions += 1
        for entry in batch.entries:
            self.inner.write(Batch(entries=(entry,)))
            self.transactions += 1


def commit_per_event(n: int) -> dict[str, Any]:
    from runtime import Engine
    from runtime.store import open_store

    text = chain_then_items(0, n)
    directory = tempfile.mkdtemp()
    out: dict[str, Any] = {"n": n, "failures": []}
    for name in ("group", "per_event"):
        store: Any = open_store(f"sqlite:///{directory}/{name}.db")
        if name == "per_event":
            store = _CommitPerEvent(store)
        with Engine(store=store, entry_points=False) as engine:
            engine.start_workflow(chain_then_items(0, 8), {}).wait(60)
            before = engine.journal_stats()
            start = time.perf_counter()
            result = engine.start_workflow(text, {}).wait(600)
            elapsed = time.perf_counter() - start
            stats = engine.journal_stats()
        entries = stats.entries - before.entries
        commits = (store.transactions if name == "per_event" else stats.commits) - (
            0 if name == "per_event" else before.commits)
        out["failures"] += check_succeeded([result], name)
        out[name] = {"per_item_us": elapsed / n * 1e6, "commits": commits, "entries": entries,
                     "commits_per_1000_events": commits / max(entries, 1) * 1000}
    out["fewer_commits"] = (out["per_event"]["commits_per_1000_events"]
                            / max(out["group"]["commits_per_1000_events"], 1e-9))
    out["throughput_ratio"] = (out["per_event"]["per_item_us"]
                               / max(out["group"]["per_item_us"], 1e-9))
    return out


def _at_once(url: str, workflows: int, text: str, group: Any = None
             ) -> tuple[float, list[Any], Any]:
    """Start ``workflows`` executions of ``text`` at once on ``url``: (seconds until all
    ended, their results, the journal's stats)."""
    from runtime import Engine

    with Engine(store=url, entry_points=False, group_commit=group) as engine:
        engine.start_workflow(chain_then_items(0, 8), {}).wait(60)
        start = time.perf_counter()
        handles = [engine.start_workflow(text, {}) for _ in range(workflows)]
        results = [h.wait(600) for h in handles]
        elapsed = time.perf_counter() - start
        stats = engine.journal_stats()
    return elapsed, results, stats


def concurrent(workflows: int, items: int) -> dict[str, Any]:
    directory = tempfile.mkdtemp()
    elapsed, results, stats = _at_once(f"sqlite:///{directory}/c.db", workflows,
                                       chain_then_items(0, items))
    waits = sorted(stats.waits)
    return {"workflows": workflows, "items": items,
            "items_per_s": workflows * items / elapsed,
            "p99_commit_ms": waits[int(len(waits) * 0.99)] * 1e3 if waits else 0.0,
            "median_commit_ms": median(waits) * 1e3 if waits else 0.0,
            "failed_batches": stats.failed, "commits": stats.commits,
            "failures": check_succeeded(results, "concurrent")}


def sweep(n: int, workflows: int, windows: list[float], sizes: list[int]) -> dict[str, Any]:
    """Group-commit settings against the load they are for: ``workflows`` executions of
    ``n`` items at once on SQLite FULL; per setting, items/s and the p99 commit wait."""
    from actors.journal import GroupCommit

    directory = tempfile.mkdtemp()
    text = chain_then_items(0, n)
    rows = []
    failures: list[str] = []
    for window in windows:
        for size in sizes:
            elapsed, results, stats = _at_once(
                f"sqlite:///{directory}/w{window}-m{size}.db", workflows, text,
                GroupCommit(window=window, max_entries=size))
            failures += check_succeeded(results, f"sweep {window} {size}")
            waits = sorted(stats.waits)
            rows.append({"window_ms": window * 1e3, "max_entries": size,
                         "items_per_s": workflows * n / elapsed,
                         "p99_commit_ms": waits[int(len(waits) * 0.99)] * 1e3,
                         "entries_per_commit": stats.entries / max(stats.commits, 1)})
    return {"n": n, "workflows": workflows, "rows": rows, "failures": failures}


def recovery(executions: int, items: int) -> dict[str, Any]:
    from runtime import Engine

    directory = tempfile.mkdtemp()
    url = f"sqlite:///{directory}/r.db"
    text = (f"version: 1.0\ntasks:\n  fan:\n    with: {{items: '{{{{ range({items}) | list }}}}', "
            f"concurrency: {items}}}\n    action: core.noop\n  wait:\n    delay: 3600\n"
            "    action: core.noop\n")
    engine = Engine(store=url, entry_points=False)
    handles = [engine.start_workflow(text, {}) for _ in range(executions)]
    # every execution journals its items, then waits on its delay timer: stop it there
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        rows = engine.list(status="running", limit=executions + 1).executions
        stats = engine.journal_stats()
        if len(rows) == executions and stats.entries >= executions * (items + 2):
            break
        time.sleep(0.05)
    engine.close(drain_timeout=0)
    del handles
    start = time.perf_counter()
    with Engine(store=url, entry_points=False) as again:
        recovered = again.recover()
        running = time.perf_counter() - start
        for handle in recovered:
            handle.cancel("benchmark over")
        results = [h.wait(120) for h in recovered]
    return {"executions": executions, "events_each": items + 2,
            "recovered": len(recovered), "seconds_to_running": running,
            "per_execution_ms": running / max(len(recovered), 1) * 1e3,
            "failures": [f"{r.execution_id}: {r.status}" for r in results
                         if str(r.status) != "canceled"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    quick = args.quick
    report = {
        "with_items": run_cell("bench_durable:with_items",
                               {"n": 1000 if quick else 10_000, "passes": 1 if quick else 3}),
        "commit_per_event": run_cell("bench_durable:commit_per_event",
                                     {"n": 1000 if quick else 10_000}),
        "concurrent": run_cell("bench_durable:concurrent",
                               {"workflows": 5 if quick else 50, "items": 200}),
        "sweep": run_cell("bench_durable:sweep", {
            "n": 200, "workflows": 5 if quick else 20,
            "windows": [0.004] if quick else [0.001, 0.004, 0.01, 0.02],
            "sizes": [512] if quick else [128, 512, 2048]}),
        "recovery": run_cell("bench_durable:recovery",
                             {"executions": 20 if quick else 1000, "items": 98}),
    }
    import json

    print(json.dumps(report, indent=2))
    failures = [f for section in report.values() for f in section.get("failures", [])]
    if failures:
        print("FAILURES:", *failures, sep="\n  ", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
