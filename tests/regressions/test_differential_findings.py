"""Disagreements the differential test (tests/reference/) found, one test each."""

from __future__ import annotations

import pytest

from runtime.driver import mock_outcomes, run_sync
from runtime.spec import load_workflow
from runtime.status import Outcome, TaskStatus, WorkflowStatus

pytestmark = pytest.mark.timeout(30)


def test_a_with_items_task_made_ready_with_fail_runs_its_items() -> None:
    """``do: [fail, b]`` runs ``b`` (run-on-fail) even when ``b`` is a with-items task: its
    items are released although the workflow is failing (it was canceled unrun)."""
    record = run_sync(load_workflow("""
version: 1.0
tasks:
  a:
    action: core.noop
    next: [{do: [fail, b]}]
  b:
    action: core.noop
    with: {items: '{{ [1, 2, 3] }}', concurrency: 2}
"""), {}, mock_outcomes({}))
    assert record.state.status is WorkflowStatus.FAILED
    b = next(r for r in record.state.runs if r.task == "b")
    assert b.status is TaskStatus.SUCCEEDED
    assert b.items is not None and b.items.done == 3


def test_an_attune_join_counts_inbound_tasks_completed_without_firing_to_it() -> None:
    """Attune's ``join: N`` counts the inbound tasks already completed (dsl.md 2.6), not only
    those whose transition to the join fired: ``a`` succeeds without going to ``j`` (its
    ``when`` is false), ``b`` goes to ``j``; 2 inbound tasks are complete, so ``j`` runs."""
    record = run_sync(load_workflow("""
version: "1.0.0"
vars: {go: false}
tasks:
  - name: a
    action: core.noop
    next: [{when: "{{ workflow.go }}", do: [j]}]
  - name: b
    action: core.noop
    next: [{do: [j]}]
  - name: j
    action: core.noop
    join: 2
"""), {}, mock_outcomes({}))
    assert record.state.status is WorkflowStatus.SUCCEEDED
    assert [r.task for r in record.state.runs if r.status is TaskStatus.SUCCEEDED] == [
        "a", "b", "j"]


def test_an_empty_with_items_start_task_ends_after_every_start_task_is_dispatched() -> None:
    """A with-items task of no items ends as its own step (dsl.md 1.8): ``a`` (no items,
    then ``fail``) does not keep ``b``, a start task listed after it, from running."""
    record = run_sync(load_workflow("""
version: 1.0
tasks:
  a:
    action: core.noop
    with: {items: '{{ [] }}'}
    next: [{do: fail}]
  b:
    action: core.noop
    with: {items: '{{ [1, 2] }}'}
"""), {}, mock_outcomes({}))
    assert record.state.status is WorkflowStatus.FAILED
    b = next(r for r in record.state.runs if r.task == "b")
    assert b.status is TaskStatus.SUCCEEDED
    assert b.items is not None and b.items.done == 2


def test_orquesta_items_go_on_being_released_while_others_are_in_flight_after_a_failure() -> None:
    """dsl.md 1.8: after an item fails, items are still released while other items are
    active; the run stops (failed) once none is. Items 0 and 1 start; 0 fails while 1 runs,
    so 2 is released (it was left unrun)."""
    defn = load_workflow("""
version: 1.0
tasks:
  fan:
    with: {items: '{{ range(4) | list }}', concurrency: 2}
    action: core.noop
""")
    record = run_sync(defn, {}, lambda cmd: (Outcome.FAILED, None) if cmd.item == 0
                      else (Outcome.SUCCEEDED, cmd.item))
    fan = record.state.runs[0]
    assert fan.status is TaskStatus.FAILED
    assert fan.items is not None and list(fan.items.statuses) == [
        "failed", "succeeded", "succeeded", "succeeded"]
