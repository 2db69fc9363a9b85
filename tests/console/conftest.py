"""Fixtures of the console's browser tests: a real daemon app on uvicorn (127.0.0.1, a free
port), actions the tests step item by item, and headless Chromium (Debian's, driven by
Playwright with ``executable_path``: no browser download) whose pages fail the test on any
console error or uncaught exception.

Without chromium the tests skip, except under ``CI=true`` (``.ci/run`` installs it), where
they fail. Screenshots go to ``$TROUPE_ARTIFACTS/console/`` (else the test's tmp_path).
"""

from __future__ import annotations

import asyncio
import base64
import os
import queue
import shutil
import socket
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from runtime import Engine
from runtime.server import ServerSettings, create_app

CHROMIUM = "/usr/bin/chromium"
TOKEN = "console-token"

STEPPED = textwrap.dedent("""\
    version: 1.0
    input: [n]
    tasks:
      fan:
        with:
          items: i in {{ range(ctx().n) }}
          concurrency: 1
        action: t.step
        input: {value: '{{ item("i") }}'}
        next:
          - when: '{{ succeeded() }}'
            do: after
      after:
        action: core.noop
    """)

QUICK = textwrap.dedent("""\
    version: 1.0
    tasks:
      only:
        action: core.noop
    """)

FLAKY = textwrap.dedent("""\
    version: 1.0
    tasks:
      first:
        action: core.noop
        next:
          - when: '{{ succeeded() }}'
            do: flaky
      flaky:
        action: t.flip
    """)

ASK = textwrap.dedent("""\
    version: 1.0
    tasks:
      approve:
        action: core.ask
        input:
          schema:
            type: object
            properties: {approved: {type: boolean}}
            required: [approved]
        next:
          - when: '{{ succeeded() }}'
            publish: [answer: '{{ result().response }}']
    output:
      - answer: '{{ ctx("answer") }}'
    """)

SECRET = textwrap.dedent("""\
    version: 1.0
    input:
      - password: {secret: true}
      - user
    tasks:
      only:
        action: core.noop
    """)

BROKEN = "version: 1.0\ntasks:\n  a:\n    action: core.noop\n    next: [{do: nowhere}]\n"


class Steps:
    """An action whose item ``i`` returns once the test releases ``i`` (threading.Event)."""

    def __init__(self, size: int = 64) -> None:
        self.gates = [threading.Event() for _ in range(size)]
        self.entered: queue.SimpleQueue[int] = queue.SimpleQueue()

    def __call__(self, value: Any) -> Any:
        index = int(value)
        self.entered.put(index)
        if not self.gates[index].wait(timeout=60):
            raise TimeoutError("the test never released this item")
        return index

    def release(self, *indexes: int) -> None:
        for index in indexes:
            self.gates[index].set()

    def release_all(self) -> None:
        for gate in self.gates:
            gate.set()


class Flip:
    """An action that fails until the test sets :attr:`ok` (for reruns)."""

    def __init__(self) -> None:
        self.ok = threading.Event()
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        if not self.ok.is_set():
            raise RuntimeError("not yet")
        return "fine"


def chromium_path() -> str:
    """Debian's chromium; skip (fail under CI=true) when it is missing."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found is None:
        message = "chromium is not installed (.ci/run installs Debian's chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass
class Daemon:
    """The app on uvicorn, an API client with the token, and its engine."""

    url: str
    api: httpx.Client
    engine: Engine
    steps: Steps
    flip: Flip
    app: Any

    def offers(self, feature: str) -> bool:
        """Whether the app has an optional endpoint (rerun, inquiries, graph, ...)."""
        routes: dict[str, bool] = self.api.get("/console/features.json").json()["routes"]
        return routes[feature]

    def start(self, workflow: str, **parameters: Any) -> str:
        answer = self.api.post("/api/v1/executions",
                               json={"workflow": workflow, "parameters": parameters})
        assert answer.status_code == 201, answer.text
        execution_id: str = answer.json()["id"]
        return execution_id


def serve(app: Any) -> tuple[str, Callable[[], None]]:
    """Serve ``app`` on uvicorn from a socket bound here (its port known before it serves:
    connections wait in the backlog, nothing polls for the server to be up)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                              name="uvicorn", daemon=True)
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture
def steps() -> Iterator[Steps]:
    made = Steps()
    yield made
    made.release_all()


