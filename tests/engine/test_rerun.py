"""Engine.rerun through the Python API, on SQLite: what reruns (the actions' call logs
show it), what keeps its records, the history, and the refusals."""

from __future__ import annotations

import queue
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import ActionFailed, Engine
from runtime.actions import idempotent
from runtime.errors import ParameterError, RerunRefused, UnknownExecution
from runtime.status import TaskStatus, WorkflowStatus

pytestmark = pytest.mark.timeout(120)

FAN = textwrap.dedent("""\
    version: 1.0
    input:
      - n
      - tag: {required: true, type: string}
    tasks:
      prepare:
        action: t.log
        input: {name: prepare, tag: '{{ ctx("tag") }}'}
        next: [{when: '{{ succeeded() }}', do: fan}]
      fan:
        with: '{{ range(ctx("n")) | list }}'
        action: t.log
        input: {name: fan, item: '{{ item() }}', tag: '{{ ctx("tag") }}'}
        next: [{when: '{{ succeeded() }}', do: report}]
      report:
        action: t.log
        input: {name: report, tag: '{{ ctx("tag") }}'}
    """)


class Calls:
    """An action that logs every call and fails the items in ``failing``."""

    def __init__(self, failing: set[int]) -> None:
        self.failing = failing
        self.log: list[tuple[str, Any, str]] = []  # appended from worker threads (atomic)

    def __call__(self, name: str, tag: str, item: int | None = None) -> Any:
        self.log.append((name, item, tag))
        if item is not None and item in self.failing:
            raise ActionFailed(f"item {item} failed")
        return {"name": name, "item": item}

    def take(self) -> list[tuple[str, Any, str]]:
        taken, self.log = self.log, []
        return taken


@pytest.fixture
def calls() -> Calls:
    return Calls(failing={3, 17, 28, 42, 56, 77, 99})


@pytest.fixture
def engine(tmp_path: Path, calls: Calls) -> Iterator[Engine]:
    with Engine(store=f"sqlite:///{tmp_path / 'troupe.db'}",
                actions={"t.log": calls}) as made:
        yield made


def _failed_run(engine: Engine, calls: Calls) -> str:
    handle = engine.start_workflow(FAN, {"n": 100, "tag": "first"})
    assert handle.wait(timeout=60).status is WorkflowStatus.FAILED
    calls.take()
    calls.failing.clear()
    return handle.execution_id


def test_the_seven_failed_items_of_a_hundred_rerun_and_nothing_else(
        engine: Engine, calls: Calls) -> None:
    execution_id = _failed_run(engine, calls)
    result = engine.rerun(execution_id).wait(timeout=60)
    assert result.status is WorkflowStatus.SUCCEEDED
    log = calls.take()
    assert sorted(item for name, item, _ in log if name == "fan") == [3, 17, 28, 42, 56, 77, 99]
    assert [name for name, _, _ in log if name != "fan"] == ["report"]
    fan = [t for t in result.tasks if t.name == "fan"]
    assert [t.status for t in fan] == [TaskStatus.FAILED, TaskStatus.SUCCEEDED]
    assert [r["item"] for r in fan[-1].result] == list(range(100))
    assert result.errors == []
    assert [t.status for t in result.tasks if t.name == "prepare"] == [TaskStatus.SUCCEEDED]


def test_reset_reruns_all_hundred_items(engine: Engine, calls: Calls) -> None:
    execution_id = _failed_run(engine, calls)
    result = engine.rerun(execution_id, tasks=["fan"], reset=["fan"]).wait(timeout=60)
    assert result.status is WorkflowStatus.SUCCEEDED
    items = [item for name, item, _ in calls.take() if name == "fan"]
    assert sorted(items) == list(range(100))


def test_edited_parameters_reach_only_the_rerun_tasks(engine: Engine, calls: Calls) -> None:
    execution_id = _failed_run(engine, calls)
    result = engine.rerun(execution_id, parameters={"tag": "second"}).wait(timeout=60)
    assert result.status is WorkflowStatus.SUCCEEDED
    log = calls.take()
    assert {tag for _, _, tag in log} == {"second"}
    assert {name for name, _, _ in log} == {"fan", "report"}  # prepare is not called again
    assert result.reruns[0]["parameters"] == ["tag"]


def test_edited_parameters_are_checked_as_at_start(engine: Engine, calls: Calls) -> None:
    execution_id = _failed_run(engine, calls)
    with pytest.raises(ParameterError) as refused:
        engine.rerun(execution_id, parameters={"tag": 5})
    assert [p.parameter for p in refused.value.problems] == ["tag"]
    assert calls.take() == []
    assert engine.get(execution_id).wait(timeout=5).reruns == []


