"""Idle item workers are kept by the process's budget and reused by the next runs and
executions: a reused worker carries nothing of its previous attempt, a worker stopped for
a cancel is never handed out again, and nothing outlives an engine's close."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import pykka
import pytest

from actors.capacity import WORKERS, Capacity, snapshot
from actors.workers import Worker
from runtime import Engine, set_worker_limit, start_workflow
from runtime.actions import Call

pytestmark = pytest.mark.timeout(60)

FAN = """
version: 1.0
input: [n]
tasks:
  fan:
    with: {items: '{{ range(ctx("n")) | list }}', concurrency: 4}
    action: test.seen
    input: {i: '{{ item() }}'}
"""


@pytest.fixture
def quiet_budget() -> Iterator[None]:
    """A budget with no worker of an earlier test parked in it."""
    old = WORKERS.usage()[1]
    WORKERS.stop_idle()
    yield
    pykka.ActorRegistry.stop_all(block=True, timeout=10)
    WORKERS.stop_idle()
    set_worker_limit(old)


def _recorder() -> tuple[dict[str, Any], list[tuple[str, str, str, int]]]:
    seen: list[tuple[str, str, str, int]] = []

    def seen_action(i: int, *, call: Call) -> int:
        seen.append((threading.current_thread().name, call.execution_id,
                     call.idempotency_key, i))
        return i

    return {"test.seen": seen_action}, seen


def test_a_second_execution_runs_on_the_first_ones_workers_and_sees_only_its_own(
        quiet_budget: None) -> None:
    actions, seen = _recorder()
    first = start_workflow(FAN, {"n": 12}, actions=actions)
    assert first.wait(30).task("fan").result == list(range(12))
    threads_first = {name for name, *_ in seen}
    assert snapshot().idle == len(threads_first) == 4
    seen.clear()
    second = start_workflow(FAN, {"n": 12}, actions=actions)
    assert second.wait(30).task("fan").result == list(range(12))
    assert {name for name, *_ in seen} <= threads_first  # no thread started for it
    assert {execution for _, execution, _, _ in seen} == {second.execution_id}
    assert all(second.execution_id in key and first.execution_id not in key
               for _, _, key, _ in seen)


def test_a_worker_stopped_by_a_cancel_is_never_handed_out_again(quiet_budget: None) -> None:
    actions, _seen = _recorder()
    assert start_workflow(FAN, {"n": 4}, actions=actions).wait(30).status == "succeeded"
    started: queue.SimpleQueue[str] = queue.SimpleQueue()
    release = threading.Event()

    def block(i: int) -> int:
        started.put(threading.current_thread().name)
        release.wait(30)
        return i

    text = FAN.replace("test.seen", "test.block")
    handle = start_workflow(text, {"n": 8}, actions={"test.block": block})
    stuck = {started.get(timeout=10) for _ in range(4)}  # all four reused workers busy
    handle.cancel()
    assert handle.wait(30).status == "canceled"
    release.set()
    assert snapshot().in_flight == 0
    after, seen = _recorder()
    assert start_workflow(FAN, {"n": 8}, actions=after).wait(30).task("fan").result \
        == list(range(8))
    assert not {name for name, *_ in seen} & stuck


def test_two_runs_of_one_execution_share_workers_through_the_budget(
        quiet_budget: None) -> None:
    actions, seen = _recorder()
    text = """
version: 1.0
tasks:
  a:
    with: {items: '{{ range(6) | list }}', concurrency: 3}
    action: test.seen
    input: {i: '{{ item() }}'}
    next: [{do: b}]
  b:
    with: {items: '{{ range(6, 12) | list }}', concurrency: 3}
    action: test.seen
    input: {i: '{{ item() }}'}
"""
    result = start_workflow(text, actions=actions).wait(30)
    assert result.task("b").result == list(range(6, 12))
    by_item = {i: name for name, _, _, i in seen}
    assert {by_item[i] for i in range(6, 12)} <= {by_item[i] for i in range(6)}


def test_closing_an_engine_stops_the_idle_workers(quiet_budget: None) -> None:
    actions, _seen = _recorder()
    with Engine(store="memory://", actions=actions, max_attempts=5) as engine:
        assert engine.start_workflow(FAN, {"n": 8}).wait(30).status == "succeeded"
        capacity = engine.capacity()
        assert isinstance(capacity, Capacity)
        assert (capacity.limit, capacity.in_flight, capacity.queued, capacity.idle) \
            == (5, 0, 0, 4)
    assert snapshot().idle == 0
    assert pykka.ActorRegistry.get_by_class(Worker) == []


def test_a_lower_limit_stops_idle_workers_beyond_it(quiet_budget: None) -> None:
    actions, _seen = _recorder()
    assert start_workflow(FAN, {"n": 8}, actions=actions).wait(30).status == "succeeded"
    assert snapshot().idle == 4
    set_worker_limit(2)
    assert snapshot().idle == 2
