"""Rerun in the pure core: planning (runtime.machine.rerun.plan_rerun) and the handler,
driven with plain calls: a workflow run synchronously, then a RerunRequested fed to it."""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.commands import RunAction, WorkflowRerun
from runtime.driver import mock_outcomes, run_sync
from runtime.errors import RerunRefused
from runtime.events import (
    ActionCompleted,
    CancelRequested,
    Event,
    PauseRequested,
    RerunRequested,
    RerunTask,
)
from runtime.machine import WorkflowState, advance, replay
from runtime.machine.rerun import plan_rerun, rerun_history
from runtime.spec import load_workflow
from runtime.status import Outcome, TaskStatus, WorkflowStatus
from runtime.store.codec import decode, encode
from runtime.values import freeze, thaw

pytestmark = pytest.mark.timeout(60)

FAIL = (Outcome.FAILED, None)
Action = Callable[[RunAction], tuple[Outcome, Any]]

CHAIN = """
version: 1.0
input: [x]
tasks:
  a:
    action: core.noop
    next: [{when: '{{ succeeded() }}', publish: [{seen: '{{ ctx("x") }}'}], do: b}]
  b:
    action: core.noop
    next: [{when: '{{ succeeded() }}', do: c}]
  c:
    action: core.noop
output:
  - seen: '{{ ctx("seen") }}'
"""


def _ok(command: RunAction) -> tuple[Outcome, Any]:
    return Outcome.SUCCEEDED, thaw(command.input)


def finish(state: WorkflowState, event: Event, action: Action = _ok
           ) -> tuple[WorkflowState, list[Event], list[RunAction], list[Any]]:
    """Feed ``event``, then complete every attempt it leads to (in order) with ``action``:
    the state at the end, the events fed, the attempts sent, every command."""
    events: list[Event] = [event]
    state, commands = advance(state, event)
    seen = list(commands)
    pending = [c for c in commands if isinstance(c, RunAction)]
    sent = list(pending)
    while pending:
        command = pending.pop(0)
        outcome, result = action(command)
        done = ActionCompleted(run=command.run, item=command.item, attempt=command.attempt,
                               outcome=outcome, result=result, at=10.0)
        events.append(done)
        state, commands = advance(state, done)
        seen.extend(commands)
        new = [c for c in commands if isinstance(c, RunAction)]
        pending.extend(new)
        sent.extend(new)
    return state, events, sent, seen


def first_run(text: str, params: dict[str, Any] | None = None,
              table: dict[str, Any] | None = None) -> Any:
    return run_sync(load_workflow(text), params or {}, mock_outcomes(table or {}))


def rerun_event(number: int = 1, tasks: tuple[RerunTask, ...] = (),
                reset: tuple[str, ...] = (), **params: Any) -> RerunRequested:
    return RerunRequested(number=number, tasks=tasks, reset=reset, parameters=freeze(params),
                          changed=tuple(sorted(params)), at=5.0)


def test_only_a_finished_execution_is_rerun() -> None:
    """A running (or paused) execution is refused, with its status."""
    defn = load_workflow(CHAIN)
    record = run_sync(defn, {"x": 1}, lambda c: (None, None), max_events=3)  # type: ignore
    assert record.status is WorkflowStatus.RUNNING
    with pytest.raises(RerunRefused) as refused:
        plan_rerun(record.state)
    assert refused.value.status == "running"
    paused, _ = advance(record.state, PauseRequested(at=1.0))
    with pytest.raises(RerunRefused):
        plan_rerun(paused)
    unchanged, commands = advance(record.state, rerun_event())
    assert commands == () and unchanged is record.state


def test_without_tasks_every_failed_unremediated_task_reruns_and_what_it_leads_to() -> None:
    """b failed: it reruns, then c (its transition); a keeps its record and is not called."""
    record = first_run(CHAIN, {"x": 1}, {"b": FAIL})
    assert record.status is WorkflowStatus.FAILED
    assert [r.task for r in plan_rerun(record.state)] == ["b"]
    state, _, sent, seen = finish(record.state, rerun_event())
    assert [c.task for c in sent] == ["b", "c"]
    assert state.status is WorkflowStatus.SUCCEEDED
    assert not state.errors  # the rerun task's error is cleared
    assert thaw(state.output) == {"seen": 1}  # a's published value is kept
    assert [r.status for r in state.runs if r.task == "a"] == [TaskStatus.SUCCEEDED]
    assert any(isinstance(c, WorkflowRerun) for c in seen)
    assert rerun_history(state) == [{"number": 1, "tasks": [
        {"task": "b", "route": 0, "run": 2, "rerun_of": 1}], "reset": [],
        "parameters": [], "requested_at": 5.0}]


