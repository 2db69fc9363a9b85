"""The machine under any interleaving of completions, timers, pauses, resumes and cancels.

A random driver keeps the attempts and timers the machine asked for and, step by step,
lets hypothesis choose what happens next: an attempt ends (succeeded, failed, timed out),
a timer fires, the workflow is paused, resumed or canceled. After every step the machine's
books must agree with the driver's; at the end the workflow is finished, every run ended
once, and replaying the events (one at a time or in any batches) rebuilds the same state.
"""

from __future__ import annotations

import collections
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.commands import (
    CancelAction,
    CancelTimer,
    RunAction,
    SetTimer,
    TaskFinished,
    WorkflowFinished,
)
from runtime.events import (
    ActionCompleted,
    AttemptReturned,
    CancelRequested,
    Event,
    PauseRequested,
    ResumeRequested,
    TimerFired,
    WorkflowRequested,
)
from runtime.machine import advance, advance_many, initial_state, replay
from runtime.spec import load_workflow
from runtime.status import WORKFLOW_DONE, Outcome, WorkflowStatus

pytestmark = pytest.mark.timeout(120)

WORKFLOW = load_workflow("""
version: 1.0
tasks:
  fan:
    with: {items: '{{ [1, 2, 0, 3, 4, 0, 5] }}', concurrency: 3}
    action: core.echo
    input: {message: '{{ 10 / item() }}'}
    retry: {count: 1, delay: 1}
    timeout: 5
    next:
      - when: '{{ succeeded() }}'
        do: after
      - when: '{{ failed() }}'
        do: cleanup
  side:
    action: core.echo message=side
    retry: {count: 1}
  after: {action: core.noop}
  cleanup: {action: core.noop}
""")

ATTUNE = load_workflow("""
version: "1.0.0"
tasks:
  - name: fan
    action: core.echo
    with_items: "{{ [1, 2, 0, 3, 4, 0, 5] }}"
    concurrency: 3
    input: {message: "{{ 10 / item }}"}
    retry: {count: 1, delay: 1}
    timeout: 5
    next:
      - when: "{{ succeeded() }}"
        do: [after]
      - when: "{{ failed() }}"
        do: [cleanup]
  - name: side
    action: core.echo
    input: {message: side}
    retry: {count: 1}
  - name: after
    action: core.noop
  - name: cleanup
    action: core.noop
""")
"""The same shape in the Attune dialect: failures drain, cancels let running attempts end."""

OUTCOMES = (Outcome.SUCCEEDED, Outcome.SUCCEEDED, Outcome.SUCCEEDED, Outcome.FAILED,
            Outcome.TIMED_OUT)


