"""Inquiries in the pure state machine: what opening, answering and timing out decide, that a
replay of the journaled events rebuilds them, and how responses meet their schema."""

from __future__ import annotations

import textwrap
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from runtime.commands import InquiryChanged, RunAction, SetTimer, WorkflowPaused
from runtime.events import (
    ActionCompleted,
    Event,
    InquiryAnswered,
    TimerFired,
    TimerKey,
    TimerKind,
    WorkflowRequested,
)
from runtime.inquiries import InquiryStatus, inquiry_id, schema_errors
from runtime.machine import WorkflowState, advance, initial_state, replay
from runtime.spec import load_workflow
from runtime.status import Outcome, TaskStatus, WorkflowStatus
from runtime.store.codec import decode, encode
from runtime.store.entries import InquiryOpened

ASK = load_workflow(textwrap.dedent("""\
    version: 1.0
    tasks:
      ask:
        action: core.ask
        input: {ttl: 1}
        next:
          - when: '{{ succeeded() }}'
            publish: [go: '{{ result().response.continue }}']
            do: after
      other:
        action: core.noop
      after:
        action: core.noop
    output:
      - go: '{{ ctx("go") }}'
    """))


def _feed(state: WorkflowState, events: list[Event], event: Event
          ) -> tuple[WorkflowState, tuple[Any, ...]]:
    events.append(event)
    return advance(state, event)


def test_ask_pauses_after_what_runs_and_an_answer_resumes_it() -> None:
    events: list[Event] = []
    state, commands = _feed(initial_state(ASK), events,
                            WorkflowRequested(execution_id="e", at=1.0))
    assert state.status is WorkflowStatus.PAUSING  # `other` is still in flight
    [changed] = [c for c in commands if isinstance(c, InquiryChanged)]
    assert changed.inquiry.id == inquiry_id("e", 0) == "e.inquiry.0"
    assert list(changed.inquiry.schema["required"]) == ["continue"]  # StackStorm's default
    [timer] = [c for c in commands if isinstance(c, SetTimer)]
    assert timer.key.kind is TimerKind.INQUIRY and timer.delay == 60
    [other] = [c for c in commands if isinstance(c, RunAction)]
    state, commands = _feed(state, events, ActionCompleted(
        run=other.run, attempt=1, outcome=Outcome.SUCCEEDED, at=2.0))
    assert state.status is WorkflowStatus.PAUSED
    assert any(isinstance(c, WorkflowPaused) for c in commands)
    late = InquiryAnswered(run=0, inquiry="e.inquiry.9", response={"continue": True}, at=2.5)
    assert advance(state, late)[0].runs == state.runs  # not its inquiry: ignored
    state, commands = _feed(state, events, InquiryAnswered(
        run=0, inquiry="e.inquiry.0", response={"continue": True}, at=3.0))
    assert state.status is WorkflowStatus.RUNNING
    assert state.run(0).status is TaskStatus.SUCCEEDED
    assert state.inquiries[0].status is InquiryStatus.ANSWERED
    assert state.inquiries[0].answered_at == 3.0
    [after] = [c for c in commands if isinstance(c, RunAction)]
    assert after.task == "after"
    again, _ = advance(state, InquiryAnswered(run=0, inquiry="e.inquiry.0",
                                              response={"continue": False}, at=4.0))
    assert again.inquiries == state.inquiries  # the first answer won
    assert replay(ASK, events) == state


def test_the_timer_times_the_ask_out_and_a_late_answer_changes_nothing() -> None:
    state, _ = advance(initial_state(ASK), WorkflowRequested(execution_id="e", at=1.0))
    state, _ = advance(state, TimerFired(key=TimerKey(kind=TimerKind.INQUIRY, run=0), at=61.0))
    assert state.run(0).status is TaskStatus.TIMED_OUT
    assert state.inquiries[0].status is InquiryStatus.TIMED_OUT
    assert state.status is not WorkflowStatus.PAUSED  # the ask's pause is over
    late, commands = advance(state, InquiryAnswered(run=0, inquiry="e.inquiry.0",
                                                    response={"continue": True}, at=62.0))
    assert late.inquiries == state.inquiries and not any(
        isinstance(c, InquiryChanged) for c in commands)


def test_the_journal_codec_keeps_answers_and_openings() -> None:
    for entry in (InquiryAnswered(run=3, inquiry="e.inquiry.3",
                                  response={"ok": True, "n": [1, 2]}, at=5.0),
                  InquiryOpened(run=3, inquiry="e.inquiry.3", expires_at=65.0, at=5.0),
                  InquiryOpened(run=3, inquiry="e.inquiry.3", at=5.0),
                  TimerFired(key=TimerKey(kind=TimerKind.INQUIRY, run=3), at=6.0)):
        assert decode(*encode(entry)) == entry


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@given(st.dictionaries(st.text(max_size=5), _JSON, max_size=4), st.text(max_size=5))
def test_a_response_meets_its_schema_exactly_when_jsonschema_says_so(
        response: dict[str, Any], key: str) -> None:
    assert schema_errors(None, response) == ()
    schema = {"type": "object", "required": [key], "properties": {key: {"type": "boolean"}}}
    errors = schema_errors(schema, response)
    ok = key in response and isinstance(response[key], bool)
    assert (errors == ()) == ok
    if key in response and not ok:
        assert [e["path"] for e in errors] == [[key]]


@given(_JSON.filter(lambda v: not isinstance(v, dict)))
def test_a_response_that_is_not_an_object_is_refused(response: Any) -> None:
    assert [e["path"] for e in schema_errors(None, response)] == [[]]
