"""Actions on Ray: with-items in order, cancel, timeout, failures, the version check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.api import start_workflow
from runtime.errors import ExecutorError
from runtime.status import WorkflowStatus

from .fifo import Starts, exits_within

pytestmark = [pytest.mark.ray, pytest.mark.timeout(240)]

ITEMS = 1000


@pytest.fixture
def starts(tmp_path: Path) -> Iterator[Starts]:
    fifo = Starts(tmp_path)
    yield fifo
    fifo.close()


def test_thousand_items_over_shell_and_python_come_back_in_item_order(
        ray_session: Any) -> None:
    wf = f"""
version: 1.0
tasks:
  sh:
    with: {{items: "{{{{ range({ITEMS}) | list }}}}", concurrency: 64}}
    action: core.local
    input: {{cmd: "echo {{{{ item() }}}}"}}
    next:
      - publish: [sh: "{{{{ result() | map(attribute='stdout') | list }}}}"]
  py:
    with: {{items: "{{{{ range({ITEMS}) | list }}}}", concurrency: 64}}
    action: python:tests.ray.actions:square
    input: {{n: "{{{{ item() }}}}"}}
    next:
      - publish: [py: "{{{{ result() }}}}"]
output:
  - sh: "{{{{ ctx('sh') }}}}"
  - py: "{{{{ ctx('py') }}}}"
"""
    result = start_workflow(wf, executor="ray").wait(timeout=200)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert result.output["sh"] == [str(n) for n in range(ITEMS)]
    assert result.output["py"] == [n * n for n in range(ITEMS)]


def test_cancel_in_the_middle_stops_the_ray_tasks(ray_session: Any, starts: Starts) -> None:
    wf = f"""
version: 1.0
tasks:
  sh:
    with: {{items: "{{{{ range(20) | list }}}}", concurrency: 4}}
    action: core.local
    input: {{cmd: "echo $$ > {starts.path}; exec sleep 120"}}
    executor: ray
"""
    handle = start_workflow(wf)
    pids = [int(line) for line in starts.take(2)]  # two CPUs: two items run
    handle.cancel(force=True)
    result = handle.wait(timeout=60)
    assert result.status is WorkflowStatus.CANCELED
    assert all(exits_within(pid, 30) for pid in pids), "a canceled command still runs"


def test_a_timeout_kills_its_ray_task(ray_session: Any, starts: Starts) -> None:
    wf = f"""
version: 1.0
tasks:
  held:
    action: python:tests.ray.actions:hold
    input: {{marker: "{starts.path}", n: 7}}
    executor: ray
    timeout: 6
"""
    handle = start_workflow(wf)
    (pid,) = (int(line) for line in starts.take(1))
    result = handle.wait(timeout=60)
    assert result.status is WorkflowStatus.FAILED
    assert [e.kind for e in result.errors] == ["action_timed_out"]
    assert exits_within(pid, 30), "the timed-out attempt's worker still runs"


def test_an_exception_in_the_action_is_an_ordinary_failure_that_ray_does_not_retry(
        ray_session: Any) -> None:
    wf = """
version: 1.0
tasks:
  bad:
    action: python:tests.ray.actions:boom
    input: {n: 3}
    retry: {count: 1}
"""
    result = start_workflow(wf, executor="ray").wait(timeout=60)
    assert result.status is WorkflowStatus.FAILED
    assert [(e.kind, e.result) for e in result.errors] == [("action_failed", {"n": 3})] * 2
    (task,) = result.tasks
    assert task.attempts == 2  # the workflow's retry, once; Ray itself never retried


def test_an_unimportable_function_is_refused_not_sent(ray_session: Any) -> None:
    wf = """
version: 1.0
tasks:
  t:
    action: mine
    executor: ray
"""
    result = start_workflow(wf, actions={"mine": lambda: 1}).wait(timeout=60)
    (error,) = result.errors
    assert error.kind == "action_failed"
    assert "no import path" in error.message


def test_the_executor_refuses_a_cluster_of_another_ray_version(
        ray_session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from actors.ray_executor import RayExecutor

    monkeypatch.setattr(ray_session, "__version__", "0.0.1")
    with pytest.raises(ExecutorError) as caught:
        RayExecutor.connect(None)
    assert caught.value.executor == "ray"
    assert "0.0.1" in caught.value.problem
