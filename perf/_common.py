"""Shared helpers of the benchmarks: workflows, clocks, memory, machine facts, cells.

Every measurement runs in a *cell*: a fresh ``python perf/run.py --cell MODULE:FUNC`` subprocess
that prints one JSON object on its last stdout line (see :func:`run_cell`). Fresh processes
keep peak RSS (VmHWM) per cell honest and stop one benchmark's threads or garbage from
slowing the next.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

PERF = Path(__file__).resolve().parent
ROOT = PERF.parent
OUT = PERF / "out"
PLOTS = PERF / "plots"

KB = 1024


# ---- workflows ---------------------------------------------------------------------------


def chain_then_items(m: int, n: int | None, *, concurrency: int = 32,
                     action: str = "core.noop", item_input: str | None = None,
                     chain_action: str = "bench.blob", head: str = "") -> str:
    """Orquesta YAML: ``m`` chained tasks each publishing ``r_i = result()``, then a
    with-items task ``fan`` over ``range(n)`` (omitted when ``n`` is None)."""
    lines = ["version: 1.0"]
    if head:
        lines.append(head.rstrip("\n"))
    lines.append("tasks:")
    for i in range(m):
        nxt = f"t{i + 1}" if i + 1 < m else ("fan" if n is not None else None)
        lines += [f"  t{i}:", f"    action: {chain_action}", "    next:", "      - publish:",
                  f"          - r_{i}: '{{{{ result() }}}}'"]
        if nxt:
            lines.append(f"        do: {nxt}")
    if n is not None:
        lines += ["  fan:",
                  f"    with: {{items: '{{{{ range({n}) | list }}}}', concurrency: {concurrency}}}",
                  f"    action: {action}"]
        if item_input:
            lines.append(f"    input: {item_input}")
    return "\n".join(lines) + "\n"


def noop_chain(k: int, action: str = "core.noop") -> str:
    """Orquesta YAML: ``k`` tasks in a chain, no publishes."""
    lines = ["version: 1.0", "tasks:"]
    for i in range(k):
        lines += [f"  c{i}:", f"    action: {action}"]
        if i + 1 < k:
            lines += ["    next:", f"      - do: c{i + 1}"]
    return "\n".join(lines) + "\n"


def blob_action(size: int) -> Callable[[], str]:
    """An action returning a fresh ``size``-byte string (the same object every call)."""
    value = "x" * size

    def blob() -> str:
        return value

    return blob


# ---- clocks and statistics ---------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    data = list(values)
    return statistics.median(data) if data else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    data = sorted(values)
    if not data:
        return float("nan")
    rank = max(1, min(len(data), round(q / 100 * len(data) + 0.5)))
    return data[rank - 1]


def per_call_us(fn: Callable[[], Any], *, batch: int = 200, batches: int = 15) -> float:
    """Median over ``batches`` of the mean time of ``batch`` calls, in microseconds."""
    clock = time.perf_counter
    fn()
    results = []
    for _ in range(batches):
        start = clock()
        for _ in range(batch):
            fn()
        results.append((clock() - start) / batch * 1e6)
    return median(results)


_ACTOR_THREADS = ("Worker-", "WorkflowSupervisor-", "FloorWorker-", "FloorSupervisor-",
                  "Reaper-")


def join_actor_threads(timeout: float = 5.0) -> int:
    """Wait for the actor threads of finished executions to exit (they stop asynchronously
    after ``wait()`` returns); return how many are still alive. Called between measurements
    in one process so that one run's teardown does not overlap the next run. The idle
    workers the process's budget keeps for reuse are stopped first (each measurement starts
    cold, as before they were kept; ``diag_warm_runs.py`` measures the warm case)."""
    from actors.capacity import WORKERS

    WORKERS.stop_idle()
    deadline = time.monotonic() + timeout
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and thread.name.startswith(_ACTOR_THREADS):
            thread.join(max(0.0, deadline - time.monotonic()))
    return sum(1 for t in threading.enumerate() if t.name.startswith(_ACTOR_THREADS))


# ---- memory ------------------------------------------------------------------------------


def proc_status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in KiB."""
    fields: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return fields


# ---- machine -----------------------------------------------------------------------------


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    """Facts about the machine and the software, recorded with every result."""
    model = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "mem_gib": mem_gib,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "kernel": platform.release(),
        "pykka": _version("pykka"),
        "pyrsistent": _version("pyrsistent"),
        "jinja2": _version("Jinja2"),
        "structlog": _version("structlog"),
        "orquesta": _version("orquesta"),
        "switch_interval_ms": sys.getswitchinterval() * 1000,
        "engine_revision": engine_revision(),
    }


def engine_revision() -> str:
    """The checkout's commit, with ``+dirty`` when runtime/ or actors/ have local changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "runtime", "actors"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty.strip() else "")


def machine_line(info: dict[str, Any]) -> str:
    """One line naming the machine, for plot footers and tables."""
    return (f"{info['nproc']} CPUs ({info['cpu_model']}), Python {info['python']}, "
            f"pykka {info['pykka']}, pyrsistent {info['pyrsistent']}, jinja2 {info['jinja2']}")


def loadavg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


# ---- cells -------------------------------------------------------------------------------


class CellFailed(RuntimeError):
    """A cell subprocess crashed or timed out."""


def run_cell(target: str, params: dict[str, Any] | None = None, *,
             timeout: float = 900) -> dict[str, Any]:
    """Run ``module:function(**params)`` in a fresh interpreter and return its dict."""
    cmd = [sys.executable, str(PERF / "run.py"), "--cell", target,
           json.dumps(params or {})]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PERF), str(ROOT), env.get("PYTHONPATH", "")) if p)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=str(ROOT), check=False)
    except subprocess.TimeoutExpired as exc:
        raise CellFailed(f"{target} {params} timed out after {timeout} s") from exc
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise CellFailed(f"{target} {params} exited {proc.returncode}: {tail}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def cell_main(target: str, params_json: str) -> None:
    """Entry of a cell subprocess: call the function and print its JSON result."""
    import importlib
    import logging

    logging.basicConfig(level=logging.WARNING)
    module_name, _, func_name = target.partition(":")
    module = importlib.import_module(module_name)
    result = getattr(module, func_name)(**json.loads(params_json))
    print(json.dumps(result), flush=True)
    sys.stdout.flush()
    # Daemon actor threads may still be winding down: do not wait for them.
    os._exit(0)


def check_succeeded(results: Iterable[Any], what: str) -> list[str]:
    """Return failure strings for every execution result that did not succeed."""
    failures = []
    for result in results:
        if str(result.status) != "succeeded":
            errors = "; ".join(f"{e.task}: {e.message}" for e in result.errors[:3])
            failures.append(f"{what}: {result.status} ({errors})")
    return failures


def read_trace(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Parse a JSON-lines trace file; return (records, number of lines that did not parse).

    Unparsable lines are counted rather than fatal: a trace written concurrently by several
    actor threads can be damaged, and the benchmarks report that instead of crashing.
    """
    records: list[dict[str, Any]] = []
    bad = 0
    with open(path, "rb") as fh:
        for raw in fh:
            line = raw.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except (ValueError, UnicodeDecodeError):
                bad += 1
    return records, bad