def test_a_remediated_failure_is_not_rerun() -> None:
    """x failed and its transition remediated it; y failed unhandled: only y reruns."""
    record = first_run("""
version: 1.0
tasks:
  x:
    action: core.noop
    next: [{when: '{{ failed() }}', do: cleanup}]
  cleanup:
    action: core.noop
  y:
    action: core.noop
""", table={"x": FAIL, "y": FAIL})
    assert record.status is WorkflowStatus.FAILED
    assert [r.task for r in plan_rerun(record.state)] == ["y"]
    state, _, sent, _ = finish(record.state, rerun_event())
    assert [c.task for c in sent] == ["y"]
    assert state.status is WorkflowStatus.SUCCEEDED
    kinds = [(e.task, e.handled_by is not None) for e in state.errors]
    assert kinds == [("x", True)]  # the remediated one stays, as in Orquesta


def test_a_named_task_reruns_with_what_its_transitions_lead_to() -> None:
    """On a succeeded execution, naming a reruns a, b and c again."""
    record = first_run(CHAIN, {"x": 1})
    state, _, sent, _ = finish(record.state, rerun_event(tasks=(RerunTask(task="b"),)))
    assert [c.task for c in sent] == ["b", "c"]
    assert state.status is WorkflowStatus.SUCCEEDED
    assert collections.Counter(r.task for r in state.runs) == {"a": 1, "b": 2, "c": 2}


@pytest.mark.parametrize(("tasks", "reset", "field", "reason"), [
    ((RerunTask(task="zzz"),), (), "zzz", "unknown_task"),
    ((RerunTask(task="c"),), (), "c", "never_ran"),
    ((RerunTask(task="b", route=3),), (), "b", "bad_route"),
    ((), ("a",), "a", "not_rerun"),
    ((), ("zzz",), "zzz", "unknown_task"),
])
def test_bad_requests_are_refused_with_the_task_and_a_reason(
        tasks: tuple[RerunTask, ...], reset: tuple[str, ...], field: str, reason: str) -> None:
    record = first_run(CHAIN, {"x": 1}, {"b": FAIL})
    with pytest.raises(RerunRefused) as refused:
        plan_rerun(record.state, tasks, reset)
    assert (refused.value.task, refused.value.reason) == (field, reason)


def test_a_succeeded_execution_without_tasks_has_nothing_to_rerun() -> None:
    record = first_run(CHAIN, {"x": 1})
    with pytest.raises(RerunRefused) as refused:
        plan_rerun(record.state)
    assert refused.value.reason == "nothing_to_rerun"


def test_requests_on_one_another_s_path_collapse() -> None:
    """Naming a and c (which a led to) reruns a once, and c once, through a."""
    record = first_run(CHAIN, {"x": 1})
    tasks = (RerunTask(task="c"), RerunTask(task="a"))
    assert [r.task for r in plan_rerun(record.state, tasks)] == ["a"]
    _state, _, sent, _ = finish(record.state, rerun_event(tasks=tasks))
    assert [c.task for c in sent] == ["a", "b", "c"]


def test_a_rerun_task_sees_its_first_context_with_the_edited_parameters() -> None:
    """b reruns in the context a published into; x edited: c's input shows the new x, the
    published `seen` is the first run's."""
    text = CHAIN.replace("  c:\n    action: core.noop",
                         "  c:\n    action: core.noop\n"
                         "    input: {x: '{{ ctx(\"x\") }}', seen: '{{ ctx(\"seen\") }}'}")
    record = first_run(text, {"x": 1}, {"b": FAIL})
    state, _, sent, _ = finish(record.state, rerun_event(x=2))
    assert thaw(sent[-1].input) == {"x": 2, "seen": 1}
    assert thaw(state.params) == {"x": 2}
    assert rerun_history(state)[0]["parameters"] == ["x"]


ITEMS = """
version: 1.0
input: [n]
tasks:
  fan:
    with: '{{ range(ctx("n")) | list }}'
    action: core.noop
    input: {i: '{{ item() }}'}
"""


def _items_failing(failed: set[int]) -> Action:
    def act(command: RunAction) -> tuple[Outcome, Any]:
        index = thaw(command.input)["i"]
        return (Outcome.FAILED, None) if index in failed else (Outcome.SUCCEEDED, index * 10)
    return act


