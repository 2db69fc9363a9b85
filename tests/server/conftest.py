"""Fixtures of the HTTP API's tests: an engine on a store, a workflows directory, the app
and its Starlette test client (httpx), and workflows whose actions the tests control."""

from __future__ import annotations

import queue
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime import Engine
from runtime.server import ServerSettings, create_app

HELLO = textwrap.dedent("""\
    version: 1.0
    input:
      - name: World
    tasks:
      greet:
        action: troupe.echo message="Hello, {{ ctx('name') }}!"
        next:
          - publish: [greeting: '{{ result() }}']
    output:
      - greeting: '{{ ctx("greeting") }}'
    """)

SECRET = textwrap.dedent("""\
    version: 1.0
    input:
      - token: {secret: true}
      - name
    tasks:
      use:
        action: troupe.echo
        input: {message: 'token={{ ctx("token") }} for {{ ctx("name") }}'}
        next:
          - publish: [said: '{{ result() }}']
    output:
      - said: '{{ ctx("said") }}'
      - token: '{{ ctx("token") }}'
    """)

GATED = textwrap.dedent("""\
    version: 1.0
    input: [n]
    tasks:
      fan:
        with: i in {{ range(ctx().n) }}
        action: t.gate
        input: {value: '{{ item("i") }}'}
        next:
          - publish: [items: '{{ result() }}']
    output:
      - items: '{{ ctx("items") }}'
    """)

TYPED = textwrap.dedent("""\
    version: "1.0.0"
    ref: tests.typed
    parameters:
      count:
        type: integer
        required: true
    tasks:
      - name: one
        action: core.noop
    """)


class Gate:
    """An action that blocks until the test opens the gate (a threading.Event)."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def __call__(self, value: Any) -> Any:
        self.entered.put(value)
        if not self.opened.wait(timeout=30):
            raise TimeoutError("the test never opened the gate")
        return value

    def wait_entered(self, count: int = 1) -> None:
        for _ in range(count):
            self.entered.get(timeout=20)


@pytest.fixture
def workflows_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "workflows"
    directory.mkdir()
    for name, text in (("hello", HELLO), ("secret", SECRET), ("gated", GATED),
                       ("typed", TYPED)):
        (directory / f"{name}.yaml").write_text(text, encoding="utf-8")
    (directory / "broken.yaml").write_text("version: 1.0\ntasks:\n  a:\n    next: [{do: b}]\n",
                                           encoding="utf-8")
    return directory


@pytest.fixture
def gate() -> Iterator[Gate]:
    made = Gate()
    yield made
    made.opened.set()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'troupe.db'}"


@pytest.fixture
def engine(store_url: str, gate: Gate) -> Iterator[Engine]:
    with Engine(store=store_url, actions={"t.gate": gate}) as made:
        yield made
        gate.opened.set()


def settings_for(workflows_dir: Path, tmp_path: Path, **changes: Any) -> ServerSettings:
    values: dict[str, Any] = {"workflows_dir": workflows_dir,
                              "trace_dir": tmp_path / "traces", "keepalive": 0.5, **changes}
    return ServerSettings(**values)


@pytest.fixture
def client(engine: Engine, workflows_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(engine, settings_for(workflows_dir, tmp_path))
    app.state.troupe.ready = True
    with TestClient(app) as made:
        yield made
