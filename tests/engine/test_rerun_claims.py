"""Engine.rerun's claim (one rerun of an execution at a time, decided by the journal's
mailbox), ``reset`` with ``task.inner`` names, and the stored record's history."""

from __future__ import annotations

import queue
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import runtime.reruns
from runtime import ActionFailed, Engine
from runtime.errors import RerunRefused
from runtime.status import TaskStatus, WorkflowStatus
from runtime.store import Batch

pytestmark = pytest.mark.timeout(120)

ONE = "version: 1.0\ntasks:\n  b:\n    action: t.act\n    input: {name: b}\n"


class Held:
    """An action that fails while ``failing`` and blocks on ``gate`` once told to hold."""

    def __init__(self) -> None:
        self.failing = True
        self.hold = False
        self.gate = threading.Event()
        self.entered: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.calls = 0

    def __call__(self, name: str) -> Any:
        self.calls += 1
        if self.failing:
            raise ActionFailed("not yet")
        if self.hold:
            self.entered.put(name)
            self.gate.wait(30)
        return name


@pytest.fixture
def held() -> Held:
    return Held()


@pytest.fixture
def engine(tmp_path: Path, held: Held) -> Iterator[Engine]:
    with Engine(store=f"sqlite:///{tmp_path / 'claims.db'}",
                actions={"t.act": held}) as made:
        yield made
    held.gate.set()


def _failed(engine: Engine, held: Held) -> str:
    handle = engine.start_workflow(ONE)
    assert handle.wait(timeout=30).status is WorkflowStatus.FAILED
    held.failing = False
    held.hold = True
    return handle.execution_id


class SetupHold:
    """Holds the first rerun inside its setup (its first read of the execution), until
    ``go``; the others pass."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inside = threading.Event()
        self.go = threading.Event()
        real = runtime.reruns.read_tree
        first = [True]

        def read_tree(*args: Any, **kwargs: Any) -> Any:
            if first[0]:
                first[0] = False
                self.inside.set()
                self.go.wait(30)
            return real(*args, **kwargs)

        monkeypatch.setattr(runtime.reruns, "read_tree", read_tree)


def _in_thread(call: Any) -> tuple[threading.Thread, queue.SimpleQueue[Any]]:
    out: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def run() -> None:
        try:
            out.put(call())
        except Exception as exc:  # the answer, for the test thread
            out.put(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_two_racing_reruns_one_runs_and_the_other_is_refused_as_running(
        engine: Engine, held: Held, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first rerun reads the execution, then waits inside its setup; the second claims
    it and runs; the first's claim then finds it running."""
    execution_id = _failed(engine, held)
    hold = SetupHold(monkeypatch)
    thread, out = _in_thread(lambda: engine.rerun(execution_id))
    assert hold.inside.wait(30)
    second = engine.rerun(execution_id)
    assert held.entered.get(timeout=30) == "b"
    hold.go.set()
    thread.join(30)
    refused = out.get(timeout=5)
    assert isinstance(refused, RerunRefused), refused
    assert (refused.execution_id, refused.status) == (execution_id, "running")
    held.gate.set()
    result = second.wait(timeout=30)
    assert result.succeeded
    assert [r["number"] for r in result.reruns] == [1]
    kinds = [type(e).__name__ for e in engine.events(execution_id)]
    assert kinds.count("RerunRequested") == 1
    assert held.calls == 2  # the first run's and the second rerun's: the refused one none