@settings(max_examples=25, deadline=None)
@given(st.sets(st.integers(0, 19), min_size=1, max_size=19))
def test_a_with_items_rerun_runs_only_its_failed_items(failed: set[int]) -> None:
    """Exactly the failed items run again; the others' results are kept, in item order."""
    record = run_sync(load_workflow(ITEMS), {"n": 20}, _items_failing(failed))
    assert record.status is WorkflowStatus.FAILED
    state, _, sent, _ = finish(record.state, rerun_event())
    assert sorted(c.item for c in sent if c.item is not None) == sorted(failed)
    assert state.status is WorkflowStatus.SUCCEEDED
    assert thaw(state.runs[-1].result) == [
        i * 10 if i not in failed else {"i": i} for i in range(20)]


def test_a_reset_with_items_task_runs_all_its_items() -> None:
    record = run_sync(load_workflow(ITEMS), {"n": 20}, _items_failing({3, 4}))
    _state, _, sent, _ = finish(record.state, rerun_event(reset=("fan",)))
    assert sorted(c.item for c in sent) == list(range(20))


def test_the_rerun_replays_to_the_same_state_and_journals_through_the_codec() -> None:
    """Replaying the events (the rerun's request read back from its journal form) rebuilds
    the state the rerun reached."""
    defn = load_workflow(CHAIN)
    record = run_sync(defn, {"x": 1}, mock_outcomes({"b": FAIL}))
    request = rerun_event(tasks=(RerunTask(task="b", route=0),), x=3)
    assert decode(*encode(request)) == request
    state, events, _, _ = finish(record.state, request)
    again = replay(defn, [*record.events, *(decode(*encode(e)) for e in events)])
    assert again == state
    second = rerun_event(number=2, tasks=(RerunTask(task="a"),))
    state2, _, sent, _ = finish(state, second)
    assert [c.task for c in sent] == ["a", "b", "c"]
    assert [entry["number"] for entry in rerun_history(state2)] == [1, 2]


def test_attune_tasks_the_rerun_path_staged_are_staged_again() -> None:
    """Attune runs a task once per execution; the tasks after a rerun task run again, and
    `parameters.build` reads the edited parameter."""
    record = first_run("""
version: "1.0.0"
ref: t.chain
parameters:
  build: {type: string, required: true}
tasks:
  - name: first
    action: core.noop
    on_success: second
  - name: second
    action: core.noop
    on_success: third
  - name: third
    action: core.noop
    input: {build: "{{ parameters.build }}"}
""", {"build": "1"}, {"second": FAIL})
    assert record.status is WorkflowStatus.FAILED
    state, _, sent, _ = finish(record.state, rerun_event(build="2"))
    assert [(c.task, thaw(c.input)) for c in sent] == [("second", None),
                                                      ("third", {"build": "2"})]
    assert state.status is WorkflowStatus.SUCCEEDED


def test_a_join_the_rerun_path_reaches_waits_for_it_again() -> None:
    """left failed; right succeeded and is not rerun: the join fires when left arrives."""
    record = first_run("""
version: 1.0
tasks:
  start:
    action: core.noop
    next: [{do: [left, right]}]
  left:
    action: core.noop
    next: [{when: '{{ succeeded() }}', do: joined}]
  right:
    action: core.noop
    next: [{when: '{{ succeeded() }}', do: joined}]
  joined:
    join: all
    action: core.noop
""", table={"left": FAIL})
    assert record.status is WorkflowStatus.FAILED
    state, _, sent, _ = finish(record.state, rerun_event())
    assert [c.task for c in sent] == ["left", "joined"]
    assert state.status is WorkflowStatus.SUCCEEDED


def test_a_canceled_execution_reruns_what_the_cancel_stopped() -> None:
    """b was running when the execution was canceled: it reruns, the cancel's error goes."""
    defn = load_workflow(CHAIN)
    record = run_sync(defn, {"x": 1}, lambda c: (  # type: ignore[arg-type, return-value]
        None if c.task == "b" else Outcome.SUCCEEDED, None))
    assert record.status is WorkflowStatus.RUNNING
    canceled, _ = advance(record.state, CancelRequested(reason="stop", at=2.0))
    assert canceled.status is WorkflowStatus.CANCELED
    assert [r.task for r in plan_rerun(canceled)] == ["b"]
    state, _, sent, _ = finish(canceled, rerun_event())
    assert [c.task for c in sent] == ["b", "c"]
    assert state.status is WorkflowStatus.SUCCEEDED and not state.errors
