"""The durable record of inquiries (the store's index), answers refused at once when no
execution can take them, and the secret fields of an answer masked wherever it is shown.

- every status is listed and shown after a restart, paged by cursor, from the index (a
  listing reads no journal);
- an answer to an inquiry whose execution ended, or stopped while the answer was on its way,
  is ``InquiryClosed`` at once, with why; one whose execution is unfinished but not running
  in this engine is ``InquiryNotLive``;
- a response field whose schema property says ``secret: true`` is ``***`` in the listing,
  the store, the trace and the progress events; the workflow gets the real value.
"""

from __future__ import annotations

import queue
import textwrap
import time
from pathlib import Path
from typing import Any

import pykka
import pytest

from actors.inquiry_book import Answer, InquiryBook
from runtime import Engine, InquiryClosed, InquiryNotLive, start_workflow
from runtime.inquiries import Inquiry, InquiryStatus, inquiry_id
from runtime.inquiry_rows import inquiry_row
from runtime.progress import ProgressEvent
from runtime.store import Batch, ExecutionRow, MemoryStore
from tests.engine.test_inquiries import ASK, WAIT, Recorder

pytestmark = pytest.mark.timeout(60)

SECRET = textwrap.dedent("""\
    version: 1.0
    tasks:
      ask:
        action: core.ask
        input:
          schema:
            type: object
            properties:
              user: {type: string}
              token: {type: string, secret: true}
            required: [user, token]
        next:
          - when: '{{ succeeded() }}'
            publish: [token: '{{ result().response.token }}']
            do: use
      use:
        action: t.record
        input: {value: '{{ ctx("token") }}'}
    output:
      - token: '{{ ctx("token") }}'
    """)


def _opened(events: queue.SimpleQueue[ProgressEvent], count: int = 1) -> list[str]:
    """The ids of the next ``count`` inquiries that open."""
    found: list[str] = []
    while len(found) < count:
        event = events.get(timeout=30)
        if event.kind == "inquiry" and event.status == "pending":
            assert event.inquiry is not None
            found.append(event.inquiry)
    return found


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return MemoryStore() if request.param == "memory" else f"sqlite:///{tmp_path / 't.db'}"


def test_every_status_is_listed_after_a_restart(store: Any) -> None:
    events = queue.SimpleQueue[ProgressEvent]()
    with Engine(store=store, actions={"t.record": Recorder()}) as engine:
        asked = engine.start_workflow(ASK, {"who": "ann", "ttl": 60}, on_event=events.put)
        [asked_id] = _opened(events)
        engine.respond(asked_id, {"approved": True})
        assert asked.wait(30).status == "succeeded"
        timed = engine.start_workflow(WAIT, {"version": "1", "timeout": 0.05},
                                      on_event=events.put)
        [timed_id] = _opened(events)
        assert timed.wait(30).status == "succeeded"
        waiting = engine.start_workflow(WAIT, {"version": "2", "timeout": 3600},
                                        on_event=events.put)
        [waiting_id] = _opened(events)
        waiting.cancel()
        assert waiting.wait(30).status == "canceled"
    with Engine(store=store, actions={"t.record": Recorder()}) as again:
        assert again.recover() == []  # nothing unfinished: nothing runs, all is listed
        by_status = {s: [i.id for i in again.inquiries(status=s)] for s in
                     ("pending", "answered", "timed_out", "canceled")}
        assert by_status == {"pending": [], "answered": [asked_id], "timed_out": [timed_id],
                             "canceled": [waiting_id]}
        answered = again.inquiry(asked_id)
        assert (answered.status, answered.response, answered.ask, answered.ttl) == (
            InquiryStatus.ANSWERED, {"approved": True}, True, 60.0)
        assert [i.id for i in again.inquiries(None)] == [asked_id, timed_id, waiting_id]
        with pytest.raises(InquiryClosed) as closed:
            again.respond(timed_id, {"approved": True})
        assert closed.value.status == "timed_out"


def test_inquiries_are_paged_by_cursor_oldest_first(store: Any) -> None:
    events = queue.SimpleQueue[ProgressEvent]()
    with Engine(store=store, actions={"t.record": Recorder()}) as engine:
        handles = []
        for n in range(5):
            handles.append(engine.start_workflow(WAIT, {"version": str(n), "timeout": 600},
                                                 on_event=events.put))
            _opened(events)
        seen, cursor, pages = [], None, 0
        while True:
            page = engine.inquiry_page(limit=2, cursor=cursor)
            assert len(page.items) <= 2
            seen += [i.prompt for i in page.items]
            pages += 1
            cursor = page.cursor
            if cursor is None:
                break
        assert (seen, pages) == ([f"Deploy {n}?" for n in range(5)], 3)
        [one] = engine.inquiries(execution_id=handles[3].execution_id)
        assert one.prompt == "Deploy 3?"
        assert engine.inquiries(execution_id=handles[3].execution_id[:-1]) == []
        for handle in handles:
            handle.cancel()
            handle.wait(30)


