"""The process's worker budget: permits first come first served, never lost."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pykka
import pytest

from actors.capacity import WORKERS, WorkerBudget
from actors.messages import WorkersGranted
from runtime import set_worker_limit, start_workflow

pytestmark = pytest.mark.timeout(60)


class FakeRef:
    """Stands for a supervisor: records what the budget tells it."""

    def __init__(self, name: str, *, dead: bool = False) -> None:
        self.actor_urn = name
        self.dead = dead
        self.inbox: queue.SimpleQueue[WorkersGranted] = queue.SimpleQueue()

    def tell(self, message: WorkersGranted) -> None:
        if self.dead:
            raise pykka.ActorDeadError(self.actor_urn)
        self.inbox.put(message)

    def granted(self) -> WorkersGranted:
        return self.inbox.get(timeout=10)

    def nothing_yet(self, budget: WorkerBudget) -> bool:
        budget.usage()  # every request sent before this one was handled
        return self.inbox.empty()


def test_requests_are_granted_up_to_the_limit_and_queue_beyond_it() -> None:
    budget = WorkerBudget(3)
    a, b = FakeRef("a"), FakeRef("b")
    budget.request(a, run=1, count=2)
    assert a.granted() == WorkersGranted(run=1, count=2)
    budget.request(b, run=7, count=4)
    assert b.granted() == WorkersGranted(run=7, count=1)  # what is left
    budget.request(b, run=7, count=3)
    assert b.nothing_yet(budget)
    assert budget.usage() == (3, 3, 1)
    budget.release(a, run=1, count=2)
    assert b.granted() == WorkersGranted(run=7, count=2)
    assert budget.usage() == (3, 3, 0)


def test_a_held_group_is_granted_nothing_and_its_quiet_comes_when_it_gave_all_back() -> None:
    budget = WorkerBudget(2)
    a, b, c = FakeRef("a"), FakeRef("b"), FakeRef("c")
    budget.request(a, run=1, count=1, group="e1")
    assert a.granted() == WorkersGranted(run=1, count=1)
    assert budget.hold("e1") == [a]  # the holder with permits, to be told
    quiet = budget.quiet("e1")
    budget.request(b, run=2, count=1, group="e1")  # a new execution of the held engine
    budget.request(c, run=3, count=1, group="e2")  # another engine's: granted past it
    assert c.granted() == WorkersGranted(run=3, count=1)
    assert b.nothing_yet(budget)
    with pytest.raises(pykka.Timeout):
        quiet.get(timeout=0)  # a still holds its permit
    budget.release(a, run=1, count=1)
    assert quiet.get(timeout=10) is None  # e1 holds nothing any more
    budget.release(c, run=3, count=1)
    assert b.nothing_yet(budget)  # permits are free, the hold stays
    assert budget.usage() == (0, 2, 1)


def test_release_all_takes_back_grants_and_drops_requests_of_a_holder() -> None:
    budget = WorkerBudget(2)
    a, b = FakeRef("a"), FakeRef("b")
    budget.request(a, run=1, count=2)
    a.granted()
    budget.request(a, run=2, count=1)  # waits
    budget.request(b, run=1, count=1)  # waits behind a
    budget.release_all(a)  # a ended: its grants and its waiting request go
    assert b.granted() == WorkersGranted(run=1, count=1)
    assert a.nothing_yet(budget)
    assert budget.usage() == (1, 2, 0)


def test_a_holder_that_died_while_waiting_books_nothing() -> None:
    budget = WorkerBudget(1)
    holder, dead, later = FakeRef("holder"), FakeRef("dead", dead=True), FakeRef("later")
    budget.request(holder, run=1, count=1)
    holder.granted()
    budget.request(dead, run=1, count=1)
    budget.request(later, run=1, count=1)
    budget.release(holder, run=1, count=1)
    assert later.granted() == WorkersGranted(run=1, count=1)
    assert budget.usage() == (1, 1, 0)


def test_giving_back_more_than_was_held_is_ignored() -> None:
    budget = WorkerBudget(2)
    a = FakeRef("a")
    budget.request(a, run=1, count=1)
    a.granted()
    budget.release(a, run=1, count=5)
    budget.release(a, run=9, count=1)
    assert budget.usage() == (0, 2, 0)


def test_limits_below_one_are_refused() -> None:
    with pytest.raises(ValueError):
        WorkerBudget(0)
    with pytest.raises(ValueError):
        WorkerBudget(1).set_limit(0)
    with pytest.raises(ValueError):
        set_worker_limit(-3)


FAN = """
version: 1.0
input: [n, c]
tasks:
  fan:
    with: {{items: '{{{{ range(ctx("n")) | list }}}}', concurrency: '{{{{ ctx("c") }}}}'}}
    action: {action}
    {extra}
