"""The Engine through its public API, on a memory store: durable starts, reading back,
and recovery after the engine stopped mid-run (its supervisors abandoned, as a crash leaves
them: nothing more is journaled)."""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import ActionFailed, Engine
from runtime.actions import idempotent
from runtime.errors import ExecutionNotRunning, UnknownExecution
from runtime.status import TaskStatus, WorkflowStatus
from runtime.store import MemoryStore
from runtime.store.entries import AttemptStarted
from tests.store.conftest import _backend

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Where the engines of one test keep their executions (reopened by each engine):
    memory, a SQLite file, a PostgreSQL schema of its own (``ENGINE_TEST_PG_DSN``)."""
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'troupe.db'}"
    else:
        made = _backend("postgres", tmp_path)
        yield made.make_url()
        made.close()


def _status(store: Any, execution_id: str) -> str:
    with Engine(store=store) as engine:
        [row] = [r for r in engine.list().executions if r.id == execution_id]
        return row.status

CHAIN = textwrap.dedent("""\
    version: 1.0
    input: [n]
    tasks:
      first:
        action: t.step
        input: {value: '{{ ctx().n }}'}
        next:
          - publish: [x: '{{ result() }}']
            do: fan
      fan:
        with: i in {{ range(ctx().x) }}
        action: t.step
        input: {value: '{{ item("i") }}'}
        next:
          - publish: [items: '{{ result() }}']
            do: last
      last:
        action: t.step
        input: {value: '{{ (ctx().items | length) * 10 }}'}
    output:
      - items: '{{ ctx().items }}'
""")


class Gate:
    """An action that blocks its calls once ``closed``, until ``open()``; counts calls."""

    def __init__(self, *, idempotent: bool) -> None:
        self.calls: list[Any] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.block_on: Any = None
        self.idempotent = idempotent

    def __call__(self, value: Any) -> Any:
        self.calls.append(value)
        if self.block_on is not None and value == self.block_on:
            self.entered.set()
            self.release.wait(30)
        return value


def _actions(gate: Gate) -> dict[str, Any]:
    return {"t.step": idempotent(gate) if gate.idempotent else gate}


def test_a_durable_run_is_read_back_from_the_store(store: Any) -> None:
    gate = Gate(idempotent=True)
    with Engine(store=store, actions=_actions(gate)) as engine:
        handle = engine.start_workflow(CHAIN, {"n": 3})
        result = handle.wait(timeout=30)
        assert result.status is WorkflowStatus.SUCCEEDED
        assert result.output == {"items": [0, 1, 2]}
        [row] = engine.list().executions
        assert (row.id, row.status) == (handle.execution_id, "succeeded")
        kinds = [type(e).__name__ for e in engine.events(handle.execution_id)]
        assert kinds[0] == "WorkflowRequested" and kinds.count("ActionCompleted") == 5
    with Engine(store=store, actions=_actions(gate)) as engine:
        again = engine.get(handle.execution_id).wait(timeout=5)
        assert (again.status, again.output) == (result.status, result.output)
        assert [(t.name, t.status) for t in again.tasks] == [
            (t.name, t.status) for t in result.tasks]
        with pytest.raises(UnknownExecution):
            engine.get("nope")


def test_what_a_caller_is_told_was_journaled_first() -> None:
    store = MemoryStore()  # read from the listener's thread: the memory store allows it
    told: list[tuple[str, int]] = []

    def on_event(event: Any) -> None:  # runs in the supervisor's thread, after the commit
        told.append((event.kind, len(store.entries(handle.execution_id))))

    with Engine(store=store, actions=_actions(Gate(idempotent=True))) as engine:
        handle = engine.start_workflow(CHAIN, {"n": 2}, on_event=on_event)
        handle.wait(timeout=30)
        assert len(store.entries(handle.execution_id)) > 0
    finished = [n for kind, n in told if kind == "workflow_finished"]
    assert finished == [len(store.entries(handle.execution_id))]
    assert store.execution(handle.execution_id).status == "succeeded"  # type: ignore[union-attr]


def _until_journaled(engine: Engine, execution_id: str, *, run: int) -> None:
    """Wait (bounded) until run ``run``'s completion is in the journal: an idempotent next
    attempt may start before the completion behind it is committed (only non-idempotent
    starts wait for that), and this test needs the completion durable."""
    deadline = threading.Event()
    for _ in range(500):
        if any(type(e).__name__ == "ActionCompleted" and e.run == run
               for e in engine.events(execution_id)):
            return
        deadline.wait(0.01)
    raise AssertionError(f"run {run}'s completion was never journaled")


def _crash_while_blocked(store: Any, gate: Gate, block_on: Any) -> str:
    """Start CHAIN, wait until ``block_on``'s call runs, then stop the engine abandoning it."""
    gate.block_on = block_on
    gate.release.clear()
    engine = Engine(store=store, actions=_actions(gate))
    handle = engine.start_workflow(CHAIN, {"n": 3})
    assert gate.entered.wait(30)
    _until_journaled(engine, handle.execution_id, run=0)  # `first` is durably complete
    engine.close(drain_timeout=0)  # the supervisor is abandoned: nothing more is journaled
    gate.block_on = None
    gate.release.set()
    return handle.execution_id