def _stored(store: MemoryStore, execution_status: str) -> str:
    """A store holding one execution in ``execution_status`` with one pending inquiry (as
    a supervisor that crashed leaves it); the inquiry's id."""
    now = time.time()
    store.write(Batch(
        executions=(ExecutionRow(id="gone", workflow="w", text="version: 1.0", text_hash="0",
                                 parameters="{}", status=execution_status, created_at=now,
                                 updated_at=now,
                                 finished_at=now if execution_status == "failed" else None),),
        inquiries=(inquiry_row(Inquiry(id=inquiry_id("gone", 0), execution_id="gone",
                                       task="ask", route=0, run=0, opened_at=now), now),)))
    return inquiry_id("gone", 0)


def test_an_answer_to_an_ended_execution_is_refused_at_once() -> None:
    store = MemoryStore()
    stored = _stored(store, "failed")
    with Engine(store=store) as engine:
        assert [i.id for i in engine.inquiries()] == [stored]
        began = time.monotonic()
        with pytest.raises(InquiryClosed) as closed:
            engine.respond(stored, {"continue": True})
        assert time.monotonic() - began < 5
    assert (closed.value.status, closed.value.execution_status) == ("pending", "failed")
    assert closed.value.reason is not None


class _Dying(pykka.ThreadingActor):
    """A supervisor whose execution ends with the answer in its mailbox: it stops, and
    tells the book so (as a supervisor's ``on_stop`` does)."""

    def __init__(self, book: InquiryBook) -> None:
        super().__init__()
        self.book = book

    def on_receive(self, message: Any) -> None:
        if isinstance(message, Answer):
            self.stop()

    def on_stop(self) -> None:
        self.book.ended("x", "failed")


def test_an_answer_whose_execution_stops_before_taking_it_fails_at_once() -> None:
    book = InquiryBook()
    ref = _Dying.start(book)
    book.changed(Inquiry(id=inquiry_id("x", 0), execution_id="x", task="ask", route=0, run=0),
                 ref)
    began = time.monotonic()
    with pytest.raises(InquiryClosed) as closed:
        book.respond(inquiry_id("x", 0), {"continue": True}, timeout=30)
    assert time.monotonic() - began < 5
    assert closed.value.execution_status == "failed"
    with pytest.raises(InquiryClosed):  # stopped already: the tell itself fails
        book.respond(inquiry_id("x", 0), {"continue": True}, timeout=30)


def test_an_unfinished_execution_not_running_here_is_named() -> None:
    store = MemoryStore()
    stored = _stored(store, "paused")
    with Engine(store=store) as engine, pytest.raises(InquiryNotLive) as refused:
        engine.respond(stored, {"continue": True})
    assert (refused.value.execution_id, refused.value.execution_status) == ("gone", "paused")


class Refuser(Recorder):
    """``t.record`` that records its value, then fails quoting it (the error travels to the
    trace, the progress events and the result: each must mask it)."""

    def __call__(self, value: Any) -> Any:
        super().__call__(value)
        raise RuntimeError(f"refused token {value}")


def test_secret_fields_of_an_answer_are_masked_where_it_is_shown(tmp_path: Path) -> None:
    record, events = Refuser(), queue.SimpleQueue[ProgressEvent]()
    trace, url = tmp_path / "t.jsonl", f"sqlite:///{tmp_path / 's.db'}"
    with Engine(store=url, actions={"t.record": record}) as engine:
        handle = engine.start_workflow(SECRET, on_event=events.put, trace=str(trace))
        [asked] = _opened(events)
        answered = engine.respond(asked, {"user": "ann", "token": "s3cr3t-value"})
        assert answered.response == {"user": "ann", "token": "***"}
        result = handle.wait(30)
        assert record.calls == ["s3cr3t-value"]  # the workflow has the real value
        assert result.status == "failed"
        assert [e.message for e in result.errors if e.task == "use"] == [
            "RuntimeError: refused token ***"]
        assert engine.inquiry(asked).response == {"user": "ann", "token": "***"}
    with Engine(store=url) as again:
        [shown] = again.inquiries(status="answered")
        assert shown.response == {"user": "ann", "token": "***"}
    assert "s3cr3t-value" not in trace.read_text()
    assert "refused token ***" in trace.read_text()
    progress = []
    while not events.empty():
        progress.append(repr(events.get()))
    assert progress and not any("s3cr3t-value" in line for line in progress)


def test_secret_fields_are_masked_without_an_engine_too(tmp_path: Path) -> None:
    record, events = Recorder(), queue.SimpleQueue[ProgressEvent]()
    trace = tmp_path / "t.jsonl"
    handle = start_workflow(SECRET, actions={"t.record": record}, on_event=events.put,
                            trace=str(trace))
    [asked] = _opened(events)
    handle.respond(asked, {"user": "ann", "token": "hunter22"})
    result = handle.wait(30)
    assert (result.status, result.output) == ("succeeded", {"token": "hunter22"})
    [shown] = handle.inquiries(status="answered")
    assert shown.response == {"user": "ann", "token": "***"}
    assert record.calls == ["hunter22"]
    lines = trace.read_text()
    assert '"output":{"token":"***"}' in lines and "hunter22" not in lines
