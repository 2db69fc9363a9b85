"""A replay that skips rendering reported item inputs rebuilds what a full replay rebuilds.

Random with-items workloads (items whose input fails to render, inputs that read another
task's status, retries, timeouts, items given back unstarted, pauses, cancels) are driven
through the machine one event at a time, with crashes: at a crash the state is rebuilt from
the events so far and the run goes on from it, the recovered attempts re-sent, and some of
them report twice. At the end, and at every crash, a replay with the shortcut
(:mod:`runtime.machine.reported`) must equal a replay without it and the live state, in
every field; the progress events the console derives from the journal must be the live ones;
and what recovery re-sends must be what was sent.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.commands import RunAction
from runtime.events import (
    ActionCompleted,
    AttemptReturned,
    Event,
    PauseRequested,
    ResumeRequested,
    WorkflowRequested,
)
from runtime.machine import advance, initial_state, replay
from runtime.machine.recovery import in_flight, retry_waits
from runtime.machine.reported import reported_items
from runtime.masking import Masker
from runtime.progress import progress_of
from runtime.server.progress_log import ProgressLog
from runtime.spec import load_workflow
from runtime.spec.model import WorkflowDef
from runtime.status import WORKFLOW_DONE, Outcome, TaskStatus
from runtime.store import EntryRow
from runtime.store.codec import encode

from .test_interleavings import Driver

pytestmark = pytest.mark.timeout(300)

INPUTS = {
    # 0 does not render (a division by zero): the item fails without being dispatched
    "divide": "'{{ 10 / item() }}'",
    # 1 renders until `side` succeeds, then does not: an item given back before and sent
    # again after renders in another scope
    "status": "'{{ 10 / (item() - (1 if task_status(\"side\") == \"succeeded\" else 0)) }}'",
}


@functools.cache
def workflow(items: tuple[int, ...], concurrency: int, retries: int, timeout: bool,
             template: str) -> WorkflowDef:
    retry = f"retry: {{count: {retries}, delay: 1}}" if retries else ""
    limit = "timeout: 5" if timeout else ""
    return load_workflow(f"""
version: 1.0
tasks:
  fan:
    with: {{items: '{{{{ {list(items)} }}}}', concurrency: {concurrency}}}
    action: core.echo
    input: {{message: {INPUTS[template]}}}
    {retry}
    {limit}
    next:
      - when: '{{{{ succeeded() }}}}'
        do: after
      - when: '{{{{ failed() }}}}'
        do: cleanup
  side: {{action: core.noop}}
  after: {{action: core.noop}}
  cleanup: {{action: core.noop}}