def test_recovery_resends_idempotent_attempts_and_reruns_no_completed_task(store: Any) -> None:
    gate = Gate(idempotent=True)
    execution_id = _crash_while_blocked(store, gate, block_on=1)
    assert _status(store, execution_id) == "running"
    with Engine(store=store, actions=_actions(gate)) as engine:
        with pytest.raises(ExecutionNotRunning):
            engine.get(execution_id)
        gate.calls.clear()
        [handle] = engine.recover()
        result = handle.wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED
    assert result.output == {"items": [0, 1, 2]}
    assert 3 not in gate.calls  # `first` completed before the stop: not called again
    assert gate.calls.count(1) == 1  # the attempt in flight is sent again, once
    assert _status(store, execution_id) == "succeeded"


def test_recovery_ends_a_started_non_idempotent_attempt_as_outcome_unknown(store: Any) -> None:
    gate = Gate(idempotent=False)
    execution_id = _crash_while_blocked(store, gate, block_on=1)
    started = [e for e in Engine(store=store).events(execution_id)
               if isinstance(e, AttemptStarted)]
    assert started  # the fence: every started attempt was journaled before it ran
    with Engine(store=store, actions=_actions(gate)) as engine:
        gate.calls.clear()
        [handle] = engine.recover()
        result = handle.wait(timeout=30)
    assert gate.calls.count(1) == 0  # never run again blindly
    [unknown] = [e for e in result.errors if e.item == 1]
    assert (unknown.kind, unknown.task, unknown.handled_by) == (
        "outcome_unknown", "fan", "next[0] -> last")
    assert [t.status for t in result.tasks if t.name == "fan"] == [TaskStatus.FAILED]
    assert result.status is WorkflowStatus.SUCCEEDED  # its transition has no `when`


def test_a_timer_survives_the_stop_with_the_time_it_had_left() -> None:
    text = textwrap.dedent("""\
        version: 1.0
        tasks:
          later:
            delay: 0.3
            action: core.noop
    """)
    store = MemoryStore()
    engine = Engine(store=store)
    handle = engine.start_workflow(text)
    engine.wait_recorded(handle.execution_id)  # its record and timer are durable
    engine.close(drain_timeout=0)
    with Engine(store=store) as again:
        [recovered] = again.recover()
        assert recovered.execution_id == handle.execution_id
        result = recovered.wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED
    assert [t.name for t in result.tasks] == ["later"]


def test_a_failed_action_recovers_as_it_was() -> None:
    def fail(value: Any) -> None:
        raise ActionFailed("no")

    store = MemoryStore()
    with Engine(store=store, actions={"t.step": fail}) as engine:
        result = engine.start_workflow(CHAIN, {"n": 1}).wait(timeout=30)
        assert result.status is WorkflowStatus.FAILED
        assert engine.recover() == []
