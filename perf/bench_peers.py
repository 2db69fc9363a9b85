"""10. Durable peers: the same fan-out in Troupe, DBOS and Prefect 3, interleaved in one run.

Run on its own, in an environment that has the peers (``pip install -e '.[perf]'``; the
"Durable peers" section of perf/README.md is written by hand from what it prints)::

    python perf/bench_peers.py              # full: N = 1,000 and 10,000, ~14 min on 2 CPUs
    python perf/bench_peers.py --quick      # smoke: N = 50, 1 pass
    python perf/bench_peers.py --json perf/out/peers.json

The workload, in every system: a first step returning 10 KB, then N items that each return
their input (``i -> i``), their results gathered into one list in item order, which is
checked (``== list(range(N))``). Each cell is a fresh interpreter (``run.py --cell``) that
sets its system up, runs a small warm-up workflow of the same shape, then times one
workflow call to its result (end to end: for Troupe, YAML validation included).

Systems (the cells below):

- ``troupe_memory``: ``runtime.start_workflow`` (no store); the fan-out is a with-items task,
  concurrency 32, over a Python action declared ``@idempotent``.
- ``troupe_sqlite``: the same through ``runtime.Engine(store="sqlite:///<tmp>/troupe.db")``
  (WAL, ``synchronous=FULL``, the default; group commit at its defaults).
- ``dbos_steps``: a ``@DBOS.workflow()`` calling a ``@DBOS.step()`` for the first step and
  then one ``@DBOS.step()`` per item, in a loop. DBOS checkpoints every step's output in its
  system database before the workflow goes on: SQLite in a temp dir (DBOS sets no journal
  mode, so SQLite's rollback journal with ``synchronous=FULL``). Items run one after another:
  DBOS's cheapest durable form of this workload.
- ``dbos_queue``: DBOS's own concurrent fan-out (its queue tutorial): the workflow runs the
  first step, enqueues one child workflow per item (each calling the item step) on a queue
  registered with ``worker_concurrency=32`` and ``polling_interval_sec=0.01`` (the default
  1 s would bound it at 32 items per second), and gathers the handles' results.
- ``prefect``: a ``@flow`` calling a first ``@task``, then ``item.map(range(N))`` (the
  default ``ThreadPoolTaskRunner``) and ``[f.result() for f in futures]``. No
  ``PREFECT_API_URL``: Prefect 3 starts its ephemeral local API server (a subprocess, on
  SQLite at ``$PREFECT_HOME/prefect.db``; ``PREFECT_HOME`` is a temp dir). Result persistence
  at its default (``PREFECT_RESULTS_PERSIST_BY_DEFAULT`` unset: results are kept in memory,
  task-run states are recorded by the API server). Its logs are silenced
  (``PREFECT_LOGGING_LEVEL`` and ``PREFECT_SERVER_LOGGING_LEVEL`` = ``CRITICAL``); the
  server's start-up limit is raised to 180 s (``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS``;
  the default 20 s fails on a loaded 2-CPU machine).

Misuse: the peers' timings include nothing of their start-up (server, launch, migrations):
those happen before the warm-up. Per-item figures at small N are dominated by fixed costs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

PERF = Path(__file__).resolve().parent
sys.path[:0] = [str(PERF), str(PERF.parent)]

from _common import CellFailed, loadavg, machine, median, run_cell  # noqa: E402

KB10 = 10 * 1024
WARM_N = 8
SYSTEMS = ("troupe_memory", "troupe_sqlite", "dbos_steps", "dbos_queue", "prefect")
PEER_MODULES = {"dbos_steps": "dbos", "dbos_queue": "dbos", "prefect": "prefect"}


def fan_yaml(n: int) -> str:
    """Orquesta YAML of the workload: ``first`` (10 KB), then ``fan`` over range(n)."""
    return "\n".join([
        "version: 1.0",
        "tasks:",
        "  first:",
        "    action: peers.blob",
        "    next:",
        "      - publish: [{blob: '{{ result() }}'}]",
        "        do: fan",
        "  fan:",
        f"    with: {{items: '{{{{ range({n}) | list }}}}', concurrency: 32}}",
        "    action: peers.item",
        "    input: {i: '{{ item() }}'}",
        "    next:",
        "      - publish: [{results: '{{ result() }}'}]",
        "output:",
        "  - results: '{{ ctx(\"results\") }}'",
    ]) + "\n"


def _troupe_actions() -> dict[str, Callable[..., Any]]:
    from runtime.actions import idempotent

    value = "x" * KB10

    @idempotent
    def blob() -> str:
        return value

    @idempotent
    def item(i: int) -> int:
        return i

    return {"peers.blob": blob, "peers.item": item}


def _outcome(system: str, n: int, elapsed: float, results: Any) -> dict[str, Any]:
    ok = results == list(range(n))
    return {"system": system, "n": n, "elapsed_s": elapsed, "per_item_ms": elapsed / n * 1e3,
            "failures": [] if ok else [f"{system} n={n}: results not list(range(n))"]}


def troupe_memory(n: int) -> dict[str, Any]:
    from runtime import start_workflow

    actions = _troupe_actions()
    warm = start_workflow(fan_yaml(WARM_N), {}, actions=actions, entry_points=False).wait(60)
    assert warm.output["results"] == list(range(WARM_N)), warm.errors
    start = time.perf_counter()
    result = start_workflow(fan_yaml(n), {}, actions=actions, entry_points=False).wait(1800)
    elapsed = time.perf_counter() - start
    return _outcome("troupe_memory", n, elapsed, (result.output or {}).get("results"))


def troupe_sqlite(n: int) -> dict[str, Any]:
    from runtime import Engine

    directory = tempfile.mkdtemp(prefix="peers-troupe-")
    actions = _troupe_actions()
    with Engine(store=f"sqlite:///{directory}/troupe.db", entry_points=False,
                actions=actions) as engine:
        warm = engine.start_workflow(fan_yaml(WARM_N), {}).wait(60)
        assert warm.output["results"] == list(range(WARM_N)), warm.errors
        start = time.perf_counter()
        result = engine.start_workflow(fan_yaml(n), {}).wait(1800)
        elapsed = time.perf_counter() - start
        commits = engine.journal_stats().commits
    shutil.rmtree(directory, ignore_errors=True)
    out = _outcome("troupe_sqlite", n, elapsed, (result.output or {}).get("results"))
    out["commits"] = commits
    return out


def _dbos_launch(queue: bool) -> tuple[Callable[[int], list[int]], str]:
    """Define the workflows, launch DBOS on a SQLite file in a new temp dir (returned)."""
    from dbos import DBOS

    value = "x" * KB10

    @DBOS.step()
    def first() -> str:
        return value

    @DBOS.step()
    def item(i: int) -> int:
        return i

    @DBOS.workflow()
    def fan_steps(n: int) -> list[int]:
        first()
        return [item(i) for i in range(n)]

    @DBOS.workflow()
    def item_workflow(i: int) -> int:
        return item(i)

    @DBOS.workflow()
    def fan_queue(n: int) -> list[int]:
        first()
        handles = [DBOS.enqueue_workflow("fan", item_workflow, i) for i in range(n)]
        return [h.get_result() for h in handles]

    directory = tempfile.mkdtemp(prefix="peers-dbos-")
    url = f"sqlite:///{directory}/dbos.sqlite"
    DBOS(config={"name": "peers", "system_database_url": url, "log_level": "WARNING"})
    DBOS.launch()
    DBOS.register_queue("fan", worker_concurrency=32, polling_interval_sec=0.01)
    return (fan_queue if queue else fan_steps), directory


def _dbos(n: int, queue: bool) -> dict[str, Any]:
    from dbos import DBOS

    workflow, directory = _dbos_launch(queue)
    assert workflow(WARM_N) == list(range(WARM_N))
    start = time.perf_counter()
    results = workflow(n)
    elapsed = time.perf_counter() - start
    DBOS.destroy()
    shutil.rmtree(directory, ignore_errors=True)
    return _outcome("dbos_queue" if queue else "dbos_steps", n, elapsed, results)


def dbos_steps(n: int) -> dict[str, Any]:
    return _dbos(n, queue=False)


def dbos_queue(n: int) -> dict[str, Any]:
    return _dbos(n, queue=True)


def prefect(n: int) -> dict[str, Any]:
    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="peers-prefect-")
    for name in ("PREFECT_LOGGING_LEVEL", "PREFECT_SERVER_LOGGING_LEVEL"):
        os.environ[name] = "CRITICAL"
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["DO_NOT_TRACK"] = "1"
    # the server's start-up (~12 s here) has a 20 s limit by default: a loaded machine hits it
    os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
    for name in ("PREFECT_API_URL", "PREFECT_RESULTS_PERSIST_BY_DEFAULT"):
        os.environ.pop(name, None)
    from prefect import flow, task

    value = "x" * KB10

    @task
    def first() -> str:
        return value

    @task
    def item(i: int) -> int:
        return i

    @flow
    def fan(n: int) -> list[int]:
        first()
        return [future.result() for future in item.map(range(n))]

    assert fan(WARM_N) == list(range(WARM_N))
    start = time.perf_counter()
    results = fan(n)
    elapsed = time.perf_counter() - start
    out = _outcome("prefect", n, elapsed, results)
    out["prefect_home_db"] = (Path(os.environ["PREFECT_HOME"]) / "prefect.db").exists()
    _stop_prefect_server()
    shutil.rmtree(os.environ["PREFECT_HOME"], ignore_errors=True)
    return out


def _stop_prefect_server() -> None:
    """Stop the ephemeral API server: Prefect stops it at exit (``atexit``), but a cell ends
    with ``os._exit``, which would leave it running (and holding the cell's stdout open)."""
    from prefect.server.api.server import SubprocessASGIServer

    for server in list(SubprocessASGIServer._instances.values()):
        server.stop()


# ---- driver ------------------------------------------------------------------------------


def _log(message: str) -> None:
    print(f"[peers {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for dist in ("dbos", "prefect", "SQLAlchemy"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    import sqlite3

    found["sqlite"] = sqlite3.sqlite_version
    return found


def plan(sizes: list[int], passes: dict[int, dict[str, int]]) -> list[tuple[int, int, str]]:
    """(pass, n, system) in run order: every pass visits each size and system once (as far
    as that system's pass count reaches) before any is repeated."""
    most = max(count for by_system in passes.values() for count in by_system.values())
    return [(p, n, system) for p in range(most) for n in sizes for system in SYSTEMS
            if p < passes[n].get(system, 0)]


def _per_pass(cells: list[dict[str, Any]], n: int, peer: str, base: str) -> list[float]:
    """The ratio peer/base within each pass that measured both (same stretch of time)."""
    by_pass = {(c["pass"], c["system"]): c["per_item_ms"] for c in cells if c["n"] == n}
    return [by_pass[(p, peer)] / by_pass[(p, base)] for p, system in sorted(by_pass)
            if system == peer and (p, base) in by_pass]


def summarize(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Per size: each system's median per-item time and the peer/Troupe ratios, of the
    medians and within each pass."""
    table: dict[str, Any] = {}
    for n in sorted({c["n"] for c in cells}):
        row: dict[str, Any] = {}
        for system in SYSTEMS:
            times = [c["per_item_ms"] for c in cells if c["n"] == n and c["system"] == system]
            if times:
                row[system] = {"per_item_ms": median(times), "passes": len(times),
                               "each": times}
        for peer, base in (("dbos_steps", "troupe_sqlite"), ("dbos_queue", "troupe_sqlite"),
                           ("prefect", "troupe_memory"), ("prefect", "troupe_sqlite")):
            if peer in row and base in row:
                row[f"{peer}/{base}"] = row[peer]["per_item_ms"] / row[base]["per_item_ms"]
                row[f"{peer}/{base} per pass"] = _per_pass(cells, n, peer, base)
        table[str(n)] = row
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke: N = 50, 1 pass")
    parser.add_argument("--json", type=Path, help="write every cell and the summary here")
    args = parser.parse_args(argv)
    missing = sorted({m for m in PEER_MODULES.values() if importlib.util.find_spec(m) is None})
    if missing:
        _log(f"missing {', '.join(missing)}: pip install -e '.[perf]' (perf/README.md)")
        return 2
    if args.quick:
        sizes, passes = [50], {50: dict.fromkeys(SYSTEMS, 1)}
    else:
        sizes = [1000, 10000]
        passes = {1000: dict.fromkeys(SYSTEMS, 3),
                  10000: {**dict.fromkeys(SYSTEMS, 3), "dbos_queue": 1}}
    started, load0 = time.perf_counter(), loadavg()
    cells: list[dict[str, Any]] = []
    crashes: list[str] = []
    for p, n, system in plan(sizes, passes):
        t0 = time.perf_counter()
        try:
            cell = run_cell(f"bench_peers:{system}", {"n": n}, timeout=1800)
        except CellFailed as exc:
            crashes.append(str(exc))
            _log(f"pass {p + 1} n={n} {system} CRASHED: {exc}")
            continue
        cell["pass"] = p + 1
        cells.append(cell)
        _log(f"pass {p + 1} n={n} {system}: {cell['per_item_ms']:.4f} ms/item "
             f"({time.perf_counter() - t0:.1f} s with set-up)")
    report = {"machine": machine(), "versions": _versions(), "loadavg_start": load0,
              "loadavg_end": loadavg(), "duration_s": time.perf_counter() - started,
              "cells": cells, "crashes": crashes, "summary": summarize(cells)}
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    failures = [f for c in cells for f in c["failures"]]
    return 1 if failures or crashes else 0


if __name__ == "__main__":
    sys.exit(main())
