"""How fast the console's page of a 10,000-item execution becomes interactive, measured in
the browser through the Performance API (shared by tests/console/test_perf.py, which
records the figures, and perf/bench_console.py, which repeats them for perf/README.md).

The page marks ``troupe:interactive`` once its first render is done (the task table drawn,
the controls bound) and ``troupe:refreshed`` each time the Refresh button's handler has
fetched and redrawn the execution. Mark times are milliseconds from the navigation's start
(``performance.timeOrigin``), so the first figure includes the HTML, the modules, the API
call (the daemon replays the journal of an execution it has not read yet) and the render.

Misuse: the figures are for the record, never for an assertion (machines differ).
"""

from __future__ import annotations

import queue
import textwrap
import threading
from typing import Any

ITEMS = 10_000
CONCURRENCY = 50

WIDE = textwrap.dedent(f"""\
    version: 1.0
    input: [n]
    tasks:
      fan:
        with:
          items: i in {{{{ range(ctx().n) }}}}
          concurrency: {CONCURRENCY}
        action: t.half
        input: {{value: '{{{{ item("i") }}}}'}}
        next:
          - when: '{{{{ succeeded() }}}}'
            do: after
      after:
        action: core.noop
    """)


class Half:
    """Items below ``hold_from`` return at once; the others wait for :attr:`opened`."""

    def __init__(self, hold_from: int) -> None:
        self.hold_from = hold_from
        self.opened = threading.Event()
        self.held: queue.SimpleQueue[int] = queue.SimpleQueue()

    def __call__(self, value: Any) -> Any:
        index = int(value)
        if index >= self.hold_from:
            self.held.put(index)
            if not self.opened.wait(timeout=300):
                raise TimeoutError("never opened")
        return index

    def wait_held(self, count: int) -> None:
        for _ in range(count):
            self.held.get(timeout=120)


_INTERACTIVE = """() => new Promise((resolve) => {
  const seen = () => performance.getEntriesByName("troupe:interactive")[0];
  const done = () => {
    const nav = performance.getEntriesByType("navigation")[0];
    resolve({interactive_ms: seen().startTime,
             dom_content_loaded_ms: nav ? nav.domContentLoadedEventEnd : null,
             nodes: document.getElementsByTagName("*").length,
             rows: document.querySelectorAll("#tasks tr").length,
             bars: document.querySelectorAll("#tasks .bar").length});
  };
  if (seen()) { done(); return; }
  new PerformanceObserver((list, observer) => {
    if (list.getEntriesByName("troupe:interactive").length) { observer.disconnect(); done(); }
  }).observe({type: "mark"});
})"""

_CLICK = """() => new Promise((resolve) => {
  const started = performance.now();
  new PerformanceObserver((list, observer) => {
    const mark = list.getEntriesByName("troupe:refreshed")[0];
    if (mark) { observer.disconnect(); resolve(mark.startTime - started); }
  }).observe({type: "mark"});
  document.getElementById("btn-refresh").click();
})"""


def measure_page(page: Any, url: str, execution_id: str) -> dict[str, Any]:
    """Open the execution's page and measure it: navigation start to interactive, then a
    click on Refresh to its redraw (ms), and how many elements the page holds."""
    page.goto(f"{url}/#/executions/{execution_id}")
    figures: dict[str, Any] = page.evaluate(_INTERACTIVE)
    figures["refresh_click_ms"] = page.evaluate(_CLICK)
    return figures
