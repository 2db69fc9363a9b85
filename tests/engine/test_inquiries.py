"""Inquiries through the Python API: ``core.ask`` (Orquesta) and ``wait_for`` (Attune),
answered in time, refused when the schema says no, timed out, canceled, and answered after
the engine that opened them stopped (a new engine on the same store recovers them).

Waits are on progress events and futures (no sleeps); timeouts are short and waited for on
the handle."""

from __future__ import annotations

import queue
import textwrap
from pathlib import Path
from typing import Any

import pytest

from runtime import (
    Engine,
    InquiryClosed,
    InquiryNotFound,
    InquiryNotLive,
    InvalidResponse,
    start_workflow,
)
from runtime.inquiries import InquiryStatus, inquiry_json
from runtime.progress import ProgressEvent
from runtime.status import TaskStatus, WorkflowStatus
from runtime.store import MemoryStore
from runtime.store.codec import decode

pytestmark = pytest.mark.timeout(60)

ASK = textwrap.dedent("""\
    version: 1.0
    input: [who, ttl]
    vars:
      - approved: null
    tasks:
      ask:
        action: core.ask
        input:
          schema:
            type: object
            properties: {approved: {type: boolean}, note: {type: string}}
            required: [approved]
          users: ['{{ ctx("who") }}']
          roles: [ops]
          ttl: '{{ ctx("ttl") }}'
        next:
          - when: '{{ succeeded() }}'
            publish: [approved: '{{ result().response.approved }}']
            do: record
          - when: '{{ failed() }}'
            do: expired
      record:
        action: t.record
        input: {value: '{{ ctx("approved") }}'}
      expired:
        action: t.record
        input: {value: expired}
    output:
      - approved: '{{ ctx("approved") }}'
    """)

WAIT = textwrap.dedent("""\
    version: "1.0.0"
    parameters:
      version: {type: string}
      timeout: {type: number}
    tasks:
      - name: approve
        action: t.record
        input: {value: "{{ inquiry.approve.response.approved }}"}
        wait_for:
          inquiry:
            prompt: "Deploy {{ parameters.version }}?"
            schema:
              type: object
              properties: {approved: {type: boolean}}
              required: [approved]
            assigned_to: [alice, bob]
            timeout: "{{ parameters.timeout }}"
        next:
          - when: "{{ succeeded() }}"
            do: [done]
          - when: "{{ timed_out() }}"
            do: [expired]
      - name: done
        action: core.noop
      - name: expired
        action: t.record
        input: {value: "{{ inquiry.approve.status }}"}
    """)


