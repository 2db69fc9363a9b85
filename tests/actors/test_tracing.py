"""The trace writer: per-actor buffers, one write per handled message, whole lines only."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import structlog

from actors.tracing import Tracer, TraceSink
from runtime.masking import Masker

pytestmark = pytest.mark.timeout(30)


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_lines_wait_in_the_actor_buffer_until_flushed(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    tracer = Tracer(TraceSink(path), "e1")
    tracer.emit("task.started", "wf/a@0", task="a", route=0)
    tracer.emit("task.finished", "wf/a@0", task="a", route=0, status="succeeded")
    assert path.read_text(encoding="utf-8") == ""
    tracer.flush()
    assert [(ln["event"], ln["execution"], ln["task"]) for ln in lines_of(path)] == [
        ("task.started", "e1", "a"), ("task.finished", "e1", "a")]
    tracer.flush()  # nothing new: nothing written
    assert len(lines_of(path)) == 2


def test_actors_of_one_execution_share_message_ids_not_buffers(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    supervisor = Tracer(TraceSink(path), "e1")
    worker = supervisor.for_actor()
    ids = {supervisor.next_id(), worker.next_id(), supervisor.next_id(), worker.next_id()}
    assert ids == {1, 2, 3, 4}
    worker.emit("message.sent", "wf/a@0", msg="Performed", msg_id=2)
    supervisor.flush()
    assert lines_of(path) == []
    worker.flush()
    assert [ln["msg_id"] for ln in lines_of(path)] == [2]


def test_a_closed_sink_drops_late_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    sink = TraceSink(path)
    tracer = Tracer(sink, "e1")
    tracer.emit("workflow.finished", "wf", status="succeeded")
    tracer.flush()
    tracer.emit("actor.stopped", "wf/a@0/w0", kind="item")
    sink.close()
    tracer.flush()
    assert [ln["event"] for ln in lines_of(path)] == ["workflow.finished"]


def test_batches_from_many_threads_never_interleave(tmp_path: Path) -> None:
    """Each flush is one O_APPEND write: every line of the file parses, none is lost."""
    path = tmp_path / "t.jsonl"
    root = Tracer(TraceSink(path), "e1")
    tracers = [root.for_actor() for _ in range(8)]
    start = threading.Barrier(len(tracers))

    def write(index: int, tracer: Tracer) -> None:
        start.wait(timeout=10)
        for batch in range(50):
            for line in range(20):
                tracer.emit("item.finished", f"wf/fan@0/w{index}", item=batch * 20 + line,
                            worker="x" * 200)
            tracer.flush()

    threads = [threading.Thread(target=write, args=(i, t)) for i, t in enumerate(tracers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    found = lines_of(path)
    assert len(found) == 8 * 50 * 20
    for index in range(8):
        items = [ln["item"] for ln in found if ln["actor"] == f"wf/fan@0/w{index}"]
        assert items == list(range(1000))  # one actor's lines keep their order


def test_lines_lead_with_the_common_fields_and_end_with_the_event(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    tracer = Tracer(TraceSink(path), "e1")
    tracer.emit("task.started", "wf/a@0", task="a", route=0, run=1)
    tracer.flush()
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert list(json.loads(line)) == ["ts", "mono", "execution", "actor", "task", "route",
                                      "item", "attempt", "ctx_version", "run", "event"]


def test_the_masking_processor_masks_user_data_fields_only(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    tracer = Tracer(TraceSink(path), "e1", Masker(["hunter2-secret"]))
    tracer.emit("workflow.started", "wf", inputs={"token": "hunter2-secret"},
                workflow="hunter2-secret.yaml")
    tracer.failure("wf", "supervisor", ValueError("bad token hunter2-secret"))
    tracer.flush()
    started, failed = lines_of(path)
    assert started["inputs"] == {"token": "***"}
    assert started["workflow"] == "hunter2-secret.yaml"  # not a masked field
    assert failed["error"] == "bad token ***"
    assert "hunter2" not in failed["traceback"]


def test_the_trace_pipeline_ignores_structlogs_global_configuration(tmp_path: Path) -> None:
    """The application's log configuration neither shapes trace lines nor is changed."""

    def refuse(_logger: object, _name: str, _event_dict: object) -> object:
        raise AssertionError("the global processor chain ran for a trace line")

    before = structlog.get_config()
    structlog.configure(processors=[refuse])
    try:
        configured = structlog.get_config()
        path = tmp_path / "t.jsonl"
        tracer = Tracer(TraceSink(path), "e1")
        tracer.emit("task.started", "wf/a@0", task="a")
        tracer.flush()
        assert [ln["event"] for ln in lines_of(path)] == ["task.started"]
        assert structlog.get_config() == configured
    finally:
        structlog.configure(**before)