class Driver:
    """Carries out the machine's commands and checks its books after every step."""

    def __init__(self, defn: Any = WORKFLOW) -> None:
        self.state = initial_state(defn)
        self.events: list[Event] = []
        self.commands: list[Any] = []
        self.attempts: dict[tuple[int, int | None, int], RunAction] = {}
        self.timers: dict[Any, float] = {}
        self.clock = 0.0
        self.canceled = False

    def feed(self, event: Event) -> None:
        self.events.append(event)
        self.state, commands = advance(self.state, event)
        self.commands.extend(commands)
        for command in commands:
            if isinstance(command, RunAction):
                key = (command.run, command.item, command.attempt)
                assert key not in self.attempts, f"attempt {key} dispatched twice"
                self.attempts[key] = command
            elif isinstance(command, CancelAction):
                self.attempts.pop((command.run, command.item, command.attempt), None)
            elif isinstance(command, SetTimer):
                self.timers[command.key] = self.clock + command.delay
            elif isinstance(command, CancelTimer):
                self.timers.pop(command.key, None)
        self.check()

    def check(self) -> None:
        state = self.state
        assert state.open_runs >= 0
        if state.status not in WORKFLOW_DONE:
            assert state.inflight == len(self.attempts)
        finished = collections.Counter(c.run for c in self.commands
                                       if isinstance(c, TaskFinished))
        assert max(finished.values(), default=0) <= 1, finished
        for run in state.runs:
            if run.items is not None:
                progress = run.items
                running = sum(1 for s in progress.statuses if s == "running")
                assert progress.active == running
                assert progress.done == sum(1 for s in progress.statuses
                                            if s not in (None, "running"))
                assert progress.active <= progress.concurrency

    def complete(self, index: int, outcome: Outcome) -> None:
        key = sorted(self.attempts, key=repr)[index % len(self.attempts)]
        del self.attempts[key]
        run, item, attempt = key
        self.feed(ActionCompleted(run=run, item=item, attempt=attempt, outcome=outcome,
                                  result=item, at=self.clock))

    def give_back(self, index: int) -> None:
        """Hand an item attempt back unstarted (a driver with no worker for it)."""
        items = sorted((k for k in self.attempts if k[1] is not None), key=repr)
        if not items:
            return
        run, item, attempt = items[index % len(items)]
        del self.attempts[(run, item, attempt)]
        assert item is not None
        self.feed(AttemptReturned(run=run, item=item, attempt=attempt, at=self.clock))

    def step(self, kind: str, index: int, outcome: Outcome, *, cancel_every: int) -> None:
        """Carry out one generated step (``kind``: complete, fire, give back, pause, resume,
        cancel); a cancel is sent once, when ``index`` is a multiple of ``cancel_every``."""
        self.clock += 0.25
        if kind == "complete" and self.attempts:
            self.complete(index, outcome)
        elif kind == "fire" and self.timers:
            self.fire(index)
        elif kind == "give back":
            self.give_back(index)
        elif kind == "pause":
            self.feed(PauseRequested(at=self.clock))
        elif kind == "resume":
            self.feed(ResumeRequested(at=self.clock))
        elif kind == "cancel" and not self.canceled and index % cancel_every == 0:
            self.canceled = True
            self.feed(CancelRequested(reason="test", at=self.clock))

    def drain(self, limit: int) -> None:
        """Resume, then let everything succeed and every timer fire, until the workflow ends
        (or nothing is left to do, or ``limit`` steps passed)."""
        for _ in range(limit):
            if self.state.status in WORKFLOW_DONE:
                return
            self.clock += 1.0
            if self.state.status in (WorkflowStatus.PAUSING, WorkflowStatus.PAUSED) \
                    and not self.attempts:
                self.feed(ResumeRequested(at=self.clock))
            elif self.attempts:
                self.complete(0, Outcome.SUCCEEDED)
            elif self.timers:
                self.fire(0)
            else:
                return

    def fire(self, index: int) -> None:
        key = sorted(self.timers, key=repr)[index % len(self.timers)]
        self.clock = max(self.clock, self.timers.pop(key))
        if key.kind.value == "timeout":
            self.attempts.pop((key.run, key.item, key.attempt), None)
        self.feed(TimerFired(key=key, at=self.clock))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["complete", "complete", "complete", "fire",
                                           "pause", "resume", "cancel", "give back"]),
                          st.integers(0, 50), st.sampled_from(OUTCOMES)),
                max_size=60),
       st.integers(1, 6), st.sampled_from([WORKFLOW, ATTUNE]))
def test_any_interleaving_keeps_the_books_and_replays(
    steps: list[tuple[str, int, Outcome]], batch: int, defn: Any
) -> None:
    driver = Driver(defn)
    driver.feed(WorkflowRequested(execution_id="x", parameters={}, at=0.0))
    for kind, index, outcome in steps:
        if driver.state.status in WORKFLOW_DONE:
            break
        driver.step(kind, index, outcome, cancel_every=4)
    driver.drain(500)
    state = driver.state
    assert state.status in WORKFLOW_DONE, (state.status, driver.attempts, driver.timers)
    assert state.open_runs == 0
    assert sum(isinstance(c, WorkflowFinished) for c in driver.commands) == 1
    started = {c.run for c in driver.commands if isinstance(c, RunAction)}
    finished = {c.run for c in driver.commands if isinstance(c, TaskFinished)}
    assert started <= finished
    assert replay(defn, driver.events) == state
    batched = initial_state(defn)
    for start in range(0, len(driver.events), batch):
        batched, _ = advance_many(batched, driver.events[start:start + batch],
                                  item_notices=bool(start % 2))
    assert batched == state