@pytest.fixture
def daemon(tmp_path: Path, steps: Steps, request: pytest.FixtureRequest) -> Iterator[Daemon]:
    changes: dict[str, Any] = getattr(request, "param", {})
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    for name, text in (("stepped", STEPPED), ("quick", QUICK), ("broken", BROKEN),
                       ("flaky", FLAKY), ("ask", ASK), ("secret", SECRET)):
        (workflows / f"{name}.yaml").write_text(text, encoding="utf-8")
    flip = Flip()
    actions = {"t.step": steps, "t.flip": flip}
    with Engine(store=f"sqlite:///{tmp_path / 'troupe.db'}", actions=actions) as engine:
        settings = ServerSettings(**{"workflows_dir": workflows, "token": TOKEN,
                                     "trace_dir": tmp_path / "traces", "keepalive": 1.0,
                                     **changes})
        app = create_app(engine, settings)
        app.state.troupe.ready = True
        url, stop = serve(app)
        try:
            with httpx.Client(base_url=url, timeout=20,
                              headers={"Authorization": f"Bearer {TOKEN}"}) as api:
                yield Daemon(url=url, api=api, engine=engine, steps=steps, flip=flip,
                             app=app)
        finally:
            steps.release_all()
            stop()


@dataclass
class Problems:
    """What a page said went wrong: console errors and uncaught exceptions."""

    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one module: Playwright's sync API runs an event loop in this thread
    while it lives, so it must be gone before other tests call ``asyncio.run``."""
    path = chromium_path()
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:  # the test extra has it
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    expect.set_options(timeout=20_000)  # a loaded CI machine: expectations wait for an event

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"])
        yield launched
        launched.close()


@pytest.fixture
def artifacts(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    root = os.environ.get("TROUPE_ARTIFACTS")
    base = Path(root) / "console" / request.node.name if root else tmp_path / "artifacts"
    base.mkdir(parents=True, exist_ok=True)
    return base


def open_page(browser: Any, width: int = 1280, height: int = 800) -> tuple[Any, Problems]:
    """A new page in its own context (its own session storage), watched for errors."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems = Problems()
    page.on("console", lambda message: message.type == "error"
            and problems.errors.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.errors.append(f"pageerror: {error}"))
    page.on("response", lambda response: response.status >= 400
            and problems.errors.append(f"response: {response.status} {response.url}"))
    return page, problems


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, Problems]]:
    made, problems = open_page(browser)
    yield made, problems
    made.context.close()


def sign_in(page: Any, url: str, where: str = "/") -> None:
    """Open the console and give it the token through its login form."""
    page.goto(url + where)
    page.get_by_label("Token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()


VARIANCE = """async (data) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], {type: "image/png"}));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  let sum = 0, squares = 0, n = 0;
  const colours = new Set();
  for (let i = 0; i < pixels.length; i += 16) {
    const y = 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2];
    sum += y; squares += y * y; n += 1;
    colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
  }
  const mean = sum / n;
  return {width: bitmap.width, height: bitmap.height, variance: squares / n - mean * mean,
          colours: colours.size};
}"""


def screenshot(page: Any, artifacts: Path, name: str) -> dict[str, Any]:
    """Save a full-page screenshot and measure it (decoded in a blank page of the same
    browser): its luminance variance and how many colours it has."""
    path = artifacts / f"{name}.png"
    data = page.screenshot(path=str(path), full_page=True)
    scratch = page.context.new_page()
    try:
        measured: dict[str, Any] = scratch.evaluate(VARIANCE, base64.b64encode(data).decode())
    finally:
        scratch.close()
    assert measured["variance"] > 50 and measured["colours"] > 8, (name, measured)
    return measured
