"""A draining engine and remote attempts, with the in-process stand-in executor (no Ray).

- ``Engine.hold()`` submits no new remote attempt: the next task waits, unsubmitted, and
  nothing is journaled for it (no ``AttemptStarted`` even for a non-idempotent one); the
  drain waits for the remote attempt in flight and for its report to be durable; the next
  engine's recovery submits the held one and the workflow ends without ``outcome_unknown``.
- An execution started after the hold submits nothing either; its held items go back to
  the machine at a pause (their timeouts were never armed), and after a recovery a resume
  submits them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runtime import Engine
from runtime.executors import ActionOutcome
from runtime.status import WorkflowStatus
from runtime.store.entries import AttemptStarted, TimerArmed

from .conftest import Stand

pytestmark = pytest.mark.timeout(60)

NOT_IDEMPOTENT = "python:tests.executors.test_seam:not_idempotent"

CHAIN = textwrap.dedent(f"""\
    version: 1.0
    tasks:
      a:
        action: {NOT_IDEMPOTENT}
        input: {{n: 1}}
        next: [{{do: b, publish: [a: "{{{{ result() }}}}"]}}]
      b:
        action: {NOT_IDEMPOTENT}
        input: {{n: 2}}
        next: [{{publish: [b: "{{{{ result() }}}}"]}}]
    output:
      - both: "{{{{ [ctx('a'), ctx('b')] }}}}"
""")


def _ok(result: object) -> ActionOutcome:
    return ActionOutcome(outcome="succeeded", result=result)


def test_a_held_engine_submits_no_new_remote_attempt_and_recovery_runs_it(
        stand: Stand, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'troupe.db'}"
    engine = Engine(store=url, executor="ray")
    handle = engine.start_workflow(CHAIN)
    first, report = stand.next()
    assert first.call.task == "a"
    engine.hold()
    assert not engine.drained(0.2)  # `a` is out on the executor: the drain waits for it
    report(_ok(10))
    assert engine.drained(30)  # `a` reported and its report is durable
    engine.close(drain_timeout=30)
    assert stand.submitted.empty()  # `b` was held back, never submitted
    events = Engine(store=url).events(handle.execution_id)
    started = [e for e in events if isinstance(e, AttemptStarted)]
    assert len(started) == 1  # `a`'s (fenced); none for the held `b`
    assert sum(type(e).__name__ == "ActionCompleted" for e in events) == 1
    with Engine(store=url, executor="ray") as again:
        [recovered] = again.recover()
        second, report_second = stand.next()  # it never started: it runs now
        assert (second.call.task, second.input) == ("b", {"n": 2})
        report_second(_ok(20))
        result = recovered.wait(timeout=30)
    assert (result.status, list(result.errors)) == (WorkflowStatus.SUCCEEDED, [])
    assert result.output == {"both": [10, 20]}
    assert stand.submitted.empty()  # `a` was not sent again


FAN = textwrap.dedent("""\
    version: 1.0
    tasks:
      fan:
        with: {items: "{{ range(3) | list }}", concurrency: 3}
        action: troupe.echo message="{{ item() }}"
        executor: ray
        timeout: 5
        next: [{publish: [out: "{{ result() }}"]}]
    output:
      - out: "{{ ctx('out') }}"
""")


def test_a_new_execution_of_a_held_engine_waits_and_runs_after_recovery_and_resume(
        stand: Stand, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'troupe.db'}"
    engine = Engine(store=url)
    engine.hold()
    handle = engine.start_workflow(FAN, events=True)
    handle.pause()  # the held items go back to the machine: nothing runs, it pauses
    kinds = []
    for event in handle.events(timeout=30):
        kinds.append(event.kind)
        if event.kind == "workflow_paused":
            break
    assert kinds[-1] == "workflow_paused" and "item_finished" not in kinds
    engine.close(drain_timeout=30)
    assert stand.submitted.empty()
    events = Engine(store=url).events(handle.execution_id)
    assert not [e for e in events if isinstance(e, (AttemptStarted, TimerArmed))]
    with Engine(store=url) as again:
        [recovered] = again.recover()
        recovered.resume()
        pending = [stand.next() for _ in range(3)]
        assert sorted(spec.call.item for spec, _ in pending) == [0, 1, 2]
        for spec, report in pending:
            report(_ok(int(spec.input["message"]) * 3))
        result = recovered.wait(timeout=30)
    assert (result.status, result.output) == (WorkflowStatus.SUCCEEDED, {"out": [0, 3, 6]})
