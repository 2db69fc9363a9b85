"""The process's cap on action attempts in flight: every attempt (plain tasks and items, of
every execution) runs on a permit; beyond the cap attempts queue, in order, and start as
permits free; nothing is refused; a parent calling a sub-workflow holds no permit its
child's attempts wait for."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any

import pytest

from actors.capacity import snapshot
from runtime import Engine, start_workflow

pytestmark = pytest.mark.timeout(60)

PARALLEL = """
version: 1.0
tasks:
  a: {action: test.block, input: {name: a}}
  b: {action: test.block, input: {name: b}}
  c: {action: test.block, input: {name: c}}
"""


class Gate:
    """Actions that block until released one by one; counts how many run at once."""

    def __init__(self) -> None:
        self.started: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.releases: queue.SimpleQueue[None] = queue.SimpleQueue()
        self.running = 0
        self.peak = 0
        self.count = threading.BoundedSemaphore(1)  # test-side bookkeeping only

    def block(self, name: str) -> str:
        with self.count:
            self.running += 1
            self.peak = max(self.peak, self.running)
        self.started.put(name)
        self.releases.get(timeout=30)
        with self.count:
            self.running -= 1
        return name


def test_plain_task_attempts_of_two_executions_never_exceed_the_cap(worker_limit: Any) -> None:
    worker_limit(2)
    gate = Gate()
    actions = {"test.block": gate.block}
    handles = [start_workflow(PARALLEL, actions=actions) for _ in range(2)]
    first = {gate.started.get(timeout=10) for _ in range(2)}
    assert len(first) >= 1
    state = snapshot()
    assert (state.limit, state.in_flight, state.queued) == (2, 2, 4)  # 6 tasks, 2 run
    assert gate.started.empty()
    for left in range(4, 0, -1):
        gate.releases.put(None)  # one attempt ends: exactly one queued attempt starts
        gate.started.get(timeout=10)
        state = snapshot()
        assert (state.in_flight, state.queued) == (2, left - 1)
    gate.releases.put(None)
    gate.releases.put(None)
    results = [h.wait(30) for h in handles]
    assert [str(r.status) for r in results] == ["succeeded"] * 2
    assert gate.peak == 2
    assert snapshot().in_flight == 0


def test_items_and_tasks_share_the_cap(worker_limit: Any) -> None:
    worker_limit(3)
    gate = Gate()
    text = PARALLEL + """
  fan:
    with: {items: '{{ range(5) | list }}', concurrency: 4}
    action: test.block
    input: {name: '{{ item() }}'}
"""
    handle = start_workflow(text, actions={"test.block": gate.block})
    for _ in range(3):
        gate.started.get(timeout=10)
    assert snapshot().in_flight == 3
    assert gate.started.empty()
    for _ in range(8):
        gate.releases.put(None)
    result = handle.wait(30)
    assert str(result.status) == "succeeded", result.errors
    assert gate.peak == 3


def test_a_parent_calling_a_sub_workflow_under_a_cap_of_one_finishes(
        worker_limit: Any, tmp_path: Path) -> None:
    worker_limit(1)
    (tmp_path / "child.yaml").write_text("""
tasks:
  one: {action: troupe.echo message=deep, next: [{do: two}]}
  two:
    with: {items: '{{ range(3) | list }}', concurrency: 3}
    action: troupe.echo
    input: {message: '{{ item() }}'}
    next: [{publish: 'v={{ result() }}'}]
output: [{value: '{{ ctx("v") }}'}]
""")
    parent = tmp_path / "parent.yaml"
    parent.write_text("""
tasks:
  before: {action: core.noop, next: [{do: [call, beside]}]}
  call:
    action: child.yaml
    next: [{publish: 'answer={{ result().value }}'}]
  beside: {action: troupe.echo message=x}
output: [{answer: '{{ ctx("answer") }}'}]
""")
    result = start_workflow(parent).wait(timeout=30)
    assert result.status == "succeeded", result.errors
    assert result.output == {"answer": [0, 1, 2]}
    assert snapshot().in_flight == 0


def test_engine_sets_the_cap_and_shows_queued_attempts(worker_limit: Any) -> None:
    gate = Gate()
    with Engine(store="memory://", actions={"test.block": gate.block},
                max_attempts=1) as engine:
        handle = engine.start_workflow(PARALLEL)
        gate.started.get(timeout=10)
        state = engine.capacity()
        assert (state.limit, state.in_flight, state.queued) == (1, 1, 2)
        with pytest.raises(AttributeError):
            state.limit = 5  # type: ignore[misc]  # a frozen snapshot
        for _ in range(3):
            gate.releases.put(None)
        assert str(handle.wait(30).status) == "succeeded"


def test_canceling_an_execution_whose_attempt_waits_for_a_permit_runs_nothing(
        worker_limit: Any) -> None:
    worker_limit(1)
    gate = Gate()
    one = "version: 1.0\ntasks:\n  a: {action: test.block, input: {name: a}}\n"
    running = start_workflow(one, actions={"test.block": gate.block})
    assert gate.started.get(timeout=10) == "a"
    waiting = start_workflow(one.replace("name: a", "name: b"),
                             actions={"test.block": gate.block})
    waiting.cancel()  # its attempt cannot have a permit: `a` holds the only one
    assert str(waiting.wait(30).status) == "canceled"
    gate.releases.put(None)
    assert str(running.wait(30).status) == "succeeded"
    assert gate.started.empty()  # b never ran
    assert (snapshot().in_flight, snapshot().queued) == (0, 0)
