"""The web console's files and the endpoints it adds: ``/`` and ``/console/...`` served from
package data without a token (the API still needs it), ``/console/features.json``, a
workflow's text, the list's counts, and ``GET /api/v1/events`` live through uvicorn."""

from __future__ import annotations

import configparser
import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from runtime import Engine
from runtime.server import create_app
from runtime.server.pages import CONSOLE, FEATURES, MODULES

from .conftest import Gate, settings_for
from .test_events import parse_sse
from .test_uvicorn import TOKEN, served  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def guarded(engine: Engine, workflows_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(engine, settings_for(workflows_dir, tmp_path, token=TOKEN))
    app.state.troupe.ready = True
    with TestClient(app) as made:
        yield made


def test_the_page_and_its_modules_need_no_token_but_the_api_does(guarded: TestClient) -> None:
    page = guarded.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert '<script type="module" src="/console/app.js">' in page.text
    linked = re.findall(r'(?:href|src)="(/console/[^"]+)"', page.text)
    assert len(linked) >= 5
    for path in {*linked, "/console/validate.js"}:
        answer = guarded.get(path)
        assert answer.status_code == 200, path
    assert guarded.get("/console/app.js").headers["content-type"].startswith("text/javascript")
    assert guarded.get("/console/missing.js").json()["error"]["code"] == "not_found"
    assert guarded.get("/api/v1/executions").status_code == 401
    assert guarded.get("/api/v1/events").status_code == 401
    not_a_stream = guarded.get("/api/v1/events", headers={"Authorization": f"Bearer {TOKEN}"})
    assert not_a_stream.status_code == 406
    assert not_a_stream.json()["error"]["code"] == "not_acceptable"
    assert guarded.post("/console/app.js").status_code in {401, 405}
    features = guarded.get("/console/features.json").json()
    assert features["token_required"] is True and features["page_limit"] == 100
    assert set(features["modules"]) == set(MODULES)
    assert set(features["routes"]) == set(FEATURES)
    assert features["modules"]["graph"] == (CONSOLE / "graph.js").is_file()


def test_the_console_files_ship_as_package_data() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    patterns = [p.strip() for p in config["options.package_data"]["runtime"].split(",")]
    for path in CONSOLE.iterdir():
        relative = f"server/console/{path.name}"
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_no_file_of_the_console_reaches_the_network() -> None:
    """No URL but SVG's namespace name, no EventSource (it cannot send the token)."""
    for path in CONSOLE.iterdir():
        text = path.read_text(encoding="utf-8").replace('"http://www.w3.org/2000/svg"', "")
        assert "http://" not in text and "https://" not in text, path.name
        assert "EventSource" not in text.replace("(EventSource cannot", ""), path.name


def test_a_workflow_text_for_the_validation_page(client: TestClient, workflows_dir: Path) -> None:
    answer = client.get("/api/v1/workflows/broken").json()
    assert answer == {"name": "broken", "file": "broken.yaml",
                      "text": (workflows_dir / "broken.yaml").read_text(encoding="utf-8")}
    for bad in ("nothere", "..%2Fsetup.cfg", ".hidden"):
        assert client.get(f"/api/v1/workflows/{bad}").status_code == 404, bad


def test_the_list_replays_a_finished_execution_once_for_its_counts(
        client: TestClient, gate: Gate) -> None:
    gate.opened.set()
    started = client.post("/api/v1/executions", json={"workflow": "gated",
                                                      "parameters": {"n": 3}}).json()
    state = client.app.state.troupe  # type: ignore[attr-defined]
    state.engine.get(started["id"]).wait(timeout=30)
    first = client.get("/api/v1/executions").json()["items"]
    expected = {"tasks": 1, "tasks_done": 1,
                "items": {"total": 3, "done": 3, "failed": 0, "running": 0}}
    assert first[0]["counts"] == expected and first[0]["status"] == "succeeded"
    state.logs.logs.clear()  # the log left the cache (as after many others were read)
    refreshed = state.logs.refreshed

    async def never(row: Any) -> Any:
        raise AssertionError(f"replayed {row.id} again")

    state.logs.refreshed = never
    try:
        again = client.get("/api/v1/executions").json()["items"]
    finally:
        state.logs.refreshed = refreshed
    assert again == first


def _messages(stream: httpx.Response) -> Iterator[dict[str, Any]]:
    buffer = ""
    for chunk in stream.iter_text():
        buffer += chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            yield from parse_sse(block + "\n\n")


def _until(messages: Iterator[dict[str, Any]], wanted: Any) -> dict[str, Any]:
    for message in messages:
        if wanted(message):
            return message
    raise AssertionError("the stream ended first")


def test_the_feed_tells_a_new_execution_and_its_end(served: str, gate: Gate) -> None:  # noqa: F811
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=served, headers=auth, timeout=20) as client, \
            client.stream("GET", "/api/v1/events",
                          headers={"Accept": "text/event-stream"}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        messages = _messages(stream)
        _until(messages, lambda m: m.get("comment") == "ready")
        started = client.post("/api/v1/executions", json={"workflow": "gated",
                                                           "parameters": {"n": 2}}).json()
        mine = _until(messages, lambda m: m.get("event") == "execution"
                      and m["data"]["id"] == started["id"])["data"]
        assert mine["workflow"] == "gated" and mine["status"] in {"requested", "running"}
        gate.wait_entered(2)
        gate.opened.set()
        done = _until(messages, lambda m: m.get("event") == "execution"
                      and m["data"]["id"] == started["id"]
                      and m["data"]["status"] == "succeeded")["data"]
        assert done["counts"] == {"tasks": 1, "tasks_done": 1,
                                  "items": {"total": 2, "done": 2, "failed": 0, "running": 0}}
        assert done["finished_at"] is not None
