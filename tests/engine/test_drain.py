"""The fence at the hand-over and the engine's drain hold, on a SQLite store.

- A non-idempotent attempt's start is journaled when a worker takes it, not when it is
  dispatched: under a cap of 1, an attempt that only waited for the permit when the engine
  stopped runs after the restart; only the one in flight is ``outcome_unknown``.
  Canceled between the two, its worker goes back to the pool, its permit to the budget.
- ``Engine.hold()`` starts no new attempt (the next task, the next item of a pool, a
  sub-workflow's task), lets the running ones finish and be journaled; ``close`` then
  returns as soon as they did, and the next engine finishes everything without an
  ``outcome_unknown``.
"""

from __future__ import annotations

import queue
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from actors.capacity import WORKERS
from runtime import ActionFailed, Engine
from runtime.status import WorkflowStatus
from runtime.store import MemoryStore
from runtime.store.base import Batch
from runtime.store.codec import encode
from runtime.store.entries import AttemptStarted

pytestmark = pytest.mark.timeout(60)


class Gate:
    """A non-idempotent action that blocks the calls whose value is in ``blocking`` until
    ``open()``; every call is recorded in ``calls`` and announced on ``entered``."""

    def __init__(self, *blocking: Any) -> None:
        self.calls: list[Any] = []
        self.entered: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.blocking = set(blocking)
        self.opened = threading.Event()
        self.failing = 0
        """How many of the next calls fail (once let go)."""

    def __call__(self, value: Any) -> Any:
        self.calls.append(value)
        self.entered.put(value)
        if value in self.blocking:
            assert self.opened.wait(30)
        if self.failing:
            self.failing -= 1
            raise ActionFailed("not yet")
        return value

    def open(self) -> None:
        self.opened.set()


ONE = "version: 1.0\ntasks:\n  one: {action: t.gate, input: {value: one}}\n"

TWO = textwrap.dedent("""\
    version: 1.0
    tasks:
      a: {action: t.gate, input: {value: a}}
      b: {action: t.gate, input: {value: b}}
""")


def test_an_attempt_waiting_for_a_permit_at_a_stop_runs_after_it(worker_limit: Any,
                                                                   tmp_path: Path) -> None:
    worker_limit(1)
    url = f"sqlite:///{tmp_path / 'troupe.db'}"
    gate = Gate("a", "b")
    engine = Engine(store=url, actions={"t.gate": gate})
    handle = engine.start_workflow(TWO)
    first = gate.entered.get(timeout=10)  # the other one waits for the only permit
    engine.close(drain_timeout=0)  # abandoned: as a crash leaves it
    gate.open()
    started = [(e.run, e.attempt) for e in Engine(store=url).events(handle.execution_id)
               if isinstance(e, AttemptStarted)]
    assert len(started) == 1  # only the attempt a worker took was fenced
    second = "b" if first == "a" else "a"
    gate.calls.clear()
    with Engine(store=url, actions={"t.gate": gate}) as again:
        [recovered] = again.recover()
        result = recovered.wait(timeout=30)
    assert gate.calls == [second]  # it never ran: it runs now; the first is not run again
    unknown = [(e.kind, e.task) for e in result.errors]
    assert unknown == [("outcome_unknown", first)]
    assert {t.name: str(t.status) for t in result.tasks} == {first: "failed",
                                                               second: "succeeded"}


CHAIN = textwrap.dedent("""\
    version: 1.0
    tasks:
      fan:
        with: {items: 'i in {{ [1, 2, 3] }}', concurrency: 1}
        action: t.gate
        input: {value: '{{ item("i") }}'}
        next: [{publish: [items: '{{ result() }}'], do: last}]
      last:
        action: t.gate
        input: {value: '{{ ctx().items | length }}0'}
        next: [{publish: [last: '{{ result() }}']}]
    output:
      - items: '{{ ctx().items }}'
      - last: '{{ ctx().last }}'
""")


def _drain(engine: Engine, gate: Gate, timeout: float = 30.0) -> float:
    """Hold the engine, let the blocked calls go, close; how long the close took."""
    engine.hold()
    gate.open()
    began = time.monotonic()
    engine.close(drain_timeout=timeout)
    return time.monotonic() - began


def test_a_hold_starts_nothing_new_and_the_close_waits_only_for_running_attempts(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'troupe.db'}"
    gate = Gate(1)
    engine = Engine(store=url, actions={"t.gate": gate})
    handle = engine.start_workflow(CHAIN)
    assert gate.entered.get(timeout=10) == 1
    assert _drain(engine, gate) < 15  # not the drain timeout: the one attempt finished
    assert gate.calls == [1]  # the next item found its pool held
    events = Engine(store=url).events(handle.execution_id)
    assert [type(e).__name__ for e in events].count("ActionCompleted") == 1  # journaled
    gate.calls.clear()
    with Engine(store=url, actions={"t.gate": gate}) as again:
        [recovered] = again.recover()
        result = recovered.wait(timeout=30)
    assert gate.calls == [2, 3, "30"]
    assert (result.status, list(result.errors)) == (WorkflowStatus.SUCCEEDED, [])
    assert result.output == {"items": [1, 2, 3], "last": "30"}


