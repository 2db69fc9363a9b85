"""A ``core.ask`` in a sub-workflow pauses the tree as StackStorm's Orquesta does: the
sub-workflow pauses, each parent pauses once only paused sub-workflows are left of its
work (a branch still running keeps it running until that branch is done), up to the root;
the answer resumes the sub-workflow, and with it every parent it paused.

Waits are on progress events (the tree's supervisors share the listeners) and on a gate
action the test opens; no sleeps."""

from __future__ import annotations

import queue
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from runtime import Engine, start_workflow
from runtime.progress import ProgressEvent
from runtime.status import WorkflowStatus
from runtime.store import MemoryStore
from runtime.store.codec import decode

pytestmark = pytest.mark.timeout(60)

CHILD = textwrap.dedent("""\
    version: 1.0
    tasks:
      ask:
        action: core.ask
        input:
          schema: {type: object, properties: {ok: {type: boolean}}, required: [ok]}
        next:
          - publish: [ok: '{{ result().response.ok }}']
    output:
      - ok: '{{ ctx("ok") }}'
    """)

MIDDLE = textwrap.dedent("""\
    version: 1.0
    tasks:
      call:
        action: child.yaml
        next:
          - publish: [ok: '{{ result().ok }}']
    output:
      - ok: '{{ ctx("ok") }}'
    """)

ROOT = textwrap.dedent("""\
    version: 1.0
    tasks:
      call:
        action: middle.yaml
        next:
          - publish: [ok: '{{ result().ok }}']
            do: after
      after:
        action: core.noop
    output:
      - ok: '{{ ctx("ok") }}'
    """)

BRANCHES = textwrap.dedent("""\
    version: 1.0
    tasks:
      call:
        action: child.yaml
        next:
          - publish: [ok: '{{ result().ok }}']
      slow:
        action: t.gate
        input: {value: 1}
    output:
      - ok: '{{ ctx("ok") }}'
    """)


