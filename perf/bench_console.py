"""12. The web console: a 10,000-item execution's page, time to interactive in Chromium.

Run on its own (perf/README.md, "The web console", is written by hand from what it prints)::

    python perf/bench_console.py             # 5 rounds, ~1 min
    python perf/bench_console.py --rounds 1  # smoke

In this process: an engine (SQLite store in a temporary directory) runs one workflow whose
with-items task has 10,000 items at concurrency 50; items from 5,000 on wait for an event,
so the execution is first measured running (5,000 done, 50 running, 4,950 waiting), then,
once released, finished. The daemon's app is served by uvicorn on a free loopback port, and
Debian's headless chromium (Playwright with ``executable_path``) opens the execution's page.

Each round serves a fresh app (an empty cache of progress logs, so the first visit pays the
journal's replay, as after a daemon restart) and visits the page twice (``first``, then
``again`` with the log cached). Figures (tests/console/measure.py): navigation start to the
page's ``troupe:interactive`` mark (task table rendered, controls bound), and a click on
Refresh to its redraw; and the CPU time this process (the daemon: engine, app, server)
spent over the visit, navigation to the Refresh's redraw (``daemon_cpu_ms``,
``time.process_time``: the browser runs in processes of its own), which on a loaded
machine says more than wall time. Medians
(and the spread) over the rounds, in milliseconds.

``--finished-only`` measures the finished execution only (no items held); ``--root PATH``
measures the engine of another checkout (e.g. the main branch, for a before/after pair
run interleaved).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = (Path(sys.argv[sys.argv.index("--root") + 1]).resolve() if "--root" in sys.argv[:-1]
        else Path(__file__).resolve().parent.parent)
"""The checkout whose engine is measured (``--root``; read before the imports below)."""
sys.path.insert(0, str(ROOT))

from runtime import Engine  # noqa: E402
from runtime.server import ServerSettings, create_app  # noqa: E402
from tests.console.conftest import CHROMIUM, open_page, serve  # noqa: E402
from tests.console.measure import CONCURRENCY, ITEMS, WIDE, Half, measure_page  # noqa: E402


def _round(engine: Engine, browser: Any, execution_id: str) -> dict[str, dict[str, Any]]:
    """A fresh app, the page visited twice."""
    app = create_app(engine, ServerSettings(workflows_dir=None, keepalive=5.0))
    app.state.troupe.ready = True
    url, stop = serve(app)
    try:
        figures = {}
        for visit in ("first", "again"):
            page, problems = open_page(browser)
            try:
                cpu = time.process_time()
                figures[visit] = measure_page(page, url, execution_id)
                figures[visit]["daemon_cpu_ms"] = (time.process_time() - cpu) * 1000
            finally:
                page.context.close()
            if problems.errors:
                raise RuntimeError(f"the page reported errors: {problems.errors}")
        return figures
    finally:
        stop()


def _summary(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for visit in ("first", "again"):
        for figure in ("interactive_ms", "refresh_click_ms", "daemon_cpu_ms"):
            values = [r[visit][figure] for r in rounds]
            out[f"{visit}/{figure}"] = {"median": round(statistics.median(values), 1),
                                        "min": round(min(values), 1),
                                        "max": round(max(values), 1)}
    out["nodes"] = rounds[-1]["first"]["nodes"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--finished-only", action="store_true")
    parser.add_argument("--root", help="the checkout whose engine is measured")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    half = Half(hold_from=ITEMS if args.finished_only else ITEMS // 2)
    results: dict[str, Any] = {"items": ITEMS, "rounds": args.rounds, "root": str(ROOT),
                               "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="tc", dir="/tmp") as work, \
            Engine(store=f"sqlite:///{work}/t.db", actions={"t.half": half}) as engine, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            execution_id = engine.start_workflow(WIDE, {"n": ITEMS}).execution_id
            if not args.finished_only:
                half.wait_held(CONCURRENCY)
                results["running"] = _summary(
                    [_round(engine, browser, execution_id) for _ in range(args.rounds)])
            half.opened.set()
            status = engine.get(execution_id).wait(timeout=300).status
            if status != "succeeded":
                raise RuntimeError(f"the execution ended {status}")
            results["finished"] = _summary(
                [_round(engine, browser, execution_id) for _ in range(args.rounds)])
        finally:
            half.opened.set()
            browser.close()
    results["load_after"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