def drive(yaml_text: str, script: list[tuple[str, str | None, Outcome]]) -> Driver:
    """Run ``script``: ("complete", task, outcome) ends that task's oldest attempt;
    ("pause", None, _) pauses."""
    driver = Driver(load_workflow(yaml_text))
    driver.feed(WorkflowRequested(execution_id="x", parameters={}, at=0.0))
    for kind, task, outcome in script:
        if kind == "pause":
            driver.feed(PauseRequested(at=0.0))
            continue
        key = min(k for k, c in driver.attempts.items() if c.task == task)
        del driver.attempts[key]
        driver.feed(ActionCompleted(run=key[0], item=key[1], attempt=key[2],
                                    outcome=outcome, at=0.0))
    return driver


OK, FAIL = Outcome.SUCCEEDED, Outcome.FAILED


def test_an_item_given_back_while_pausing_is_sent_again_after_the_resume() -> None:
    driver = drive("""
tasks:
  fan:
    with: {items: '{{ range(3) | list }}', concurrency: 2}
    action: core.noop
""", [("pause", None, OK)])
    waiting = max(driver.attempts)  # item 1: dispatched, but say no worker took it yet
    del driver.attempts[waiting]
    driver.feed(AttemptReturned(run=0, item=1, attempt=1, at=0.0))
    key = next(iter(driver.attempts))
    del driver.attempts[key]
    driver.feed(ActionCompleted(run=0, item=0, attempt=1, outcome=OK, result=0, at=0.0))
    assert driver.state.status is WorkflowStatus.PAUSED  # nothing in flight
    progress = driver.state.runs[0].items
    assert progress is not None and list(progress.returned) == [1]
    assert progress.statuses[1] is None and progress.active == 0
    driver.feed(ResumeRequested(at=0.0))
    assert sorted(driver.attempts) == [(0, 1, 1), (0, 2, 1)]  # the returned item goes first
    for run, item, attempt in sorted(driver.attempts):
        del driver.attempts[(run, item, attempt)]
        driver.feed(ActionCompleted(run=run, item=item, attempt=attempt, outcome=OK,
                                    result=item, at=0.0))
    assert driver.state.status is WorkflowStatus.SUCCEEDED
    assert list(driver.state.runs[0].result) == [0, 1, 2]


def test_a_failure_while_pausing_cancels_the_held_tasks_and_fails() -> None:
    driver = drive("""
tasks:
  a: {action: core.noop, next: [{do: b}]}
  s: {action: core.noop}
  b: {action: core.noop}
""", [("pause", None, OK), ("complete", "a", OK), ("complete", "s", FAIL)])
    state = driver.state
    assert state.status is WorkflowStatus.FAILED
    assert {r.task: r.status.value for r in state.runs} == {
        "a": "succeeded", "s": "failed", "b": "canceled"}
    assert state.open_runs == 0 and not state.held


def test_a_failure_while_pausing_ends_with_items_stopped_between_items() -> None:
    driver = drive("""
tasks:
  fan:
    with: {items: '{{ range(4) | list }}', concurrency: 1}
    action: core.noop
  s: {action: core.noop}
""", [("pause", None, OK), ("complete", "fan", OK), ("complete", "s", FAIL)])
    state = driver.state
    assert state.status is WorkflowStatus.FAILED
    fan = state.runs[0]
    assert fan.status.value == "canceled" and fan.items is not None and fan.items.done == 1
    assert state.open_runs == 0


def test_a_task_held_by_a_pause_that_remediates_a_failure_still_runs() -> None:
    driver = drive("""
tasks:
  a:
    action: core.noop
    next: [{when: '{{ failed() }}', do: [fix, fail]}]
  s: {action: core.noop}
  fix: {action: core.noop}
""", [("pause", None, OK), ("complete", "a", FAIL)])
    assert driver.state.status is WorkflowStatus.FAILING
    assert any(c.task == "fix" for c in driver.attempts.values())
