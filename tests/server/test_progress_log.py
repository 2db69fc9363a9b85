"""The progress log derived from a journal holds exactly the events the live execution
told its listeners, in the same order (so its numbering is the one a client saw live)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime import ActionFailed, Engine
from runtime.masking import Masker
from runtime.progress import ProgressEvent
from runtime.server.progress_log import ProgressLog
from runtime.spec import load_workflow

pytestmark = pytest.mark.timeout(120)

FLOW = textwrap.dedent("""\
    version: 1.0
    input: [values]
    tasks:
      fan:
        with: v in {{ ctx().values }}
        action: t.step
        input: {value: '{{ item("v") }}'}
        retry: {count: 1}
        next:
          - when: '{{ succeeded() }}'
            publish: [out: '{{ result() }}']
            do: after
          - when: '{{ failed() }}'
            do: after
      after:
        action: core.echo message=done
    output:
      - out: '{{ ctx("out") }}'
    """)


def _step(value: int) -> int:
    if value % 3 == 0:
        raise ActionFailed(f"refused {value}")
    return value * 2


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(values=st.lists(st.integers(min_value=0, max_value=9), max_size=6))
def test_the_log_replays_what_listeners_were_told(tmp_path_factory: Any,
                                                  values: list[int]) -> None:
    store = f"sqlite:///{tmp_path_factory.mktemp('log') / 'troupe.db'}"
    told: list[ProgressEvent] = []
    with Engine(store=store, actions={"t.step": _step}) as engine:
        handle = engine.start_workflow(FLOW, {"values": values}, on_event=told.append)
        handle.wait(timeout=60)
        row = engine.record(handle.execution_id)
        assert row is not None
        log = ProgressLog(row.id, load_workflow(row.text), Masker())
        entries = engine.journal(row.id)
    half = len(entries) // 2
    assert log.feed(entries[:half]) + log.feed(entries) == len(log.events)  # incremental
    assert [e.event for e in log.events] == told
    assert [e.id for e in log.events] == list(range(1, len(told) + 1))
    assert log.finished and log.seq == entries[-1].seq


def test_a_log_masks_with_its_masker(tmp_path: Path) -> None:
    with Engine(store=f"sqlite:///{tmp_path / 'troupe.db'}",
                actions={"t.step": _step}) as engine:
        single = "version: 1.0\ntasks:\n  one:\n    action: t.step value=3\n"
        handle = engine.start_workflow(single)
        handle.wait(timeout=60)
        row = engine.record(handle.execution_id)
        assert row is not None
        log = ProgressLog(row.id, load_workflow(row.text), Masker(["refused 3"]))
        log.feed(engine.journal(row.id))
    errors = [e.event.error for e in log.events if e.event.error]
    assert errors and all("refused 3" not in error for error in errors)
