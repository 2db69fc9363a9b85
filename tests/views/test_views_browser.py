"""The console's three renderers (runtime/server/console/graph.js, actors.js, timeline.js)
in real headless Chromium: a test page served from 127.0.0.1 imports the modules and draws
JSON recorded from real runs (the graph of a workflow with a join and a loop, the actor tree
and the timeline of an execution with a with-items task and a sub-workflow); the SVG has a
node per task and an edge per transition, the tree nests, the timeline draws its rows, a
second render replaces the first, and the page logs no error.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright with ``executable_path`` (no
browser download); without it the test skips, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from runtime import start_workflow
from runtime.actor_view import WorkerView, live_node, trace_node
from runtime.driver import mock_outcomes, run_sync
from runtime.graph_view import graph_json
from runtime.spec import load_workflow
from runtime.trace.model import load_execution
from runtime.trace.timeline_groups import grouped_timeline
from runtime.trace.tree import build_tree
from tests.views.test_graph_view import JOIN_AND_LOOP

pytestmark = pytest.mark.timeout(120)

CHROMIUM = "/usr/bin/chromium"
CONSOLE = Path(__file__).resolve().parents[2] / "runtime" / "server" / "console"

MAIN = textwrap.dedent("""\
    version: 1.0
    tasks:
      fan:
        with:
          items: i in {{ range(6) }}
          concurrency: 2
        action: core.noop
        next: [{do: call}]
      call:
        action: child.yaml
    """)
CHILD = textwrap.dedent("""\
    version: 1.0
    tasks:
      inner:
        action: core.noop
    """)

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>views</title>
<link rel="icon" href="data:,"></head><body>
<section id="graph"></section><section id="actors"></section><section id="timeline"></section>
<section id="big"></section><section id="live"></section>
<script type="module">
import { renderGraph } from "/console/graph.js";
import { renderActors } from "/console/actors.js";
import { renderTimeline } from "/console/timeline.js";
const get = async (name) => (await fetch(`/data/${name}.json`)).json();
const [graph, actors, timeline, big, live] = await Promise.all([
  get("graph"), get("actors"), get("timeline"), get("big"), get("live")]);
renderGraph(document.getElementById("big"), big);
renderActors(document.getElementById("live"), live);
for (let i = 0; i < 2; i++) {  // a second call replaces the first drawing
  renderGraph(document.getElementById("graph"), graph);
  renderActors(document.getElementById("actors"), actors);
  renderTimeline(document.getElementById("timeline"), timeline);
}
document.title = "rendered";
</script></body></html>
"""


def _chromium() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing under CI (.ci/run installs Debian's chromium)")
    pytest.skip("chromium is not installed (CI installs Debian's chromium in .ci/run)")


def _recorded(tmp_path: Path) -> dict[str, Any]:
    """The three views' JSON, from real runs."""
    defn = load_workflow(JOIN_AND_LOOP)
    graph = graph_json(defn, run_sync(defn, action=mock_outcomes({})).state)
    (tmp_path / "main.yaml").write_text(MAIN, encoding="utf-8")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    trace = tmp_path / "run.jsonl"
    handle = start_workflow(tmp_path / "main.yaml", trace=trace)
    assert str(handle.wait(timeout=30).status) == "succeeded"
    supervisor = handle._supervisor  # its end writes the trace's last lines
    assert supervisor.actor_stopped.wait(30)
    tree = build_tree(load_execution(str(trace), None, item_details=True))
    actors = trace_node(tree)
    assert {n["status"] for n in _walk(actors) if n["kind"] != "item"} == {"succeeded"}
    big = load_workflow(_two_hundred())
    fan = load_workflow(MAIN.replace("child.yaml", "core.noop"))
    state = run_sync(fan, action=mock_outcomes({})).state
    workers = [WorkerView(run=0, item=i, path=f"wf/fan@0/w{i}", mailbox=i) for i in range(2)]
    live = live_node(state, kind="supervisor", workflow="main", mailbox=3, workers=workers,
                     waiting={0: 4}, subs={})
    return {"live": {"live": True, "root": live}, "graph": graph,
            "actors": {"live": False, "root": actors},
            "timeline": grouped_timeline(tree),
            "big": graph_json(big, run_sync(big, action=mock_outcomes({})).state)}


def _two_hundred() -> str:
    """201 tasks: a start fanning out to ten chains of twenty, each chain's tenth task also
    leading to the next chain's eleventh, a join of two (splits, joins, long layers)."""
    lines = ["version: 1.0", "tasks:", "  start:", "    action: core.noop", "    next:",
             "      - do: [" + ", ".join(f"c{c}_1" for c in range(10)) + "]"]
    for chain in range(10):
        for step in range(1, 21):
            lines += [f"  c{chain}_{step}:", "    action: core.noop"]
            targets = [f"c{chain}_{step + 1}"] if step < 20 else []
            if step == 10 and chain < 9:
                targets.append(f"c{chain + 1}_11")
            if step == 11 and chain > 0:
                lines.append("    join: 2")
            if targets:
                lines += ["    next:", f"      - do: [{', '.join(targets)}]"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    data = _recorded(tmp_path)
    files = {"/": ("text/html", PAGE.encode())}
    files.update({f"/data/{name}.json": ("application/json", json.dumps(body).encode())
                  for name, body in data.items()})
    for path in CONSOLE.iterdir():
        kind = "text/javascript" if path.suffix == ".js" else "text/css"
        files[f"/console/{path.name}"] = (kind, path.read_bytes())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = files.get(self.path)
            if found is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", found[0])
            self.send_header("Content-Length", str(len(found[1])))
            self.end_headers()
            self.wfile.write(found[1])

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads the browser, not the access log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", data
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node["children"] for n in _walk(child))]


