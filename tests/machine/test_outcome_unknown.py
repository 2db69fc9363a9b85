"""``Outcome.UNKNOWN``: an attempt that started before a crash and left no outcome.

It is fed to the machine as ``ActionCompleted(outcome=Outcome.UNKNOWN)`` (what recovery does
for a non-idempotent attempt); the machine treats it as a failure whose error record has
kind ``outcome_unknown``.
"""

from __future__ import annotations

from typing import Any

import pytest

from runtime.commands import RunAction, TaskRetrying
from runtime.driver import SyncRun, mock_outcomes, run_sync
from runtime.events import ActionCompleted, WorkflowRequested
from runtime.machine import advance, initial_state
from runtime.spec import load_workflow
from runtime.status import Outcome, TaskStatus, WorkflowStatus
from runtime.values import thaw

pytestmark = pytest.mark.timeout(30)

UNKNOWN = (Outcome.UNKNOWN, None)


def run(text: str, table: dict[str, Any]) -> SyncRun:
    return run_sync(load_workflow(text), {}, mock_outcomes(table))


def kinds(record: SyncRun) -> list[tuple[str, str | None, int | None]]:
    return [(e.kind, e.task, e.item) for e in record.state.errors]


def test_unknown_is_a_failed_task_status() -> None:
    """The outcome's task status is FAILED, so failed() holds and retries apply."""
    assert Outcome.UNKNOWN.task_status is TaskStatus.FAILED
    assert Outcome("unknown") is Outcome.UNKNOWN


def test_a_plain_task_fails_with_outcome_unknown_through_advance() -> None:
    """Fed to advance directly: the run fails and the error record says outcome_unknown."""
    defn = load_workflow("version: 1.0\ntasks:\n  charge:\n    action: core.local cmd=x\n")
    state, commands = advance(initial_state(defn), WorkflowRequested(execution_id="e"))
    (sent,) = [c for c in commands if isinstance(c, RunAction)]
    state, _ = advance(state, ActionCompleted(run=sent.run, attempt=sent.attempt,
                                              outcome=Outcome.UNKNOWN))
    assert state.status is WorkflowStatus.FAILED
    assert state.runs[0].status is TaskStatus.FAILED
    (error,) = state.errors
    assert (error.kind, error.task, error.item, error.run) == ("outcome_unknown", "charge",
                                                               None, 0)
    assert error.message  # a default message says what happened
    state, _ = advance(state, ActionCompleted(run=0, attempt=1, outcome=Outcome.UNKNOWN,
                                              error="engine stopped while it ran"))
    assert len(state.errors) == 1  # a late report of a finished run changes nothing


def test_the_given_error_is_the_message() -> None:
    """An error text given with the outcome is the record's message."""
    defn = load_workflow("version: 1.0\ntasks:\n  t:\n    action: core.local cmd=x\n")
    state, _ = advance(initial_state(defn), WorkflowRequested(execution_id="e"))
    state, _ = advance(state, ActionCompleted(run=0, attempt=1, outcome=Outcome.UNKNOWN,
                                              error="engine stopped while it ran"))
    assert state.errors[0].message == "engine stopped while it ran"


def test_an_item_with_unknown_outcome_fails_that_item_only() -> None:
    """Item 1's outcome is unknown: it fails with outcome_unknown, the others succeed."""
    record = run("""
version: 1.0
tasks:
  fan:
    with: '{{ [1, 2, 3] }}'
    action: core.local cmd="echo {{ item() }}"
""", {"fan": lambda c: UNKNOWN if c.item == 1 else (Outcome.SUCCEEDED, c.item)})
    assert record.status is WorkflowStatus.FAILED
    assert kinds(record) == [("outcome_unknown", "fan", 1)]
    items = record.state.runs[0].items
    assert items is not None
    assert list(items.statuses) == ["succeeded", "failed", "succeeded"]


def test_a_failed_transition_routes_it() -> None:
    """failed() is true for it: the workflow handles it like any failure."""
    record = run("""
version: 1.0
tasks:
  charge:
    action: core.local cmd=x
    next:
      - when: '{{ failed() }}'
        publish: why={{ result() }}
        do: reconcile
      - when: '{{ succeeded() }}'
        do: done
  reconcile:
    action: core.echo message=check
  done:
    action: core.noop
""", {"charge": UNKNOWN})
    assert record.status is WorkflowStatus.SUCCEEDED
    ran = [r.task for r in record.state.runs]
    assert ran == ["charge", "reconcile"]
    (error,) = record.state.errors
    assert error.kind == "outcome_unknown"
    assert error.handled_by is not None


@pytest.mark.parametrize("retry", [
    "retry: {count: 2}",
    "retry: {count: 2, when: \"{{ failed() }}\"}",
])
def test_a_retry_applies_to_it(retry: str) -> None:
    """A retry on failure (by default or with `when`) sends a new attempt."""
    record = run(f"""
version: 1.0
tasks:
  charge:
    action: core.local cmd=x
    {retry}
""", {"charge": lambda c: UNKNOWN if c.attempt == 1 else (Outcome.SUCCEEDED, "paid")})
    assert record.status is WorkflowStatus.SUCCEEDED, record.state.errors
    retried = [c for c in record.commands if isinstance(c, TaskRetrying)]
    assert [(c.attempt, c.reason) for c in retried] == [(2, "failed")]
    assert thaw(record.state.runs[0].result) == "paid"
    assert kinds(record) == [("outcome_unknown", "charge", None)]


def test_a_retry_of_an_item_applies_to_it() -> None:
    """An item's unknown attempt is retried as a failed one, and the item then succeeds."""
    record = run("""
version: 1.0
tasks:
  fan:
    with: '{{ [1, 2] }}'
    action: core.local cmd="echo {{ item() }}"
    retry:
      count: 1
      when: '{{ failed() }}'
""", {"fan": lambda c: UNKNOWN if (c.item, c.attempt) == (0, 1)
      else (Outcome.SUCCEEDED, c.item)})
    assert record.status is WorkflowStatus.SUCCEEDED
    assert kinds(record) == [("outcome_unknown", "fan", 0)]
    assert thaw(record.state.runs[0].result) == [0, 1]


def test_attune_retry_on_its_default_statuses_applies() -> None:
    """Attune's retry (on ``failed`` and ``timed_out`` statuses) retries it too."""
    record = run("""
version: "1.0.0"
ref: t.charge
tasks:
  - name: charge
    action: core.local
    input: {cmd: x}
    retry: {count: 1}
""", {"charge": lambda c: UNKNOWN if c.attempt == 1 else (Outcome.SUCCEEDED, "ok")})
    assert record.status is WorkflowStatus.SUCCEEDED, record.state.errors
    assert kinds(record) == [("outcome_unknown", "charge", None)]
