"""Replay is deterministic: cut an execution's journal anywhere, recover, continue, and the
run ends as the uncut one did (status, output, task runs), in both dialects.

The uncut run is journaled once on a memory store; each example copies the execution's
record and the first ``k`` entries of its journal into a fresh store (as a crash after the
``k``-th entry leaves it) and recovers it there. Actions are idempotent and pure, so the
attempts in flight at the cut are simply sent again.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime import Engine
from runtime.actions import idempotent
from runtime.store import Batch, MemoryStore

pytestmark = pytest.mark.timeout(120)


@idempotent
def _double(value: Any = 0) -> Any:
    return value * 2 if isinstance(value, int) else value


ORQUESTA = textwrap.dedent("""\
    version: 1.0
    input: [n]
    tasks:
      start:
        action: t.double
        input: {value: '{{ ctx().n }}'}
        next:
          - when: '{{ succeeded() }}'
            publish: [doubled: '{{ result() }}']
            do: [left, right]
      left:
        with: i in {{ range(ctx().doubled) }}
        action: t.double
        input: {value: '{{ item("i") }}'}
        next:
          - publish: [lefts: '{{ result() }}']
            do: join
      right:
        action: t.double
        input: {value: '{{ ctx().doubled + 1 }}'}
        retry: {count: 2, when: '{{ result() < 0 }}'}
        next:
          - publish: [right: '{{ result() }}']
            do: join
      join:
        join: all
        action: t.double
        input: {value: '{{ ctx().right }}'}
        next:
          - publish: [total: '{{ result() + (ctx().lefts | sum) }}']
    output:
      - total: '{{ ctx().total }}'
      - lefts: '{{ ctx().lefts }}'
""")

ATTUNE = textwrap.dedent("""\
    version: "1.0.0"
    ref: tests.cut
    parameters:
      n: {type: integer, default: 2}
    tasks:
      - name: start
        action: t.double
        input: {value: "{{ parameters.n }}"}
        next:
          - when: "{{ succeeded() }}"
            publish:
              - doubled: "{{ result() }}"
            do: [fan]
      - name: fan
        action: t.double
        with_items: "{{ range(workflow.doubled) }}"
        concurrency: 2
        input: {value: "{{ item }}"}
        next:
          - when: "{{ succeeded() }}"
            do: [last]
      - name: last
        action: t.double
        input: {value: "{{ workflow.doubled }}"}
    output_map:
      doubled: "{{ workflow.doubled }}"
""")

WORKFLOWS = {"orquesta": (ORQUESTA, {"n": 3}), "attune": (ATTUNE, {"n": 2})}


def _summary(result: Any) -> tuple[Any, ...]:
    runs = sorted((t.name, t.route, str(t.status), repr(t.result)) for t in result.tasks)
    return (str(result.status), result.output, runs)


def _uncut(name: str) -> tuple[MemoryStore, str, tuple[Any, ...]]:
    text, params = WORKFLOWS[name]
    store = MemoryStore()
    with Engine(store=store, actions={"t.double": _double}) as engine:
        handle = engine.start_workflow(text, params)
        summary = _summary(handle.wait(timeout=60))
    return store, handle.execution_id, summary


_UNCUT = {name: _uncut(name) for name in WORKFLOWS}


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(WORKFLOWS)), cut=st.floats(min_value=0.0, max_value=1.0))
def test_a_journal_cut_anywhere_recovers_to_the_same_run(name: str, cut: float) -> None:
    store, execution_id, expected = _UNCUT[name]
    row = store.execution(execution_id)
    entries = store.entries(execution_id)
    assert row is not None and entries
    keep = max(1, round(cut * len(entries)))
    crashed = MemoryStore()
    crashed.write(Batch(executions=(replace(row, status="running", finished_at=None,
                                            result=None),),
                        entries=entries[:keep]))
    with Engine(store=crashed, actions={"t.double": _double}) as engine:
        [handle] = engine.recover()
        assert _summary(handle.wait(timeout=60)) == expected
