"""GET .../timeline of a running execution (bars of what runs reach the request's time,
marked running) and the incremental reading behind the trace views
(runtime.server.trace_views: per file, only what was appended; an LRU; one request at a
time per file, on the event loop)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runtime import Engine
from runtime.server.trace_views import TraceViews
from runtime.trace.model import LoadedExecution
from tests.trace.conftest import ROOT, write_demo_trace

from .conftest import Gate

pytestmark = pytest.mark.timeout(60)


def test_a_running_timeline_reaches_the_request_time_and_reads_only_what_was_appended(
        client: TestClient, engine: Engine, gate: Gate) -> None:
    answer = client.post("/api/v1/executions", json={"workflow": "gated",
                                                     "parameters": {"n": 2}})
    execution_id = answer.json()["id"]
    gate.wait_entered(2)
    # The supervisor answers this ask after the message that started the items, whose
    # lines it flushed when it had handled it.
    assert client.get(f"/api/v1/executions/{execution_id}/actors").json()["live"] is True
    before = time.time()
    data = client.get(f"/api/v1/executions/{execution_id}/timeline").json()
    assert data["running"] is True
    [fan] = data["rows"]
    assert fan["running"] is True and fan["status"] == "running"
    end = fan["start"] + fan["duration"]
    assert end == pytest.approx(data["now"]) and data["total"] >= data["now"]
    started = engine.record(execution_id).created_at
    assert data["now"] >= before - started - 1.0  # the request's time, not the last line's

    state = client.app.state.troupe  # type: ignore[attr-defined]
    path = state.settings.trace_path(execution_id)
    tail = state.traces.tail_of(path)
    assert tail is not None
    aggregator, offset = tail.aggregator, tail.offset
    assert offset == path.stat().st_size
    gate.opened.set()
    with client.stream("GET", f"/api/v1/executions/{execution_id}/events",
                       headers={"Accept": "text/event-stream"}) as stream:
        assert "event: end" in "".join(stream.iter_text())
    handle = engine.get(execution_id)
    handle.wait(timeout=20)
    supervisor = handle._supervisor
    if supervisor is not None:
        assert supervisor.actor_stopped.wait(20)
    done = client.get(f"/api/v1/executions/{execution_id}/timeline").json()
    assert done["running"] is False and done["status"] == "succeeded"
    assert not any(row["running"] for row in done["rows"])
    same = state.traces.tail_of(path)
    assert same is tail and tail.aggregator is aggregator  # read on, not again
    assert offset < tail.offset == path.stat().st_size


def _count(loaded: LoadedExecution) -> tuple[int, bool]:
    return len(loaded.record.task_runs), True


def test_the_lru_keeps_a_few_files_and_answers_a_kept_view_again(tmp_path: Path) -> None:
    paths = [tmp_path / f"t{i}.jsonl" for i in range(3)]
    for path in paths:
        write_demo_trace(path)
    views = TraceViews(size=2)
    built: list[int] = []

    def counting(loaded: LoadedExecution) -> tuple[int, bool]:
        built.append(1)
        return _count(loaded)

    async def scenario() -> None:
        first = await views.view(paths[0], ROOT, "n", counting)
        assert await views.view(paths[0], ROOT, "n", counting) == first
        assert len(built) == 1  # nothing appended: the kept view
        await views.view(paths[1], ROOT, "n", counting)
        await views.view(paths[2], ROOT, "n", counting)
        assert views.kept() == [str(paths[1]), str(paths[2])]
        assert await views.view(tmp_path / "none.jsonl", ROOT, "n", counting) is None
        assert views.kept() == [str(paths[1]), str(paths[2])]
        assert await views.view(paths[1], "nobody", "n", counting) is None

    asyncio.run(scenario())


def test_requests_for_one_file_take_its_reading_one_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write_demo_trace(path, items=50)
    views = TraceViews()
    tails: list[object] = []

    def which(loaded: LoadedExecution) -> tuple[int, bool]:
        tails.append(views.tail_of(path))  # taken out of the LRU while a request has it
        return _count(loaded)

    async def scenario() -> list[int]:
        return list(await asyncio.gather(*(views.view(path, ROOT, f"v{i}", which)
                                           for i in range(4))))

    answers = asyncio.run(scenario())
    assert len(set(answers)) == 1 and tails == [None] * 4
    kept = views.tail_of(path)
    assert kept is not None and kept.reads == 1  # one reading, shared in turn
