"""The app served by real uvicorn on 127.0.0.1 (a free port): submit, follow the event
stream live while the action is held, resume it from Last-Event-ID, and the token."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from runtime import Engine
from runtime.server import create_app

from .conftest import Gate, settings_for
from .test_events import parse_sse

pytestmark = pytest.mark.timeout(60)

TOKEN = "uvicorn-token"


@pytest.fixture
def served(engine: Engine, workflows_dir: Path, tmp_path: Path) -> Iterator[str]:
    """The app on uvicorn, on a socket bound here (so the port is known before it serves:
    connections wait in the backlog, nothing polls for the server to be up)."""
    app = create_app(engine, settings_for(workflows_dir, tmp_path, token=TOKEN))
    app.state.troupe.ready = True
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                              name="uvicorn", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


def test_submit_and_follow_live_through_uvicorn(served: str, gate: Gate) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=served, headers=auth, timeout=20) as client:
        assert httpx.get(f"{served}/api/v1/executions", timeout=20).status_code == 401
        answer = client.post("/api/v1/executions", json={"workflow": "gated",
                                                         "parameters": {"n": 2}})
        assert answer.status_code == 201
        execution_id = answer.json()["id"]
        seen = ""
        with client.stream("GET", f"/api/v1/executions/{execution_id}/events",
                           headers={"Accept": "text/event-stream"}) as stream:
            for chunk in stream.iter_text():
                seen += chunk
                if "task_started" in seen:
                    break  # live: the items are still held
        assert "item_finished" not in seen
        gate.opened.set()
        with client.stream("GET", f"/api/v1/executions/{execution_id}/events",
                           headers={"Accept": "text/event-stream",
                                    "Last-Event-ID": "1"}) as stream:
            messages = parse_sse("".join(stream.iter_text()))
        progress = [m for m in messages if m.get("event") == "progress"]
        assert int(progress[0]["id"]) == 2
        assert [m["data"]["kind"] for m in progress[:2]] == ["item_finished"] * 2
        assert messages[-1]["event"] == "end"
        assert messages[-1]["data"]["status"] == "succeeded"
        assert client.get("/healthz", headers={}).json() == {"status": "ok"}
