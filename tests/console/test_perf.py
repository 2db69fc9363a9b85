"""A 10,000-item execution's console page in headless Chromium: its time to interactive and
a button's response, measured through the Performance API and recorded (the test's
output and ``console-perf.json`` in the artifacts), never asserted against a budget;
what is asserted is the page's shape: one row per task run and a bar, no per-item DOM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import Engine
from runtime.server import ServerSettings, create_app

from .conftest import open_page, serve
from .measure import CONCURRENCY, ITEMS, WIDE, Half, measure_page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def wide(tmp_path: Path) -> Iterator[tuple[str, Engine, Half]]:
    half = Half(hold_from=ITEMS // 2)
    with Engine(store=f"sqlite:///{tmp_path / 'troupe.db'}",
                actions={"t.half": half}) as engine:
        app = create_app(engine, ServerSettings(workflows_dir=None, keepalive=5.0))
        app.state.troupe.ready = True
        url, stop = serve(app)
        try:
            yield url, engine, half
        finally:
            half.opened.set()
            stop()


def test_a_10000_item_page_is_measured(wide: tuple[str, Engine, Half], browser: Any,
                                       artifacts: Path) -> None:
    url, engine, half = wide
    running = engine.start_workflow(WIDE, {"n": ITEMS}).execution_id
    half.wait_held(CONCURRENCY)  # half done, 50 running, the rest waiting
    figures: dict[str, Any] = {}
    for name in ("running", "finished"):
        if name == "finished":
            half.opened.set()
            assert engine.get(running).wait(timeout=240).status == "succeeded"
        for visit in ("first", "again"):
            page, problems = open_page(browser)
            try:
                measured = measure_page(page, url, running)
                assert problems.errors == []
            finally:
                page.context.close()
            figures[f"{name}/{visit}"] = measured
            # the shape, not the time: a row per task run, the items a bar
            assert measured["bars"] == 1 and measured["rows"] <= 2, measured
            assert measured["nodes"] < 400, measured
    for key, measured in figures.items():  # the test's output (pytest -rP shows it)
        print(f"console 10,000 items {key}: interactive {measured['interactive_ms']:.0f} ms, "
              f"Refresh click to redraw {measured['refresh_click_ms']:.0f} ms")
    (artifacts / "console-perf.json").write_text(json.dumps(figures, indent=2),
                                                 encoding="utf-8")
