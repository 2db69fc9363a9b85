"""Results kept in Ray's object store: a 1 MB result stays there (the context and the journal
hold only its record), a downstream Ray task receives the value, the output holds the
record, and a reference from before an engine restart fails its task ``result_lost``."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from actors.remote import connect
from runtime import Engine
from runtime.actions import idempotent
from runtime.events import ActionCompleted
from runtime.executors import ExecutorChoice
from runtime.executors.kept import json_size, record_id
from runtime.status import WorkflowStatus
from runtime.store import MemoryStore
from runtime.values import thaw

pytestmark = [pytest.mark.ray, pytest.mark.timeout(240)]

SIZE = 1_000_000

CHAIN = f"""
version: 1.0
tasks:
  make:
    action: python:tests.ray.actions:blob
    input: {{n: {SIZE}}}
    executor: ray
    next: [{{do: gate, publish: [made: "{{{{ result() }}}}"]}}]
  gate:
    action: gate
    next: [{{do: use}}]
  use:
    action: python:tests.ray.actions:measure
    input: {{data: "{{{{ ctx('made') }}}}"}}
    executor: ray
    next: [{{publish: [used: "{{{{ result() }}}}"]}}]
output:
  - made: "{{{{ ctx('made') }}}}"
  - used: "{{{{ ctx('used') }}}}"
"""

OPEN = threading.Event()
"""Lets ``gate`` through (set: at once)."""
ENTERED = threading.Event()


@idempotent
def gate() -> int:
    """A local task between the two Ray ones: waits for :data:`OPEN`."""
    ENTERED.set()
    OPEN.wait(120)
    return 1


def _completions(engine: Engine, execution_id: str) -> list[Any]:
    return [thaw(e.result) for e in engine.events(execution_id)
            if isinstance(e, ActionCompleted)]


def test_a_big_result_stays_in_the_store_and_reaches_the_next_ray_task(
        ray_session: Any) -> None:
    OPEN.set()
    with Engine(store=MemoryStore(), actions={"gate": gate},
                ray_result_threshold="64KiB") as engine:
        handle = engine.start_workflow(CHAIN)
        result = handle.wait(timeout=200)
        completions = _completions(engine, handle.execution_id)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    made = result.output["made"]
    assert record_id(made) is not None and made["size"] == SIZE + 2  # the JSON string
    assert json_size(made) < 100  # the context holds the record only
    assert result.output["used"] == {"type": "str", "length": SIZE}  # the value, on Ray
    assert made in completions  # journaled as the record
    assert max(len(json.dumps(c)) for c in completions) < 1000
    kept = connect(ExecutorChoice(kind="ray")).kept  # type: ignore[attr-defined]
    assert kept.scopes == {}  # released when the execution ended


def test_a_reference_from_before_a_restart_is_result_lost(ray_session: Any) -> None:
    OPEN.clear()
    ENTERED.clear()
    store = MemoryStore()
    engine = Engine(store=store, actions={"gate": gate}, ray_result_threshold=1000)
    first = engine.start_workflow(CHAIN)
    assert ENTERED.wait(200)  # make is done: its record is in the context
    engine.close(drain_timeout=0)  # abandoned, as a crash leaves it
    OPEN.set()
    with Engine(store=store, actions={"gate": gate}, ray_result_threshold=1000) as again:
        [handle] = again.recover()
        assert handle.execution_id == first.execution_id
        result = handle.wait(timeout=120)
    assert result.status is WorkflowStatus.FAILED
    assert [(e.kind, e.task) for e in result.errors] == [("result_lost", "use")]