class Recorder:
    """The ``t.record`` action: the values it was called with, in order."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def __call__(self, value: Any) -> Any:
        self.calls.append(value)
        return {"recorded": value}


def _opened(events: queue.SimpleQueue[ProgressEvent]) -> ProgressEvent:
    """The next progress event telling an inquiry opened."""
    while True:
        event = events.get(timeout=30)
        if event.kind == "inquiry" and event.status == "pending":
            return event


def test_core_ask_pauses_until_answered_and_the_answer_is_its_result() -> None:
    record, events = Recorder(), queue.SimpleQueue[ProgressEvent]()
    handle = start_workflow(ASK, {"who": "alice", "ttl": 60}, actions={"t.record": record},
                            on_event=events.put)
    opened = _opened(events)
    [inquiry] = handle.inquiries()
    assert (opened.inquiry, opened.task) == (inquiry.id, "ask")
    assert handle.status == WorkflowStatus.PAUSED
    assert (inquiry.users, inquiry.roles, inquiry.ttl) == (("alice",), ("ops",), 60.0)
    assert inquiry.expires_at == pytest.approx(inquiry.opened_at + 3600)
    assert inquiry_json(inquiry)["schema"]["required"] == ["approved"]
    answered = handle.respond(inquiry.id, {"approved": True, "note": "go"})
    assert answered.status is InquiryStatus.ANSWERED
    assert answered.response == {"approved": True, "note": "go"}
    result = handle.wait(30)
    assert result.status == "succeeded"
    assert result.output == {"approved": True}
    assert record.calls == [True]
    [ask] = [t for t in result.tasks if t.name == "ask"]
    assert ask.result["response"] == {"approved": True, "note": "go"}
    assert ask.result["users"] == ["alice"] and ask.result["ttl"] == 60
    assert handle.inquiries() == []
    assert [i.status for i in handle.inquiries(None)] == [InquiryStatus.ANSWERED]


def test_an_invalid_answer_is_refused_and_the_inquiry_stays_open() -> None:
    record, events = Recorder(), queue.SimpleQueue[ProgressEvent]()
    handle = start_workflow(ASK, {"who": "alice", "ttl": 60}, actions={"t.record": record},
                            on_event=events.put)
    inquiry_id = _opened(events).inquiry
    assert inquiry_id is not None
    with pytest.raises(InvalidResponse) as refused:
        handle.respond(inquiry_id, {"approved": "yes", "note": 3})
    assert [(e["path"], "boolean" in e["message"] or "string" in e["message"])
            for e in refused.value.errors] == [(["approved"], True), (["note"], True)]
    with pytest.raises(InvalidResponse) as missing:
        handle.respond(inquiry_id, {"note": "no"})
    assert missing.value.errors[0]["path"] == []
    with pytest.raises(InvalidResponse):
        handle.respond(inquiry_id, ["not", "an", "object"])
    [still] = handle.inquiries()
    assert still.status is InquiryStatus.PENDING and handle.status == WorkflowStatus.PAUSED
    handle.respond(inquiry_id, {"approved": False})
    with pytest.raises(InquiryClosed) as closed:
        handle.respond(inquiry_id, {"approved": True})
    assert closed.value.status == "answered"
    assert handle.wait(30).output == {"approved": False}
    with pytest.raises(InquiryNotFound) as unknown:
        handle.respond("nope", {})
    assert unknown.value.inquiry == "nope"


def test_core_ask_ttl_times_out_the_task() -> None:
    record = Recorder()
    handle = start_workflow(ASK, {"who": "alice", "ttl": 0.001},  # 60 ms
                            actions={"t.record": record})
    result = handle.wait(30)
    assert result.status == "succeeded"  # the failure went to `expired`
    assert record.calls == ["expired"]
    [ask] = [t for t in result.tasks if t.name == "ask"]
    assert ask.status == TaskStatus.TIMED_OUT
    assert [i.status for i in handle.inquiries(None)] == [InquiryStatus.TIMED_OUT]
    [error] = [e for e in result.errors if e.task == "ask"]
    assert error.kind == "action_timed_out" and error.handled_by is not None


def test_wait_for_runs_the_action_with_the_answer() -> None:
    record, events = Recorder(), queue.SimpleQueue[ProgressEvent]()
    handle = start_workflow(WAIT, {"version": "1.2", "timeout": 600},
                            actions={"t.record": record}, on_event=events.put)
    _opened(events)
    [inquiry] = handle.inquiries()
    assert inquiry.prompt == "Deploy 1.2?" and inquiry.assigned_to == ("alice", "bob")
    assert inquiry.expires_at == pytest.approx(inquiry.opened_at + 600)
    assert handle.status == WorkflowStatus.RUNNING  # Attune's wait does not pause
    assert record.calls == []  # the action waits for the answer
    handle.respond(inquiry.id, {"approved": True})
    result = handle.wait(30)
    assert result.status == "succeeded"
    assert record.calls == [True]
    assert [t.name for t in result.tasks] == ["approve", "done"]


def test_wait_for_timeout_takes_the_timed_out_path_without_the_action() -> None:
    record = Recorder()
    handle = start_workflow(WAIT, {"version": "1.2", "timeout": 0.05},
                            actions={"t.record": record})
    result = handle.wait(30)
    assert record.calls == ["timed_out"]  # only `expired` ran, seeing the inquiry's status
    [approve] = [t for t in result.tasks if t.name == "approve"]
    assert approve.status == TaskStatus.TIMED_OUT
    assert {t.name for t in result.tasks} == {"approve", "expired"}


def test_a_cancel_closes_the_pending_inquiry() -> None:
    events = queue.SimpleQueue[ProgressEvent]()
    handle = start_workflow(WAIT, {"version": "1", "timeout": 600},
                            actions={"t.record": Recorder()}, on_event=events.put)
    inquiry_id = _opened(events).inquiry
    assert inquiry_id is not None
    handle.cancel()
    assert handle.wait(30).status == "canceled"
    [inquiry] = handle.inquiries(None)
    assert inquiry.status is InquiryStatus.CANCELED
    with pytest.raises(InquiryClosed) as closed:
        handle.respond(inquiry_id, {"approved": True})
    assert closed.value.status == "canceled"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A store two engines open one after the other."""
    return MemoryStore() if request.param == "memory" else f"sqlite:///{tmp_path / 't.db'}"


def test_an_inquiry_survives_its_engine_and_keeps_its_deadline(store: Any) -> None:
    record, events = Recorder(), queue.SimpleQueue[ProgressEvent]()
    engine = Engine(store=store, actions={"t.record": record})
    handle = engine.start_workflow(WAIT, {"version": "2", "timeout": 3600}, on_event=events.put)
    _opened(events)
    [before] = engine.inquiries()
    kinds = [row.kind for row in engine.journal(handle.execution_id)]
    assert "InquiryOpened" in kinds and "TimerArmed" in kinds
    engine.close(drain_timeout=0)  # abandoned: a crash as far as the journal knows
    with Engine(store=store, actions={"t.record": record}) as again:
        assert again.inquiries() == [before]  # the store's record, before any recovery
        with pytest.raises(InquiryNotLive) as refused:  # at once: nothing runs it here
            again.respond(before.id, {"approved": True})
        assert (refused.value.execution_id, refused.value.execution_status) == (
            handle.execution_id, "running")
        [recovered] = again.recover()
        [after] = again.inquiries(execution_id=handle.execution_id)
        assert after == before  # same id, same deadline
        assert again.inquiry(after.id).status is InquiryStatus.PENDING
        answered = again.respond(after.id, {"approved": True})
        assert answered.answered_at is not None
        assert recovered.wait(30).status == "succeeded"
        assert record.calls == [True]
        kinds = [row.kind for row in again.journal(handle.execution_id)]
        assert "InquiryAnswered" in kinds and "TimerCleared" in kinds