class Gate:
    """``t.gate``: blocks until the test opens it."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered = threading.Event()

    def __call__(self, value: Any) -> Any:
        self.entered.set()
        if not self.opened.wait(timeout=30):
            raise TimeoutError("the test never opened the gate")
        return value


def _until(events: queue.SimpleQueue[ProgressEvent], kind: str, execution_id: str,
           seen: list[tuple[str, str]]) -> ProgressEvent:
    """The next event of ``kind`` for ``execution_id`` (every event passed is in ``seen``)."""
    while True:
        event = events.get(timeout=30)
        seen.append((event.kind, event.execution_id))
        if event.kind == kind and event.execution_id == execution_id:
            return event


def _files(tmp_path: Path) -> Path:
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    (tmp_path / "middle.yaml").write_text(MIDDLE, encoding="utf-8")
    root = tmp_path / "root.yaml"
    root.write_text(ROOT, encoding="utf-8")
    return root


def test_an_ask_two_levels_down_pauses_the_root_and_its_answer_resumes_it(
        tmp_path: Path) -> None:
    events, seen = queue.SimpleQueue[ProgressEvent](), []
    handle = start_workflow(str(_files(tmp_path)), on_event=events.put)
    root = handle.execution_id
    inquiry = _until(events, "inquiry", f"{root}.call.0.call.0", seen)
    _until(events, "workflow_paused", root, seen)
    paused = [e for k, e in seen if k == "workflow_paused"]
    assert paused == [f"{root}.call.0.call.0", f"{root}.call.0", root]  # bottom up
    assert handle.status == WorkflowStatus.PAUSED
    assert inquiry.inquiry is not None
    handle.respond(inquiry.inquiry, {"ok": True})
    result = handle.wait(30)
    assert (result.status, result.output) == ("succeeded", {"ok": True})
    _until(events, "workflow_finished", root, seen)
    resumed = [e for k, e in seen if k == "workflow_resumed"]
    assert resumed == [f"{root}.call.0.call.0", f"{root}.call.0", root]  # bottom up
    assert [t.status for t in result.tasks] == ["succeeded", "succeeded"]


def test_a_branch_still_running_keeps_the_parent_running_until_it_ends(
        tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    (tmp_path / "branches.yaml").write_text(BRANCHES, encoding="utf-8")
    events, seen, gate = queue.SimpleQueue[ProgressEvent](), [], Gate()
    handle = start_workflow(str(tmp_path / "branches.yaml"), actions={"t.gate": gate},
                            on_event=events.put)
    root = handle.execution_id
    inquiry = _until(events, "inquiry", f"{root}.call.0", seen)
    _until(events, "workflow_paused", f"{root}.call.0", seen)
    assert gate.entered.wait(30)
    assert handle.status == WorkflowStatus.RUNNING  # Orquesta: TASK_PAUSED_WORKFLOW_ACTIVE
    gate.opened.set()
    _until(events, "workflow_paused", root, seen)  # ... then WORKFLOW_DORMANT_PAUSED
    assert ("task_finished", root) in seen
    assert handle.status == WorkflowStatus.PAUSED
    assert inquiry.inquiry is not None
    handle.respond(inquiry.inquiry, {"ok": False})
    result = handle.wait(30)
    assert (result.status, result.output) == ("succeeded", {"ok": False})


def test_the_paused_tree_survives_its_engine(tmp_path: Path) -> None:
    root_file, store = _files(tmp_path), MemoryStore()
    events, seen = queue.SimpleQueue[ProgressEvent](), []
    engine = Engine(store=store)
    handle = engine.start_workflow(str(root_file), on_event=events.put)
    root = handle.execution_id
    inquiry = _until(events, "inquiry", f"{root}.call.0.call.0", seen)
    _until(events, "workflow_paused", root, seen)
    assert engine.record(root).status == "paused"
    kinds = [r.kind for r in engine.journal(root)]
    assert kinds.count("SubworkflowPaused") == 1
    engine.close(drain_timeout=0)
    with Engine(store=store) as again:
        [recovered] = again.recover()
        assert recovered.status == WorkflowStatus.PAUSED
        assert inquiry.inquiry is not None
        again.respond(inquiry.inquiry, {"ok": True})
        result = recovered.wait(30)
        assert (result.status, result.output) == ("succeeded", {"ok": True})
        told = [decode(r.kind, r.body) for r in again.journal(root)
                if r.kind == "SubworkflowPaused"]
        # the middle one ended in the step its child's answer resumed it: its end, not a
        # report of running again, resumed the root
        assert [t.paused for t in told] == [True]


GATED = textwrap.dedent("""\
    version: 1.0
    tasks:
      first:
        action: t.gate
        input: {value: 1}
        next:
          - do: second
      second:
        action: core.noop
    """)


def test_a_paused_branch_lets_its_pausing_parent_be_paused_and_a_resume_ends_both(
        tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text(GATED, encoding="utf-8")
    (tmp_path / "parent.yaml").write_text(MIDDLE.replace("publish: [ok: '{{ result().ok }}']",
                                                         "publish: [ok: true]"),
                                          encoding="utf-8")
    events, seen, gate = queue.SimpleQueue[ProgressEvent](), [], Gate()
    handle = start_workflow(str(tmp_path / "parent.yaml"), actions={"t.gate": gate},
                            on_event=events.put)
    root = handle.execution_id
    assert gate.entered.wait(30)
    handle.pause()
    gate.opened.set()  # the child's running task ends: it is paused, held before `second`
    _until(events, "workflow_paused", f"{root}.call.0", seen)
    _until(events, "workflow_paused", root, seen)  # was left pausing for ever before
    assert handle.status == WorkflowStatus.PAUSED
    handle.resume()
    result = handle.wait(30)
    assert (result.status, result.output) == ("succeeded", {"ok": True})
    _until(events, "workflow_finished", root, seen)
    assert [e for k, e in seen if k == "workflow_resumed"].count(root) == 1
