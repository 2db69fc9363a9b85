"""Paused sub-workflows in the pure state machine (Orquesta's rule, runtime.machine.subpauses):
a paused task is not active work; the parent pauses once only paused ones are left, runs
again when one runs again or ends, and a replay of the journaled events rebuilds it."""

from __future__ import annotations

import textwrap
from typing import Any

from runtime.commands import RunAction, WorkflowPaused, WorkflowResumed
from runtime.events import (
    ActionCompleted,
    Event,
    ResumeRequested,
    SubworkflowPaused,
    WorkflowRequested,
)
from runtime.machine import WorkflowState, advance, initial_state, replay
from runtime.spec import load_workflow
from runtime.status import Outcome, WorkflowStatus
from runtime.store.codec import decode, encode

PARENT = load_workflow(textwrap.dedent("""\
    version: 1.0
    tasks:
      sub:
        action: some.workflow
      other:
        action: t.slow
    """))


def _feed(state: WorkflowState, events: list[Event], event: Event
          ) -> tuple[WorkflowState, tuple[Any, ...]]:
    events.append(event)
    return advance(state, event)


def _started() -> tuple[WorkflowState, list[Event], dict[str, RunAction]]:
    events: list[Event] = []
    state, commands = _feed(initial_state(PARENT), events,
                            WorkflowRequested(execution_id="p", at=1.0))
    sent = {c.task: c for c in commands if isinstance(c, RunAction)}
    return state, events, sent


def _paused(sent: RunAction, paused: bool = True, attempt: int | None = None
            ) -> SubworkflowPaused:
    return SubworkflowPaused(run=sent.run, item=sent.item, paused=paused, at=2.0,
                             attempt=sent.attempt if attempt is None else attempt)


def test_the_parent_pauses_when_only_paused_sub_workflows_are_left() -> None:
    state, events, sent = _started()
    state, commands = _feed(state, events, _paused(sent["sub"]))
    assert state.status is WorkflowStatus.RUNNING  # `other` is active
    assert not any(isinstance(c, WorkflowPaused) for c in commands)
    state, commands = _feed(state, events, ActionCompleted(
        run=sent["other"].run, attempt=1, outcome=Outcome.SUCCEEDED, at=3.0))
    assert state.status is WorkflowStatus.PAUSED
    assert any(isinstance(c, WorkflowPaused) for c in commands)
    assert replay(PARENT, events).status is WorkflowStatus.PAUSED
    state, commands = _feed(state, events, _paused(sent["sub"], paused=False))
    assert state.status is WorkflowStatus.RUNNING
    assert any(isinstance(c, WorkflowResumed) for c in commands)
    state, _ = _feed(state, events, ActionCompleted(
        run=sent["sub"].run, attempt=1, outcome=Outcome.SUCCEEDED, at=4.0))
    assert state.status is WorkflowStatus.SUCCEEDED


def test_a_paused_sub_workflow_that_ends_resumes_the_parent_it_paused() -> None:
    state, events, sent = _started()
    state, _ = _feed(state, events, ActionCompleted(
        run=sent["other"].run, attempt=1, outcome=Outcome.SUCCEEDED, at=2.0))
    state, _ = _feed(state, events, _paused(sent["sub"]))
    assert state.status is WorkflowStatus.PAUSED
    state, _ = _feed(state, events, ActionCompleted(
        run=sent["sub"].run, attempt=1, outcome=Outcome.SUCCEEDED, at=3.0))
    assert state.status is WorkflowStatus.SUCCEEDED


def test_a_report_of_another_attempt_changes_nothing() -> None:
    state, events, sent = _started()
    state, _ = _feed(state, events, ActionCompleted(
        run=sent["other"].run, attempt=1, outcome=Outcome.SUCCEEDED, at=2.0))
    state, _ = _feed(state, events, _paused(sent["sub"], attempt=7))
    assert state.status is WorkflowStatus.RUNNING and not state.paused_subs


def test_a_resume_from_outside_forgets_the_paused_ones() -> None:
    state, events, sent = _started()
    state, _ = _feed(state, events, ActionCompleted(
        run=sent["other"].run, attempt=1, outcome=Outcome.SUCCEEDED, at=2.0))
    state, _ = _feed(state, events, _paused(sent["sub"]))
    state, _ = _feed(state, events, ResumeRequested(at=3.0))
    assert (state.status, state.paused_subs, state.sub_paused) == (
        WorkflowStatus.RUNNING, frozenset(), False)


def test_the_journal_codec_keeps_the_report() -> None:
    event = SubworkflowPaused(run=3, item=2, attempt=1, paused=True, at=5.0)
    assert decode(*encode(event)) == event