def test_a_racing_rerun_over_http_gets_409(
        engine: Engine, held: Held, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from runtime.server import create_app
    from tests.server.conftest import settings_for

    execution_id = _failed(engine, held)
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    app = create_app(engine, settings_for(workflows, tmp_path))
    app.state.troupe.ready = True
    with TestClient(app) as client:
        hold = SetupHold(monkeypatch)
        thread, out = _in_thread(
            lambda: client.post(f"/api/v1/executions/{execution_id}/rerun", json={}))
        assert hold.inside.wait(30)
        second = engine.rerun(execution_id)
        assert held.entered.get(timeout=30) == "b"
        hold.go.set()
        thread.join(30)
        answer = out.get(timeout=5)
        assert answer.status_code == 409, answer.text
        assert (answer.json()["error"]["code"], answer.json()["error"]["status"]) == (
            "bad_status", "running")
        held.gate.set()
        assert second.wait(timeout=30).succeeded


def test_a_rerun_is_refused_while_its_rerun_runs_then_allowed_once_it_ended(
        engine: Engine, held: Held) -> None:
    execution_id = _failed(engine, held)
    events: queue.SimpleQueue[Any] = queue.SimpleQueue()
    first = engine.rerun(execution_id, tasks=["b"], on_event=events.put)
    assert held.entered.get(timeout=30) == "b"
    assert events.get(timeout=30).kind == "rerun"  # its notice, before its attempts' events
    with pytest.raises(RerunRefused) as refused:
        engine.rerun(execution_id, tasks=["b"])
    assert refused.value.status == "running"
    held.gate.set()
    assert first.wait(timeout=30).succeeded
    assert engine.rerun(execution_id, tasks=["b"]).wait(timeout=30).succeeded
    assert [r["number"] for r in engine.get(execution_id).wait(timeout=5).reruns] == [1, 2]


def test_the_journal_claims_only_an_execution_as_it_was_read(
        engine: Engine, held: Held) -> None:
    """A claim is written if the record is finished and the journal ends where it was
    read; otherwise it answers the status, and writes nothing."""
    execution_id = _failed(engine, held)
    last = engine.journal(execution_id)[-1].seq
    done = frozenset({"failed", "succeeded"})
    assert engine._claim(execution_id, last - 1, done, Batch()) == "running"  # read before
    assert engine._claim(execution_id, last, frozenset({"succeeded"}), Batch()) == "failed"
    assert engine._claim("nope", 0, done, Batch()) == "unknown"
    assert engine.journal(execution_id)[-1].seq == last
    assert engine.record(execution_id).status == "failed"


CHILD = textwrap.dedent("""\
    version: 1.0
    tasks:
      setup:
        action: t.items
        input: {item: -1}
        next: [{when: '{{ succeeded() }}', do: fan}]
      fan:
        with: '{{ range(6) | list }}'
        action: t.items
        input: {item: '{{ item() }}'}
    """)

MIDDLE = textwrap.dedent("""\
    version: 1.0
    tasks:
      sub:
        action: child.yaml
    """)

TOP = textwrap.dedent("""\
    version: 1.0
    tasks:
      before:
        action: t.items
        input: {item: -2}
        next: [{when: '{{ succeeded() }}', do: outer}]
      outer:
        action: middle.yaml
    """)


class Items:
    """Logs every item it is called with; fails those in ``failing``."""

    def __init__(self) -> None:
        self.failing = {2, 5}
        self.log: list[int] = []

    def __call__(self, item: int) -> Any:
        self.log.append(item)
        if item in self.failing:
            raise ActionFailed(f"item {item}")
        return item

    def take(self) -> list[int]:
        taken, self.log = sorted(self.log), []
        return taken


@pytest.fixture
def nested(tmp_path: Path) -> Iterator[tuple[Engine, Items, str]]:
    for name, text in (("child.yaml", CHILD), ("middle.yaml", MIDDLE), ("top.yaml", TOP)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    items = Items()
    with Engine(store=f"sqlite:///{tmp_path / 'nested.db'}",
                actions={"t.items": items}) as engine:
        handle = engine.start_workflow(tmp_path / "top.yaml")
        assert handle.wait(timeout=60).status is WorkflowStatus.FAILED
        assert items.take() == [-2, -1, 0, 1, 2, 3, 4, 5]
        items.failing = set()
        yield engine, items, handle.execution_id


def test_reset_names_a_with_items_task_deep_inside_sub_workflows(
        nested: tuple[Engine, Items, str]) -> None:
    engine, items, execution_id = nested
    result = engine.rerun(execution_id, tasks=["outer.sub.fan"],
                          reset=["outer.sub.fan"]).wait(timeout=60)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert items.take() == [0, 1, 2, 3, 4, 5]  # every item, not setup nor before
    [middle] = engine.list(parent=execution_id).executions
    [child] = engine.list(parent=middle.id).executions
    reruns = engine.get(child.id).wait(timeout=5).reruns
    assert [(r["reset"], [t["task"] for t in r["tasks"]]) for r in reruns] == [
        (["fan"], ["fan"])]


def test_without_reset_inside_only_the_failed_items_rerun(
        nested: tuple[Engine, Items, str]) -> None:
    engine, items, execution_id = nested
    result = engine.rerun(execution_id).wait(timeout=60)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert items.take() == [2, 5]
    assert [t.status for t in result.tasks if t.name == "before"] == [TaskStatus.SUCCEEDED]


@pytest.mark.parametrize(("reset", "task", "reason"), [
    (["outer.sub.nothing"], "outer.sub.nothing", "unknown_task"),
    (["nothing.x"], "nothing.x", "unknown_task"),
    (["nothing"], "nothing", "unknown_task"),
    (["outer.sub.setup"], "outer.sub.setup", "not_rerun"),
    (["before.x"], "before.x", "not_rerun"),
])
def test_bad_reset_names_inside_are_refused_with_their_full_name(
        nested: tuple[Engine, Items, str], reset: list[str], task: str, reason: str) -> None:
    engine, items, execution_id = nested
    with pytest.raises(RerunRefused) as refused:
        engine.rerun(execution_id, reset=reset)
    assert (refused.value.task, refused.value.reason) == (task, reason)
    assert items.take() == []
    assert engine.record(execution_id).status == "failed"


def test_a_sub_workflow_task_reset_inside_starts_its_sub_workflow_again(
        nested: tuple[Engine, Items, str]) -> None:
    engine, items, execution_id = nested
    result = engine.rerun(execution_id, reset=["outer.sub"]).wait(timeout=60)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert items.take() == [-1, 0, 1, 2, 3, 4, 5]  # setup again, every item; not before


def test_reset_inside_a_task_that_starts_its_sub_workflow_again_is_refused(
        nested: tuple[Engine, Items, str]) -> None:
    engine, items, execution_id = nested
    with pytest.raises(RerunRefused) as refused:
        engine.rerun(execution_id, tasks=["outer"], reset=["outer", "outer.sub.fan"])
    assert (refused.value.task, refused.value.reason) == ("outer.sub.fan",
                                                          "not_a_sub_workflow")
    assert items.take() == []


def test_the_stored_record_keeps_the_history(nested: tuple[Engine, Items, str]) -> None:
    engine, items, execution_id = nested
    assert engine.record(execution_id).reruns == []
    first = engine.rerun(execution_id).wait(timeout=60)
    assert items.take() == [2, 5]
    assert engine.record(execution_id).reruns == first.reruns
    second = engine.rerun(execution_id, tasks=["before"]).wait(timeout=60)
    row = engine.record(execution_id)
    assert row.reruns == second.reruns
    assert [(r["number"], [t["task"] for t in r["tasks"]]) for r in row.reruns] == [
        (1, ["outer"]), (2, ["before"])]