def test_a_timeout_is_re_armed_at_recovery_with_its_first_deadline(store: Any) -> None:
    record, events = Recorder(), queue.SimpleQueue[ProgressEvent]()
    engine = Engine(store=store, actions={"t.record": record})
    handle = engine.start_workflow(WAIT, {"version": "2", "timeout": 1.0}, on_event=events.put)
    _opened(events)
    [opened] = engine.inquiries()
    engine.close(drain_timeout=0)  # within ms of the opening: the deadline is still ahead
    with Engine(store=store, actions={"t.record": record}) as again:
        [recovered] = again.recover()
        result = recovered.wait(30)
        assert result.status == "succeeded"
        assert record.calls == ["timed_out"]
        [inquiry] = again.inquiries(None, handle.execution_id)
        assert inquiry.status is InquiryStatus.TIMED_OUT
        assert inquiry.expires_at == opened.expires_at
        armed = [decode(row.kind, row.body) for row in again.journal(handle.execution_id)
                 if row.kind == "TimerArmed"]
        assert len(armed) == 2  # armed when it opened, and again by the recovery
        assert armed[1].deadline == pytest.approx(armed[0].deadline, abs=0.01)
        assert armed[0].deadline == pytest.approx(opened.expires_at, abs=0.01)


def test_a_schema_that_is_not_one_fails_the_task_where_it_is() -> None:
    bad = ASK.replace("type: object\n", "type: 12\n", 1)
    result = start_workflow(bad, {"who": "a", "ttl": 60},
                            actions={"t.record": Recorder()}).wait(30)
    assert result.status == "failed"
    [error] = [e for e in result.errors if e.task == "ask"]
    assert (error.kind, error.field) == ("expression", "input.schema")
    assert "not a JSON schema" in error.message


def test_the_book_forgets_the_oldest_closed_inquiries_only() -> None:
    from actors.inquiry_book import InquiryBook
    from runtime.inquiries import Inquiry

    book = InquiryBook(kept=2)
    pending = Inquiry(id="p", execution_id="e", task="t", route=0, run=0)
    book.changed(pending, None)
    for n in range(1, 8):
        book.changed(Inquiry(id=f"c{n}", execution_id="e", task="t", route=0, run=n,
                             status=InquiryStatus.ANSWERED, answered_at=float(n)), None)
    kept = [i.id for i in book.list(None)]
    assert "p" in kept and "c7" in kept and "c1" not in kept and "c2" not in kept
    assert len(kept) <= 6


def test_inquiries_of_a_sub_workflow_are_its_parents_too(tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text(ASK, encoding="utf-8")
    parent = tmp_path / "parent.yaml"
    parent.write_text(textwrap.dedent("""\
        version: 1.0
        tasks:
          call:
            action: child.yaml
            input: {who: bob, ttl: 60}
            next:
              - publish: [got: '{{ result().approved }}']
        output:
          - got: '{{ ctx("got") }}'
        """), encoding="utf-8")
    record, events = Recorder(), queue.SimpleQueue[ProgressEvent]()
    handle = start_workflow(str(parent), actions={"t.record": record}, on_event=events.put)
    opened = _opened(events)  # the tree's supervisors share its progress listeners
    [inquiry] = handle.inquiries()
    assert opened.execution_id == inquiry.execution_id
    assert inquiry.execution_id == f"{handle.execution_id}.call.0"
    handle.respond(inquiry.id, {"approved": True})
    result = handle.wait(30)
    assert (result.status, result.output, record.calls) == ("succeeded", {"got": True}, [True])



def test_secrets_are_masked_in_the_prompt_listed_and_traced(tmp_path: Path) -> None:
    secret = WAIT.replace("  timeout: {type: number}\n",
                          "  timeout: {type: number}\n  token: {type: string, "
                          "secret: true}\n").replace('"Deploy {{ parameters.version }}?"',
                                                     '"Deploy with {{ parameters.token }}?"')
    events, trace = queue.SimpleQueue[ProgressEvent](), tmp_path / "t.jsonl"
    handle = start_workflow(secret, {"version": "1", "timeout": 600, "token": "hunter2"},
                            actions={"t.record": Recorder()}, on_event=events.put,
                            trace=str(trace))
    _opened(events)
    [inquiry] = handle.inquiries()
    assert inquiry.prompt == "Deploy with ***?"
    handle.cancel()
    handle.wait(30)
    assert "hunter2" not in trace.read_text()
    assert "Deploy with ***?" in trace.read_text()
