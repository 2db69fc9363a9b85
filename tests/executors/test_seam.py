"""The executor seam in the actor shell, with an in-process stand-in for a remote executor
(no Ray): reports are messages dropped by their key when late, ``worker_lost`` is routed like
any failure, a non-idempotent remote attempt is fenced like a local one and recovery treats
remote attempts as it treats local ones."""

from __future__ import annotations

import textwrap
import threading
from typing import Any

import pytest

from runtime import Engine
from runtime.api import start_workflow
from runtime.executors import ActionOutcome
from runtime.status import WorkflowStatus
from runtime.store import MemoryStore
from runtime.store.entries import AttemptStarted

from .conftest import Stand

pytestmark = pytest.mark.timeout(60)


def _ok(result: Any) -> ActionOutcome:
    return ActionOutcome(outcome="succeeded", result=result)


def not_idempotent(n: int) -> int:
    """A plain function: not idempotent."""
    return n


def test_worker_lost_is_a_failure_the_workflow_routes(stand: Stand) -> None:
    wf = textwrap.dedent("""\
        version: 1.0
        tasks:
          t:
            action: core.local
            input: {cmd: "exit 0"}
            executor: ray
            next:
              - when: "{{ failed() }}"
                do: noop
    """)
    handle = start_workflow(wf)
    spec, report = stand.next()
    assert (spec.kind, spec.idempotent) == ("shell", False)
    report(ActionOutcome(outcome="worker_lost", error="worker lost: NodeDiedError"))
    result = handle.wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED
    (error,) = result.errors
    assert (error.kind, error.task, error.handled_by) == ("worker_lost", "t", "next[0] -> noop")


def test_a_late_report_of_a_timed_out_attempt_is_dropped_by_its_key(stand: Stand) -> None:
    wf = textwrap.dedent("""\
        version: 1.0
        tasks:
          t:
            action: troupe.echo message=x
            timeout: 0.2
            retry: {count: 1}
            next:
              - publish: [out: "{{ result() }}"]
        output:
          - out: "{{ ctx('out') }}"
    """)
    handle = start_workflow(wf, executor="ray")
    first, report_first = stand.next()
    assert stand.killed.get(timeout=30) == first.call.idempotency_key  # timed out: killed
    second, report_second = stand.next()  # the retry: a new attempt, a new key
    assert (first.call.attempt, second.call.attempt) == (1, 2)
    report_first(_ok("late"))
    report_second(_ok("second"))
    result = handle.wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED
    assert result.output == {"out": "second"}


def test_a_task_may_stay_local_under_a_remote_engine_default(stand: Stand) -> None:
    wf = textwrap.dedent("""\
        version: 1.0
        tasks:
          here:
            action: troupe.echo message=local
            executor: local
            next: [{do: there, publish: [a: "{{ result() }}"]}]
          there:
            action: troupe.echo message=remote
            next: [{publish: [b: "{{ result() }}"]}]
        output:
          - both: "{{ [ctx('a'), ctx('b')] }}"
    """)
    handle = start_workflow(wf, executor="ray")
    spec, report = stand.next()
    assert (spec.call.task, spec.input) == ("there", {"message": "remote"})
    report(_ok("from afar"))
    assert handle.wait(timeout=30).output == {"both": ["local", "from afar"]}


def _crash_with_an_attempt_out(store: Any, stand: Stand, action: str) -> str:
    wf = textwrap.dedent(f"""\
        version: 1.0
        tasks:
          t:
            action: {action}
            input: {{n: 4}}
            next: [{{publish: [out: "{{{{ result() }}}}"]}}]
        output:
          - out: "{{{{ ctx('out') }}}}"
    """)
    engine = Engine(store=store, executor="ray")
    handle = engine.start_workflow(wf)
    stand.next()  # submitted (a non-idempotent one only once its start was durable)
    started = [e for e in engine.events(handle.execution_id) if isinstance(e, AttemptStarted)]
    engine.close(drain_timeout=0)  # abandoned with the attempt out, as a crash leaves it
    return f"{handle.execution_id}:{len(started)}"


def test_recovery_resends_an_idempotent_remote_attempt(stand: Stand) -> None:
    store = MemoryStore()
    _crash_with_an_attempt_out(store, stand, "python:tests.ray.actions:square")
    with Engine(store=store, executor="ray") as engine:
        [handle] = engine.recover()
        spec, report = stand.next()  # sent again, with the same key
        assert spec.idempotent
        report(_ok(16))
        result = handle.wait(timeout=30)
    assert (result.status, result.output) == (WorkflowStatus.SUCCEEDED, {"out": 16})


def test_recovery_ends_a_started_non_idempotent_remote_attempt_as_outcome_unknown(
        stand: Stand) -> None:
    store = MemoryStore()
    ref = "python:tests.executors.test_seam:not_idempotent"
    _, started = _crash_with_an_attempt_out(store, stand, ref).split(":")
    assert started == "1"  # fenced: its start was journaled before it was submitted
    with Engine(store=store, executor="ray") as engine:
        [handle] = engine.recover()
        result = handle.wait(timeout=30)
    assert [e.kind for e in result.errors] == ["outcome_unknown"]
    assert stand.submitted.empty()  # never sent again blindly


def test_reports_come_from_any_thread_as_messages(stand: Stand) -> None:
    wf = textwrap.dedent("""\
        version: 1.0
        tasks:
          t:
            with: {items: "{{ range(50) | list }}", concurrency: 50}
            action: troupe.echo message="{{ item() }}"
            executor: ray
            next: [{publish: [out: "{{ result() }}"]}]
        output:
          - out: "{{ ctx('out') }}"
    """)
    handle = start_workflow(wf)
    pending = [stand.next() for _ in range(50)]
    threads = [threading.Thread(target=report, args=(_ok(spec.input["message"] * 2),))
               for spec, report in reversed(pending)]  # in reverse, from 50 threads
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert handle.wait(timeout=30).output == {"out": [2 * n for n in range(50)]}
