"""Size guards in the machine: results and publishes measured against the execution's limits."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.commands import RunAction, SizeWarning, TaskRetrying
from runtime.driver import SyncRun, mock_outcomes
from runtime.events import ActionCompleted, Event, WorkflowRequested
from runtime.limits import Limits, json_size
from runtime.machine import advance, initial_state, replay
from runtime.spec import load_workflow
from runtime.status import Outcome, TaskStatus, WorkflowStatus
from runtime.values import thaw

pytestmark = pytest.mark.timeout(30)

BIG = "x" * 98  # 100 bytes of JSON
OFF = Limits(result_warn_bytes=0, result_max_bytes=0, context_warn_bytes=0,
             context_max_bytes=0)


def drive(text: str, limits: Limits, table: dict[str, Any]) -> tuple[SyncRun, list[Event]]:
    """Run ``text`` through advance, answering every attempt from ``table`` (no timers)."""
    defn = load_workflow(text)
    answer = mock_outcomes(table)
    record = SyncRun(state=initial_state(defn))
    events: list[Event] = [WorkflowRequested(execution_id="e", limits=limits)]
    while events:
        event = events.pop(0)
        record.events.append(event)
        record.state, commands = advance(record.state, event)
        record.commands.extend(commands)
        for command in commands:
            if isinstance(command, RunAction):
                outcome, result = answer(command)
                events.append(ActionCompleted(run=command.run, item=command.item,
                                              attempt=command.attempt, outcome=outcome,
                                              result=result))
    return record, record.events


def warnings(record: SyncRun) -> list[tuple[str, str, int | None, int, int]]:
    return [(c.measure, c.task, c.item, c.size, c.limit) for c in record.commands
            if isinstance(c, SizeWarning)]


ONE = "version: 1.0\ntasks:\n  t:\n    action: my.big\n"


def test_a_result_over_the_limit_fails_its_attempt_and_is_dropped() -> None:
    record, _ = drive(ONE, OFF.but(result_max_bytes=99), {"t": BIG})
    assert record.status is WorkflowStatus.FAILED
    (error,) = record.state.errors
    assert (error.kind, error.task, error.item) == ("result_too_large", "t", None)
    assert thaw(error.result) == {"size": 100, "limit": 99, "limit_name": "result_max_bytes"}
    run = record.state.runs[0]
    assert run.status is TaskStatus.FAILED
    assert thaw(run.result) == thaw(error.result)  # the result itself is not kept
    assert record.state.held_bytes == 0


def test_a_result_at_the_limit_is_kept() -> None:
    record, _ = drive(ONE, OFF.but(result_max_bytes=100), {"t": BIG})
    assert record.status is WorkflowStatus.SUCCEEDED
    assert record.state.runs[0].result == BIG
    assert record.state.held_bytes == 100


def test_zero_turns_the_guards_off() -> None:
    record, _ = drive(ONE, OFF, {"t": "x" * 10_000})
    assert record.status is WorkflowStatus.SUCCEEDED
    assert warnings(record) == []


def test_a_failed_transition_routes_a_result_too_large() -> None:
    record, _ = drive("""
version: 1.0
tasks:
  t:
    action: my.big
    next:
      - when: '{{ failed() }}'
        publish: why={{ result().limit_name }}
        do: fallback
  fallback:
    action: core.echo message="{{ ctx('why') }}"
""", OFF.but(result_max_bytes=50), {"t": BIG})
    assert record.status is WorkflowStatus.SUCCEEDED
    assert record.state.runs[1].result == "result_max_bytes"
    assert record.state.errors[0].handled_by is not None


def test_a_retry_applies_to_it() -> None:
    """A result over the limit is a failure: a retry on failure sends a new attempt."""
    record, _ = drive("""
version: 1.0
tasks:
  t:
    action: my.big
    retry: {count: 1, when: '{{ failed() }}'}
""", OFF.but(result_max_bytes=50), {"t": lambda c: BIG if c.attempt == 1 else "small"})
    assert record.status is WorkflowStatus.SUCCEEDED
    assert [c.attempt for c in record.commands if isinstance(c, TaskRetrying)] == [2]
    assert [e.kind for e in record.state.errors] == ["result_too_large"]


FAN = """
version: 1.0
tasks:
  fan:
    with: '{{ [0, 1, 2] }}'
    action: my.big n={{ item() }}