"""


def test_executions_share_the_limit_and_every_item_runs(worker_limit: Any) -> None:
    worker_limit(3)
    marks: queue.SimpleQueue[int] = queue.SimpleQueue()
    together = threading.Barrier(3)  # items go in threes: the limit is reached every time

    def work(i: int) -> int:
        marks.put(+1)
        together.wait(10)
        marks.put(-1)
        return i

    text = FAN.format(action="test.work", extra="input: {i: '{{ item() }}'}")
    handles = [start_workflow(text, {"n": 6, "c": 4}, actions={"test.work": work})
               for _ in range(3)]
    results = [h.wait(30) for h in handles]
    assert [str(r.status) for r in results] == ["succeeded"] * 3
    assert all(r.task("fan").result == list(range(6)) for r in results)
    running, peak = 0, 0
    while not marks.empty():
        running += marks.get()
        peak = max(peak, running)
    assert peak == 3  # 3 executions x concurrency 4, 3 workers in the whole process
    assert WORKERS.usage() == (0, 3, 0)


class Holder:
    """An execution whose item holds a worker (the only one, under limit 1) until released."""

    def __init__(self, items: int = 1) -> None:
        self.started, self.released = threading.Event(), threading.Event()

        def hold() -> str:
            self.started.set()
            self.released.wait(10)
            return "held"

        self.handle = start_workflow(FAN.format(action="test.hold", extra=""),
                                     {"n": items, "c": 1}, actions={"test.hold": hold})
        assert self.started.wait(10)

    def finish(self) -> None:
        self.released.set()
        assert str(self.handle.wait(10).status) == "succeeded"


def test_an_item_waiting_for_a_worker_is_not_timed_out_by_the_wait(worker_limit: Any) -> None:
    worker_limit(1)
    holder = Holder()
    second = start_workflow(FAN.format(action="core.noop", extra="timeout: 0.2"),
                            {"n": 1, "c": 1})
    assert second.status == "running"
    holder.released.wait(0.5)  # longer than the second item's timeout, while it waits
    holder.finish()
    result = second.wait(10)
    assert str(result.status) == "succeeded", result.errors


def test_canceling_an_execution_whose_items_wait_gives_nothing_away(worker_limit: Any) -> None:
    worker_limit(1)
    holder = Holder(items=2)
    second = start_workflow(FAN.format(action="core.noop", extra=""), {"n": 3, "c": 2})
    second.cancel()
    assert str(second.wait(10).status) == "canceled"
    holder.finish()
    assert WORKERS.usage() == (0, 1, 0)


def test_the_trace_shows_a_pool_asking_for_workers_and_getting_them(
        worker_limit: Any, tmp_path: Any) -> None:
    import json

    worker_limit(1)
    path = tmp_path / "run.jsonl"
    result = start_workflow(FAN.format(action="core.noop", extra=""), {"n": 3, "c": 2},
                            trace=str(path)).wait(10)
    assert str(result.status) == "succeeded"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    asked = [ln for ln in lines if ln["event"] == "workers.requested"]
    granted = [ln for ln in lines if ln["event"] == "workers.granted"]
    assert asked and asked[0]["task"] == "fan" and asked[0]["count"] == 2
    assert granted and granted[0]["count"] == 1 and granted[0]["held"] == 1
    received = [ln for ln in lines if ln["event"] == "message.received"
                and ln["msg"] == "WorkersGranted"]
    assert received and received[0]["sender"] == "workers"


def test_a_cancel_that_lets_attempts_finish_does_not_start_waiting_items(worker_limit: Any) -> None:
    """Attune's allow_finish: running attempts finish, attempts waiting for a worker never
    start (they end canceled at once)."""
    worker_limit(1)
    ran: queue.SimpleQueue[int] = queue.SimpleQueue()

    def note(i: int) -> int:
        ran.put(i)
        return i

    holder = Holder()
    second = start_workflow("""
version: "1.0.0"
tasks:
  - name: fan
    action: test.note
    with_items: "{{ range(4) }}"
    concurrency: 2
    input: {i: "{{ item }}"}
""", actions={"test.note": note})
    second.cancel()
    result = second.wait(10)
    assert str(result.status) == "canceled"
    assert ran.empty()  # the first workflow still held the only worker
    holder.finish()
    assert ran.empty()


def test_pausing_gives_back_items_waiting_for_a_worker_and_resume_sends_them(
        worker_limit: Any) -> None:
    """Waiting items never started: a pause does not wait for them (the workflow pauses
    while another execution still holds the only worker), and a resume sends them again."""
    worker_limit(1)
    holder = Holder()
    second = start_workflow(
        FAN.format(action="troupe.echo", extra="input: {message: '{{ item() }}'}"),
        {"n": 3, "c": 2}, events=True)
    second.pause()
    kinds = []
    for event in second.events(timeout=10):
        kinds.append(event.kind)
        if event.kind == "workflow_paused":
            break
    assert kinds[-1] == "workflow_paused" and "item_finished" not in kinds
    assert second.status == "paused"
    second.resume()
    holder.finish()
    result = second.wait(10)
    assert str(result.status) == "succeeded", result.errors
    assert result.task("fan").result == [0, 1, 2]