def test_a_sub_workflow_and_a_new_execution_are_held_too(tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text(textwrap.dedent("""\
        version: 1.0
        input: [v]
        tasks:
          inner: {action: t.gate, input: {value: '{{ ctx().v }}'}}
        output:
          - got: '{{ task("inner").result }}'
    """))
    parent = tmp_path / "parent.yaml"
    parent.write_text(textwrap.dedent("""\
        version: 1.0
        tasks:
          first:
            action: t.gate
            input: {value: first}
            next: [{do: call}]
          call:
            action: child.yaml
            input: {v: inner}
            next: [{publish: [got: '{{ result().got }}']}]
        output:
          - got: '{{ ctx().got }}'
    """))
    url = f"sqlite:///{tmp_path / 'troupe.db'}"
    gate = Gate("first")
    engine = Engine(store=url, actions={"t.gate": gate})
    handle = engine.start_workflow(str(parent))
    assert gate.entered.get(timeout=10) == "first"
    engine.hold()
    late = engine.start_workflow(TWO)  # accepted and journaled, started after the close
    assert _drain(engine, gate) < 15
    assert gate.calls == ["first"]  # neither the child's task nor the new execution's
    gate.calls.clear()
    with Engine(store=url, actions={"t.gate": gate}) as again:
        ends = {h.execution_id: h.wait(timeout=30) for h in again.recover()}
    assert sorted(gate.calls) == ["a", "b", "inner"]
    assert ends[handle.execution_id].output == {"got": "inner"}
    assert ends[late.execution_id].status is WorkflowStatus.SUCCEEDED
    assert all(not end.errors for end in ends.values())


class StallingStore(MemoryStore):
    """A memory store whose write of an attempt's start waits until ``go`` is set: the
    attempt stays between its worker's reservation and its hand-over."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()
        self.go = threading.Event()
        self.started_kind = encode(AttemptStarted(run=0, item=None, attempt=1, at=0.0))[0]

    def write(self, batch: Batch) -> None:
        if any(row.kind == self.started_kind for row in batch.entries):
            self.stalled.set()
            assert self.go.wait(30)
        super().write(batch)


def test_a_cancel_before_the_start_is_durable_gives_the_reserved_worker_back(
        worker_limit: Any) -> None:
    worker_limit(1)
    store = StallingStore()
    gate = Gate()
    with Engine(store=store, actions={"t.gate": gate}) as engine:
        handle = engine.start_workflow(ONE)
        assert store.stalled.wait(10)  # a worker is reserved, the attempt not sent
        handle.cancel()
        store.go.set()
        result = handle.wait(timeout=30)
        assert result.status is WorkflowStatus.CANCELED
        assert gate.calls == []  # never handed over
        other = engine.start_workflow(ONE)  # the only permit came back
        assert other.wait(timeout=30).status is WorkflowStatus.SUCCEEDED
    assert gate.calls == ["one"]
    assert WORKERS.usage()[0] == 0


RETRIED = textwrap.dedent("""\
    version: 1.0
    tasks:
      flaky:
        action: t.gate
        input: {value: flaky}
        retry: {count: 1, delay: 0.05}
""")


def test_a_retry_delay_that_comes_due_during_a_hold_only_queues_its_attempt(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'troupe.db'}"
    gate = Gate("flaky")
    gate.failing = 1
    engine = Engine(store=url, actions={"t.gate": gate})
    handle = engine.start_workflow(RETRIED)
    assert gate.entered.get(timeout=10) == "flaky"
    engine.hold()
    gate.open()  # it fails: its retry's delay is armed, and fires, during the hold
    fired = threading.Event()
    for _ in range(1000):  # bounded: until the delay's timer fired (journaled)
        if any(type(e).__name__ == "TimerFired" for e in engine.events(handle.execution_id)):
            break
        fired.wait(0.01)
    else:
        raise AssertionError("the retry's delay never fired")
    engine.close(drain_timeout=30)
    assert gate.calls == ["flaky"]  # the retry did not start
    gate.calls.clear()
    with Engine(store=url, actions={"t.gate": gate}) as again:
        [recovered] = again.recover()
        result = recovered.wait(timeout=30)
    assert gate.calls == ["flaky"]  # the retry, once
    assert result.status is WorkflowStatus.SUCCEEDED
    assert [e.kind for e in result.errors] == ["action_failed"]  # the first, not unknown
    assert [t.attempts for t in result.tasks] == [2]


def test_a_drain_that_times_out_abandons_the_tree_and_gives_its_permits_back(
        tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text(
        "version: 1.0\ntasks:\n  inner: {action: t.gate, input: {value: inner}}\n")
    parent = tmp_path / "parent.yaml"
    parent.write_text("version: 1.0\ntasks:\n  call: {action: child.yaml}\n")
    url = f"sqlite:///{tmp_path / 'troupe.db'}"
    gate = Gate("inner")
    engine = Engine(store=url, actions={"t.gate": gate})
    engine.start_workflow(str(parent))
    assert gate.entered.get(timeout=10) == "inner"
    engine.hold()
    engine.close(drain_timeout=0.05)  # the child's attempt still runs: cut off
    settled = threading.Event()
    for _ in range(1000):  # bounded: the stopped supervisors give their permits back
        if WORKERS.usage()[0] == 0:
            break
        settled.wait(0.01)
    else:
        raise AssertionError(f"permits never came back: {WORKERS.usage()}")
    gate.open()
    gate.calls.clear()
    with Engine(store=url, actions={"t.gate": gate}) as again:
        [recovered] = again.recover()
        result = recovered.wait(timeout=30)
    assert gate.calls == []  # not idempotent, cut off: not run again
    assert result.status is WorkflowStatus.FAILED
