"""Fixtures of the CLI client's tests: a real daemon app (``create_app`` on an Engine with a
SQLite store) served by uvicorn on 127.0.0.1 in a thread, restartable on the same port, and
``troupe`` client commands run in-process with their output captured."""

from __future__ import annotations

import io
import socket
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from runtime import ActionFailed, Engine
from runtime.server import ServerSettings, create_app
from tests.server.conftest import GATED, HELLO, SECRET, TYPED, Gate

FAILS = textwrap.dedent("""\
    version: 1.0
    tasks:
      boom:
        action: t.fail
    """)

LEAF = textwrap.dedent("""\
    version: 1.0
    input: [n]
    tasks:
      fan:
        with: i in {{ range(ctx().n) }}
        action: troupe.echo
        input: {message: '{{ item("i") }}'}
        next:
          - publish: [got: '{{ result() }}']
    output:
      - got: '{{ ctx("got") }}'
    """)

MID = textwrap.dedent("""\
    version: 1.0
    input: [n]
    tasks:
      inner:
        action: leaf.yaml
        input: {n: '{{ ctx().n }}'}
        next:
          - publish: [leaf: '{{ result().got }}']
    output:
      - leaf: '{{ ctx("leaf") }}'
    """)

TOP = textwrap.dedent("""\
    version: 1.0
    input: [n]
    tasks:
      outer:
        action: mid.yaml
        input: {n: '{{ ctx().n }}'}
        next:
          - publish: [mid: '{{ result().leaf }}']
    output:
      - mid: '{{ ctx("mid") }}'
    """)


def _fail() -> None:
    raise ActionFailed("it broke", result={"why": "test"})


@pytest.fixture
def workflows_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "workflows"
    directory.mkdir()
    for name, text in (("hello", HELLO), ("secret", SECRET), ("gated", GATED),
                       ("typed", TYPED), ("fails", FAILS), ("leaf", LEAF), ("mid", MID),
                       ("top", TOP)):
        (directory / f"{name}.yaml").write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def gate() -> Iterator[Gate]:
    made = Gate()
    yield made
    made.opened.set()


@pytest.fixture
def engine(tmp_path: Path, gate: Gate) -> Iterator[Engine]:
    with Engine(store=f"sqlite:///{tmp_path / 'troupe.db'}",
                actions={"t.gate": gate, "t.fail": _fail}) as made:
        yield made
        gate.opened.set()


class Served:
    """The app served by uvicorn in a thread, on a port that stays the same across
    :meth:`restart` (so a client's stream drops and comes back)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = 0
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)  # connections queue here until uvicorn accepts them
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.server.force_exit = True  # open event streams are cut, not waited for
        self.thread.join(timeout=20)
        assert not self.thread.is_alive()

    def restart(self) -> None:
        self.stop()
        self.start()


def make_app(engine: Engine, workflows_dir: Path, tmp_path: Path, **changes: Any) -> Any:
    values: dict[str, Any] = {"workflows_dir": workflows_dir,
                              "trace_dir": tmp_path / "traces", "keepalive": 0.5, **changes}
    app = create_app(engine, ServerSettings(**values))
    app.state.troupe.ready = True
    return app


@pytest.fixture
def daemon(engine: Engine, workflows_dir: Path, tmp_path: Path) -> Iterator[Served]:
    served = Served(make_app(engine, workflows_dir, tmp_path))
    yield served
    served.stop()


class Seen(io.StringIO):
    """Captured output that tells when a text has been written."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list[tuple[str, threading.Event]] = []

    def write(self, text: str) -> int:
        count = super().write(text)
        for wanted, event in self.waiting:
            if wanted in self.getvalue():
                event.set()
        return count

    def when(self, wanted: str) -> threading.Event:
        event = threading.Event()
        self.waiting.append((wanted, event))
        if wanted in self.getvalue():
            event.set()
        return event


@dataclass
class Ran:
    code: int
    out: str
    err: str


def troupe(*argv: str, out: io.StringIO | None = None, err: io.StringIO | None = None
           ) -> Ran:
    """Run a ``troupe`` client command in this process."""
    from runtime.cli import _parser
    from runtime.client.commands import run_client_command

    args = _parser().parse_args(list(argv))
    out = out if out is not None else io.StringIO()
    err = err if err is not None else io.StringIO()
    code = run_client_command(args, out, err)
    return Ran(code=code, out=out.getvalue(), err=err.getvalue())
