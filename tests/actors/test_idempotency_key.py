"""The idempotency key every action receives in its call record, through start_workflow."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import ActionFailed, start_workflow
from runtime.actions import Call, idempotency_key

pytestmark = pytest.mark.timeout(60)


def test_key_format_is_the_documented_one() -> None:
    """EXECUTION/TASK/ROUTE/ITEM/ATTEMPT, ``-`` for no item, 0 for item 0."""
    assert idempotency_key("e1", "deploy", 0, None, 1) == "e1/deploy/0/-/1"
    assert idempotency_key("e1", "deploy", 2, 0, 3) == "e1/deploy/2/0/3"
    assert idempotency_key("e1", "a/b", 0, 7, 1).rsplit("/", 3) == ["e1/a/b", "0", "7", "1"]


def test_every_attempt_gets_its_own_key_through_start_workflow() -> None:
    """Items, plain tasks and retries each get a distinct key built from their identity."""
    seen: list[Call] = []

    def probe(n: int, *, call: Call) -> int:
        seen.append(call)
        return n

    def flaky(*, call: Call) -> str:
        seen.append(call)
        if call.attempt == 1:
            raise ActionFailed("first try fails", result=None)
        return call.idempotency_key

    handle = start_workflow("""
version: 1.0
tasks:
  fan:
    with: '{{ [10, 20] }}'
    action: my.probe n={{ item() }}
    next:
      - do: again
  again:
    action: my.flaky
    retry:
      count: 1
""", actions={"my.probe": probe, "my.flaky": flaky})
    result = handle.wait(timeout=30)
    assert result.status == "succeeded", result.errors
    eid = handle.execution_id
    keys = sorted(call.idempotency_key for call in seen)
    assert keys == sorted([f"{eid}/fan/0/0/1", f"{eid}/fan/0/1/1",
                           f"{eid}/again/0/-/1", f"{eid}/again/0/-/2"])
    for call in seen:
        assert call.idempotency_key == idempotency_key(
            call.execution_id, call.task, call.route, call.item, call.attempt)
    assert result.tasks[-1].result == f"{eid}/again/0/-/2"


def test_actions_without_call_are_unaffected() -> None:
    """An action that does not ask for `call` still runs (no record is built for it)."""

    def plain(n: int) -> Any:
        return n

    result = start_workflow("tasks:\n  t:\n    action: my.plain n=3\n",
                            actions={"my.plain": plain}).wait(timeout=20)
    assert result.tasks[0].result == 3
