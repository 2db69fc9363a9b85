"""The Engine's seams for the daemon: idempotency keys, records, journal reads after a
seq, commit watchers, attempt observers, mailbox depths, counts, per-execution traces."""

from __future__ import annotations

import json
import queue
import threading
from pathlib import Path
from typing import Any

import pytest

from runtime import Engine
from runtime.status import Outcome

pytestmark = pytest.mark.timeout(60)

HELLO = "version: 1.0\ntasks:\n  a:\n    action: core.echo message=hi\n"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'troupe.db'}"


def test_an_execution_is_found_by_its_key_after_a_restart(url: str) -> None:
    with Engine(store=url) as engine:
        handle = engine.start_workflow(HELLO, idempotency_key="k-1")
        row = engine.wait_recorded(handle.execution_id)
        assert row.idempotency_key == "k-1"
        handle.wait(timeout=30)
    with Engine(store=url) as engine:
        found = engine.find_by_key("k-1")
        assert found is not None and found.id == handle.execution_id
        assert engine.find_by_key("k-2") is None
        assert engine.record("nobody") is None


def test_a_second_execution_with_a_stored_key_is_not_recorded(url: str) -> None:
    """The store refuses the second record (its batch fails: the engine logs it); the
    first stays the key's. Callers look the key up first (the HTTP API does)."""
    with Engine(store=url) as engine:
        first = engine.start_workflow(HELLO, idempotency_key="k")
        first.wait(timeout=30)
        again = engine.start_workflow(HELLO, idempotency_key="k")
        again.wait(timeout=30)
        assert [r.id for r in engine.list().executions] == [first.execution_id]
        found = engine.find_by_key("k")
        assert found is not None and found.id == first.execution_id


def test_watchers_hear_every_commit_until_stopped(url: str) -> None:
    commits: queue.SimpleQueue[Any] = queue.SimpleQueue()
    with Engine(store=url) as engine:
        stop = engine.watch(commits.put)
        handle = engine.start_workflow(HELLO)
        handle.wait(timeout=30)
        engine.record(handle.execution_id)  # a read after the last append: it is written
        seen = []
        while not commits.empty():
            seen.append(commits.get())
        assert seen and all(handle.execution_id in c.executions for c in seen)
        assert sum(c.entries for c in seen) == len(engine.journal(handle.execution_id))
        assert all(c.seconds >= 0 for c in seen)
        stop()
        engine.start_workflow(HELLO).wait(timeout=30)
        engine.record("flush")
        assert commits.empty()


def test_the_journal_reads_after_a_seq(url: str) -> None:
    with Engine(store=url) as engine:
        handle = engine.start_workflow(HELLO)
        handle.wait(timeout=30)
        everything = engine.journal(handle.execution_id)
        assert [e.seq for e in engine.journal(handle.execution_id, after=2)] == [
            e.seq for e in everything[2:]]


def test_attempt_observers_time_every_attempt(url: str) -> None:
    seen: list[tuple[str, float, Outcome]] = []
    stop = Engine.observe_attempts(lambda *attempt: seen.append(attempt))
    try:
        with Engine(store=url) as engine:
            engine.start_workflow(HELLO).wait(timeout=30)
    finally:
        stop()
    assert [(a, o) for a, _, o in seen] == [("core.echo", Outcome.SUCCEEDED)]
    assert seen[0][1] >= 0


def test_mailbox_depths_counts_and_children(url: str, tmp_path: Path) -> None:
    held = threading.Event()
    entered: queue.SimpleQueue[int] = queue.SimpleQueue()

    def hold(value: int) -> int:
        entered.put(value)
        held.wait(timeout=30)
        return value

    (tmp_path / "child.yaml").write_text(
        "version: 1.0\ninput: [v]\ntasks:\n  a:\n    action: t.hold value={{ ctx().v }}\n",
        encoding="utf-8")
    parent = tmp_path / "parent.yaml"
    parent.write_text("version: 1.0\ntasks:\n  call:\n    with: v in {{ [1, 2] }}\n"
                      "    action: child.yaml\n    input: {v: '{{ item(\"v\") }}'}\n",
                      encoding="utf-8")
    with Engine(store=url, actions={"t.hold": hold}) as engine:
        handle = engine.start_workflow(parent)
        entered.get(timeout=20)
        entered.get(timeout=20)
        assert set(engine.mailbox_depths()) == {handle.execution_id}
        assert all(depth >= 0 for depth in engine.mailbox_depths().values())
        held.set()
        handle.wait(timeout=30)
        assert engine.mailbox_depths() == {}
        assert engine.counts() == {"succeeded": 3}
        children = engine.list(parent=handle.execution_id).executions
        assert len(children) == 2 and {c.parent for c in children} == {handle.execution_id}
    busy, limit, waiting = Engine.worker_usage()
    assert busy >= 0 and limit >= 1 and waiting >= 0


def test_a_trace_option_may_name_each_executions_file(url: str, tmp_path: Path) -> None:
    with Engine(store=url) as engine:
        handle = engine.start_workflow(HELLO, trace=lambda eid: tmp_path / f"{eid}.jsonl")
        handle.wait(timeout=30)
    lines = (tmp_path / f"{handle.execution_id}.jsonl").read_text().splitlines()
    assert lines and {json.loads(line)["execution"] for line in lines} == {
        handle.execution_id}


def test_a_long_running_engine_keeps_only_what_runs(url: str) -> None:
    """The daemon's engine starts executions for ever: finished handles are let go (their
    results are read back from the store), running ones stay reachable."""
    import gc
    import weakref

    workflow = "version: 1.0\ntasks:\n  a:\n    action: core.noop\n"
    with Engine(store=url) as engine:
        first = engine.start_workflow(workflow)
        first_id = first.execution_id
        first.wait(timeout=30)
        gone = weakref.ref(first)
        del first
        for _ in range(200):
            engine.start_workflow(workflow).wait(timeout=30)
        gc.collect()
        assert gone() is None  # the engine no longer holds the first handle
        assert engine.get(first_id).wait(timeout=5).status == "succeeded"  # from the store
        assert list(engine) == []  # nothing runs