def test_rerun_attempts_have_idempotency_keys_of_their_own(tmp_path: Path) -> None:
    keys: list[str] = []
    failing = {"b"}

    def act(name: str, *, call: Any) -> Any:
        keys.append(call.idempotency_key)
        if name in failing:
            raise ActionFailed("not yet")
        return name

    flow = ("version: 1.0\ntasks:\n  a:\n    action: t.act\n    input: {name: a}\n"
            "    next: [{when: '{{ succeeded() }}', do: b}]\n"
            "  b:\n    action: t.act\n    input: {name: b}\n")
    with Engine(store=f"sqlite:///{tmp_path / 'keys.db'}", actions={"t.act": act}) as engine:
        handle = engine.start_workflow(flow)
        handle.wait(timeout=30)
        engine.rerun(handle.execution_id).wait(timeout=30)
        failing.clear()
        assert engine.rerun(handle.execution_id).wait(timeout=30).succeeded
    eid = handle.execution_id
    assert keys == [f"{eid}/a/0/-/1", f"{eid}/b/0/-/1", f"{eid}.r1/b/0/-/1",
                    f"{eid}.r2/b/0/-/1"]


def test_the_history_keeps_every_rerun(engine: Engine, calls: Calls) -> None:
    execution_id = _failed_run(engine, calls)
    engine.rerun(execution_id).wait(timeout=60)
    engine.rerun(execution_id, tasks=[{"task": "report", "route": 0}]).wait(timeout=60)
    reruns = engine.get(execution_id).wait(timeout=5).reruns
    assert [(r["number"], [t["task"] for t in r["tasks"]]) for r in reruns] == [
        (1, ["fan"]), (2, ["report"])]
    assert engine.record(execution_id).status == "succeeded"
    kinds = [type(e).__name__ for e in engine.events(execution_id)]
    assert kinds.count("RerunRequested") == 2


def test_a_running_execution_is_refused(engine: Engine, calls: Calls) -> None:
    gate = threading.Event()

    def wait(**_: Any) -> None:
        gate.wait(30)

    handle = engine.start_workflow(
        "version: 1.0\ntasks:\n  hold:\n    action: t.wait\n", actions={"t.wait": wait})
    try:
        with pytest.raises(RerunRefused) as refused:
            engine.rerun(handle.execution_id)
        assert refused.value.status in {"requested", "running"}
        assert refused.value.execution_id == handle.execution_id
    finally:
        gate.set()
    handle.wait(timeout=30)


def test_unknown_executions_and_tasks_are_errors(engine: Engine, calls: Calls) -> None:
    with pytest.raises(UnknownExecution):
        engine.rerun("nope")
    execution_id = _failed_run(engine, calls)
    with pytest.raises(RerunRefused) as refused:
        engine.rerun(execution_id, tasks=["nothing"])
    assert (refused.value.task, refused.value.reason) == ("nothing", "unknown_task")
    with pytest.raises(RerunRefused) as refused:
        engine.rerun(execution_id, tasks=["report"])
    assert (refused.value.task, refused.value.reason) == ("report", "never_ran")
    with pytest.raises(RerunRefused) as refused:
        engine.rerun(execution_id, tasks=["fan:4"])
    assert (refused.value.task, refused.value.reason) == ("fan", "bad_route")
    assert calls.take() == []


CHILD = textwrap.dedent("""\
    version: 1.0
    input: [tag]
    tasks:
      setup:
        action: t.log
        input: {name: setup, tag: '{{ ctx("tag") }}'}
        next: [{when: '{{ succeeded() }}', do: work}]
      work:
        action: t.log
        input: {name: work, tag: '{{ ctx("tag") }}', item: 1}
    output:
      - done: yes
    """)

PARENT = textwrap.dedent("""\
    version: 1.0
    tasks:
      before:
        action: t.log
        input: {name: before, tag: p}
        next: [{when: '{{ succeeded() }}', do: sub}]
      sub:
        action: child.yaml
        input: {tag: c}
        next: [{when: '{{ succeeded() }}', do: after}]
      after:
        action: t.log
        input: {name: after, tag: p}
    """)


@pytest.fixture
def parent_file(tmp_path: Path) -> Path:
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    path = tmp_path / "parent.yaml"
    path.write_text(PARENT, encoding="utf-8")
    return path