""")


def rows_of(events: list[Event]) -> list[EntryRow]:
    rows = []
    for seq, event in enumerate(events, 1):
        kind, body = encode(event)
        rows.append(EntryRow(execution_id="x", seq=seq, kind=kind, body=body, at=event.at))
    return rows


def full_replay(defn: WorkflowDef, events: list[Event]) -> tuple[Any, list[Any]]:
    """The reference: one event at a time, every input rendered; state and progress."""
    state = initial_state(defn)
    progress = []
    for event in events:
        state, commands = advance(state, event)
        progress.extend(p for c in commands
                        if (p := progress_of(c, "x", Masker())) is not None)
    return state, progress


def check_replays(driver: Driver, defn: WorkflowDef) -> Any:
    """Every way of rebuilding the state agrees; returns the rebuilt state."""
    events = driver.events
    reference, progress = full_replay(defn, events)
    assert replay(defn, events, shortcut=False) == reference
    rebuilt = replay(defn, events)
    assert rebuilt == reference
    log = ProgressLog("x", defn, Masker())
    rows = rows_of(events)
    cut = len(rows) // 2  # fed in two parts, as a followed execution is
    log.feed(rows[:cut])
    log.feed(rows)
    assert log.state == reference
    assert [logged.event for logged in log.events] == progress
    return rebuilt


def crash(driver: Driver, defn: WorkflowDef, duplicates: int, template: str) -> None:
    """Rebuild the state from the events; recovery re-sends what was in flight."""
    rebuilt = check_replays(driver, defn)
    assert rebuilt == driver.state
    if rebuilt.status not in WORKFLOW_DONE:
        waits = retry_waits(tuple((key, 0.0) for key in driver.timers))
        resent = {(c.run, c.item, c.attempt): c.input for c in in_flight(rebuilt, waits)}
        reference, _ = full_replay(defn, driver.events)
        assert resent == {(c.run, c.item, c.attempt): c.input
                          for c in in_flight(reference, waits)}
        sent = {key: c.input for key, c in driver.attempts.items()}
        if template == "divide":  # the other reads a status that may have changed since
            assert resent == sent
        else:
            assert resent.keys() == sent.keys()
    driver.state = rebuilt
    # a re-sent attempt reports twice: the second report is journaled and ignored
    done = [e for e in driver.events if isinstance(e, ActionCompleted)]
    for event in done[:duplicates]:
        driver.feed(event)


STEPS = st.lists(st.tuples(
    st.sampled_from(["complete", "complete", "complete", "fire", "give back", "give back",
                     "pause", "resume", "cancel", "crash"]),
    st.integers(0, 50),
    st.sampled_from([Outcome.SUCCEEDED, Outcome.SUCCEEDED, Outcome.FAILED,
                     Outcome.TIMED_OUT])), max_size=50)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(st.integers(0, 3), min_size=1, max_size=8).map(tuple),
       concurrency=st.integers(1, 4), retries=st.integers(0, 2), timeout=st.booleans(),
       template=st.sampled_from(sorted(INPUTS)), steps=STEPS)
def test_a_replay_with_the_shortcut_equals_one_without(
    items: tuple[int, ...], concurrency: int, retries: int, timeout: bool, template: str,
    steps: list[tuple[str, int, Outcome]],
) -> None:
    defn = workflow(items, concurrency, retries, timeout, template)
    driver = Driver(defn)
    driver.feed(WorkflowRequested(execution_id="x", parameters={}, at=0.0))
    for kind, index, outcome in steps:
        if driver.state.status in WORKFLOW_DONE:
            break
        if kind == "crash":
            driver.clock += 0.25
            crash(driver, defn, index % 3, template)
        else:
            driver.step(kind, index, outcome, cancel_every=5)
    driver.drain(300)
    assert check_replays(driver, defn) == driver.state


DIVIDE = workflow((1, 0, 2), 1, 0, False, "divide")
STATUS = workflow((1,), 1, 0, False, "status")


def test_a_reported_attempt_is_sent_unrendered() -> None:
    """The shortcut is taken: an attempt said to be reported is not rendered (here it would
    not render), where without the report the same item fails."""
    first = WorkflowRequested(execution_id="x", parameters={}, at=0.0)
    state, _ = advance(initial_state(DIVIDE), first)
    fan = next(run for run in state.runs if run.task == "fan")
    done = ActionCompleted(run=fan.id, item=0, attempt=1, outcome=Outcome.SUCCEEDED,
                           result=1, at=1.0)
    plain, _ = advance(state, done)
    assert plain.run(fan.id).items.statuses[1] == TaskStatus.FAILED.value
    assert [e.kind for e in plain.errors] == ["expression"]
    reported = frozenset({(fan.id, 1, 1)})
    skipped, commands = advance(state, done, reported=reported)
    assert skipped.run(fan.id).items.statuses[1] == "running"
    sent = [c for c in commands if isinstance(c, RunAction)]
    assert [(c.item, c.input) for c in sent] == [(1, None)]


def test_an_input_that_failed_to_render_fails_again_on_replay() -> None:
    """Item 1 (``10 / 0``) failed live without being dispatched: no report names it, so the
    replay renders it and records the same error."""
    first = WorkflowRequested(execution_id="x", parameters={}, at=0.0)
    state, _ = advance(initial_state(DIVIDE), first)
    events: list[Event] = [first]
    fan = next(run for run in state.runs if run.task == "fan")
    for item, at in ((0, 1.0), (2, 2.0)):
        event = ActionCompleted(run=fan.id, item=item, attempt=1,
                                outcome=Outcome.SUCCEEDED, result=item, at=at)
        events.append(event)
        state, _ = advance(state, event)
    assert (fan.id, 1, 1) not in reported_items(events)
    rebuilt = replay(DIVIDE, events)
    assert rebuilt == state
    assert [(e.kind, e.task) for e in rebuilt.errors] == [("expression", "fan")]
    assert rebuilt.run(fan.id).items.statuses[1] == TaskStatus.FAILED.value


def test_an_attempt_given_back_is_rendered_again_when_sent_again() -> None:
    """Item 0 (value 1) renders before ``side`` succeeded, is given back, and is sent again
    after: then it does not render. Its first send's report (the give-back) must not let
    the second send skip rendering."""
    first = WorkflowRequested(execution_id="x", parameters={}, at=0.0)
    state, _ = advance(initial_state(STATUS), first)
    runs = {run.task: run.id for run in state.runs}
    events: list[Event] = [first, PauseRequested(at=0.5)]
    for event in events[1:]:
        state, _ = advance(state, event)
    for event in (AttemptReturned(run=runs["fan"], item=0, attempt=1, at=1.0),
                  ActionCompleted(run=runs["side"], attempt=1, outcome=Outcome.SUCCEEDED,
                                  at=2.0),
                  ResumeRequested(at=3.0)):
        events.append(event)
        state, _ = advance(state, event)
    assert state.run(runs["fan"]).status is TaskStatus.FAILED
    assert (runs["fan"], 0, 1) in reported_items(events)
    assert replay(STATUS, events) == state