def _artifacts(tmp_path: Path) -> Path:
    """Where the screenshot goes: ``$TROUPE_ARTIFACTS/views/``, else the test's tmp_path."""
    base = os.environ.get("TROUPE_ARTIFACTS")
    directory = Path(base) / "views" if base else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_the_three_views_draw_in_chromium(site: tuple[str, dict[str, Any]],
                                          tmp_path: Path) -> None:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    url, data = site
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(url)
            page.wait_for_function("document.title === 'rendered'", timeout=30_000)
            _check_graph(page, data["graph"])
            _check_actors(page, data["actors"])
            _check_timeline(page, data["timeline"])
            _check_big(page, data["big"])
            badges = page.eval_on_selector_all("#live .mailbox", "bs => bs.map(b => b.textContent)")
            assert badges == ["mailbox 3", "mailbox 0", "mailbox 1"]
            assert "4 waiting for a worker" in page.locator("#live .items").inner_text()
            page.screenshot(path=str(_artifacts(tmp_path) / "views.png"), full_page=True)
            for section in ("graph", "actors", "timeline"):  # drawn, not empty boxes
                box = page.locator(f"#{section}").bounding_box()
                assert box is not None and box["width"] > 600 and box["height"] > 100
        finally:
            browser.close()
    assert problems == []


def _check_graph(page: Any, graph: dict[str, Any]) -> None:
    assert page.locator("#graph svg").count() == 1
    names = page.eval_on_selector_all("#graph svg g.node", "gs => gs.map(g => g.dataset.task)")
    assert sorted(names) == sorted(n["name"] for n in graph["nodes"])
    pairs = page.eval_on_selector_all(
        "#graph svg path.edge", "ps => ps.map(p => [p.dataset.from, p.dataset.to])")
    assert sorted(map(tuple, pairs)) == sorted((e["from"], e["to"]) for e in graph["edges"])
    assert page.locator("#graph path.edge.loop").count() == 1
    assert page.locator("#graph g.node.join .join-badge").count() == 1
    assert page.locator("#graph path.edge.taken").count() == sum(
        e["taken"] for e in graph["edges"])
    colour = page.eval_on_selector("#graph g.node[data-task='both'] rect.box",
                                   "r => r.getAttribute('fill')")
    assert colour == "#16a34a"  # succeeded


def _check_actors(page: Any, actors: dict[str, Any]) -> None:
    nodes = _walk(actors["root"])
    assert page.locator("#actors li.actor").count() == len(nodes)
    deepest = page.locator("#actors li.actor li.actor li.actor li.actor")
    assert deepest.count() >= 1  # supervisor > call > sub-workflow > inner
    assert page.locator("#actors li[data-kind='subworkflow']").count() == 1
    assert page.locator("#actors li[data-kind='item']").count() == sum(
        n["kind"] == "item" for n in nodes) >= 1
    toggle = page.locator("#actors li[data-kind='subworkflow'] > .actor-line .toggle")
    toggle.click()
    assert page.locator("#actors li[data-kind='subworkflow'] > ul").is_hidden()


def _check_timeline(page: Any, timeline: dict[str, Any]) -> None:
    rows = page.locator("#timeline .tl-rows > .tl-row")
    assert rows.count() == len(timeline["rows"])
    assert page.locator("#timeline .tl-rows > .tl-row .tl-bar").count() == len(timeline["rows"])
    lanes = page.locator("#timeline .tl-lanes")
    assert lanes.count() == 1 and lanes.is_hidden()
    page.locator("#timeline .tl-items .toggle").click()
    assert lanes.is_visible()
    [grouped] = [r for r in timeline["rows"] if r["items"] is not None]
    assert page.locator("#timeline .tl-lane").count() == len(grouped["items"]["lanes"])
    assert page.locator("#timeline .tl-lane .tl-bar").count() == sum(
        len(lane["spans"]) for lane in grouped["items"]["lanes"])


def _check_big(page: Any, graph: dict[str, Any]) -> None:
    """200 tasks: every node drawn, none overlapping another (readable, if scrolled)."""
    boxes = page.eval_on_selector_all(
        "#big svg g.node rect.box",
        "rs => rs.map(r => { const b = r.getBoundingClientRect();"
        " return [b.left, b.top, b.right, b.bottom]; })")
    assert len(boxes) == len(graph["nodes"]) == 201
    boxes.sort()
    for index, (_left, top, right, bottom) in enumerate(boxes):
        for other in boxes[index + 1:]:
            if other[0] >= right:
                break
            assert other[1] >= bottom or other[3] <= top, "two task boxes overlap"