def test_a_failed_sub_workflow_task_reruns_inside_its_sub_workflow(
        engine: Engine, calls: Calls, parent_file: Path) -> None:
    """`work` failed inside `sub`: the rerun continues that sub-workflow execution, where
    only `work` runs again (`setup` and `before` are not called again)."""
    calls.failing = {1}
    handle = engine.start_workflow(parent_file)
    assert handle.wait(timeout=60).status is WorkflowStatus.FAILED
    assert [name for name, _, _ in calls.take()] == ["before", "setup", "work"]
    calls.failing.clear()
    result = engine.rerun(handle.execution_id).wait(timeout=60)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert [name for name, _, _ in calls.take()] == ["work", "after"]
    [child] = engine.list(parent=handle.execution_id).executions
    child_result = engine.get(child.id).wait(timeout=5)
    assert [r["tasks"][0]["task"] for r in child_result.reruns] == ["work"]
    assert [(t.name, t.status) for t in child_result.tasks] == [
        ("setup", TaskStatus.SUCCEEDED), ("work", TaskStatus.FAILED),
        ("work", TaskStatus.SUCCEEDED)]


def test_a_task_inside_a_sub_workflow_is_named_task_dot_inner(
        engine: Engine, calls: Calls, parent_file: Path) -> None:
    handle = engine.start_workflow(parent_file)
    assert handle.wait(timeout=60).status is WorkflowStatus.SUCCEEDED
    calls.take()
    result = engine.rerun(handle.execution_id, tasks=["sub.setup"]).wait(timeout=60)
    assert result.status is WorkflowStatus.SUCCEEDED
    assert [name for name, _, _ in calls.take()] == ["setup", "work", "after"]
    with pytest.raises(RerunRefused) as refused:
        engine.rerun(handle.execution_id, tasks=["sub.nothing"])
    assert (refused.value.task, refused.value.reason) == ("sub.nothing", "unknown_task")
    with pytest.raises(RerunRefused) as refused:
        engine.rerun(handle.execution_id, tasks=["before.x"])
    assert (refused.value.task, refused.value.reason) == ("before.x", "not_a_sub_workflow")
    named = engine.rerun(handle.execution_id, tasks=["sub"]).wait(timeout=60)
    assert named.status is WorkflowStatus.SUCCEEDED  # nothing failed inside: it starts again
    assert [name for name, _, _ in calls.take()] == ["setup", "work", "after"]


def test_a_rerun_inside_a_sub_workflow_is_recovered_after_a_stop(
        tmp_path: Path, parent_file: Path) -> None:
    """The engine stops while the rerun's `work` runs inside the sub-workflow (its
    supervisors abandoned, as a crash leaves them); the next engine's recovery finishes it,
    calling neither `before` nor `setup` again."""
    store = f"sqlite:///{tmp_path / 'crash.db'}"
    calls = Calls(failing={1})
    entered: queue.SimpleQueue[str] = queue.SimpleQueue()
    release = threading.Event()

    def blocking(name: str, tag: str, item: int | None = None) -> Any:
        if calls.failing == set() and name == "work":
            entered.put(name)
            release.wait(30)
            return None  # the abandoned attempt: its engine is gone, nothing is logged
        return calls(name, tag, item)

    first = Engine(store=store, actions={"t.log": idempotent(blocking)})
    handle = first.start_workflow(parent_file)
    assert handle.wait(timeout=60).status is WorkflowStatus.FAILED
    calls.failing = set()
    calls.take()
    first.rerun(handle.execution_id)  # returns once its requests are durable (its claim)
    assert entered.get(timeout=30) == "work"
    first.close(drain_timeout=0)  # abandoned mid-rerun: nothing more is journaled
    release.set()
    calls.take()
    with Engine(store=store, actions={"t.log": idempotent(calls)}) as again:
        [recovered] = again.recover()
        result = recovered.wait(timeout=60)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert [name for name, _, _ in calls.take()] == ["work", "after"]
    assert [r["number"] for r in result.reruns] == [1]


def test_a_rerunning_execution_is_not_purged(tmp_path: Path) -> None:
    """Its record keeps its first end time while it runs again: a purge with a horizon
    after that time leaves it alone (and its journal)."""
    release = threading.Event()
    entered: queue.SimpleQueue[str] = queue.SimpleQueue()
    failing = {"b"}

    def act(name: str) -> Any:  # not idempotent: it starts once its start is durable
        if name in failing:
            raise ActionFailed("not yet")
        entered.put(name)
        release.wait(30)
        return name

    flow = "version: 1.0\ntasks:\n  b:\n    action: t.act\n    input: {name: b}\n"
    with Engine(store=f"sqlite:///{tmp_path / 'purge.db'}", actions={"t.act": act}) as engine:
        handle = engine.start_workflow(flow)
        handle.wait(timeout=30)
        failing.clear()
        rerun = engine.rerun(handle.execution_id)
        assert entered.get(timeout=30) == "b"  # the rerun's request and status are durable
        try:
            purged = engine._ask(lambda store: store.purge(finished_before=time.time() + 60))
            assert purged == 0
        finally:
            release.set()
        assert rerun.wait(timeout=30).succeeded
        assert engine.record(handle.execution_id).status == "succeeded"