"""


def test_an_item_over_the_limit_fails_that_item_only() -> None:
    record, _ = drive(FAN, OFF.but(result_max_bytes=99),
                      {"fan": lambda c: BIG if c.item == 1 else c.item})
    assert record.status is WorkflowStatus.FAILED
    assert [(e.kind, e.task, e.item) for e in record.state.errors] == [
        ("result_too_large", "fan", 1)]
    items = record.state.runs[0].items
    assert items is not None
    assert list(items.statuses) == ["succeeded", "failed", "succeeded"]
    assert thaw(items.results[1])["size"] == 100


def test_a_result_over_the_warning_is_kept_and_warned() -> None:
    record, _ = drive(FAN, OFF.but(result_warn_bytes=99),
                      {"fan": lambda c: BIG if c.item == 2 else c.item})
    assert record.status is WorkflowStatus.SUCCEEDED
    assert warnings(record) == [("result", "fan", 2, 100, 99)]
    assert thaw(record.state.runs[0].result) == [0, 1, BIG]


def test_the_execution_total_warns_once_and_fails_the_workflow_past_its_limit() -> None:
    """Results add up; the warning is given when the total crosses it, the failure names
    the task and item whose result passed the limit, and nothing more is started."""
    limits = OFF.but(context_warn_bytes=150, context_max_bytes=250)
    record, _ = drive("""
version: 1.0
tasks:
  fan:
    with: {items: '{{ [0, 1, 2, 3] }}', concurrency: 1}
    action: my.big
""", limits, {"fan": BIG})
    assert record.status is WorkflowStatus.FAILED
    assert warnings(record) == [("execution", "fan", 1, 200, 150)]
    (error,) = record.state.errors
    assert (error.kind, error.task, error.item) == ("result_too_large", "fan", 2)
    assert thaw(error.result) == {"size": 300, "limit": 250, "limit_name": "context_max_bytes"}
    assert record.state.held_bytes == 200
    items = record.state.runs[0].items
    assert items is not None
    assert items.next_index == 3  # item 3 never started


PUBLISH = """
version: 1.0
tasks:
  a:
    action: my.small
    next:
      - publish: [{p: '{{ "y" * 98 }}'}, {q: '{{ "z" * 98 }}'}]
        do: b
  b:
    action: core.noop
"""


def test_published_values_count_and_one_past_the_limit_fails_the_workflow() -> None:
    record, _ = drive(PUBLISH, OFF.but(context_max_bytes=150), {"a": None})
    assert record.status is WorkflowStatus.FAILED
    (error,) = record.state.errors
    assert (error.kind, error.task, error.field) == ("result_too_large", "a",
                                                     "next[0].publish.q")
    assert thaw(error.result) == {"size": 200, "limit": 150,
                                  "limit_name": "context_max_bytes"}
    assert [r.task for r in record.state.runs] == ["a", "b"]
    assert record.state.runs[1].status is TaskStatus.CANCELED  # b never started
    assert "q" not in thaw(record.state.runs[1].ctx.view)


def test_published_values_under_the_limit_are_counted() -> None:
    record, _ = drive(PUBLISH, OFF.but(context_warn_bytes=150), {"a": None})
    assert record.status is WorkflowStatus.SUCCEEDED
    assert record.state.held_bytes == 200
    assert warnings(record) == [("execution", "a", None, 200, 150)]


def test_replay_measures_the_same() -> None:
    """The limits travel in WorkflowRequested: a replay ends in the same state."""
    limits = OFF.but(context_warn_bytes=150, context_max_bytes=250)
    record, events = drive(FAN, limits, {"fan": lambda c: BIG if c.item else 7})
    again = replay(record.state.defn, events)
    assert again == record.state
    assert again.held_bytes == 201
    assert json_size(7) == 1


def test_an_unknown_outcome_with_a_big_result_is_measured_too() -> None:
    """Whatever the outcome, a result over the limit is dropped (kind result_too_large)."""
    record, _ = drive(ONE, OFF.but(result_max_bytes=10), {"t": (Outcome.FAILED, BIG)})
    assert [e.kind for e in record.state.errors] == ["result_too_large"]
