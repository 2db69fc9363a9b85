"""Size guards through start_workflow, with the default limits (runtime.limits)."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import start_workflow
from runtime.limits import DEFAULT_LIMITS, MIB
from runtime.progress import ProgressEvent

pytestmark = pytest.mark.timeout(60)

WORKFLOW = """
version: 1.0
tasks:
  fan:
    with: '{{ [0, 1] }}'
    action: my.blob n={{ item() }}
    next:
      - when: '{{ failed() }}'
        do: noop
"""


def test_a_result_over_the_hard_limit_fails_naming_the_task_and_item() -> None:
    """Item 1 returns 17 MiB: it fails with result_too_large (its size and the limit in
    the record), the other item's result is kept, and a transition can handle it."""
    big = "x" * (17 * MIB)

    def blob(n: int) -> str:
        return big if n == 1 else "small"

    result = start_workflow(WORKFLOW, actions={"my.blob": blob}).wait(timeout=60)
    (error,) = result.errors
    assert (error.kind, error.task, error.item) == ("result_too_large", "fan", 1)
    assert error.result == {"size": 17 * MIB + 2, "limit": DEFAULT_LIMITS.result_max_bytes,
                            "limit_name": "result_max_bytes"}
    assert error.handled_by is not None
    assert result.status == "succeeded"
    assert result.tasks[0].result[0] == "small"


def test_a_result_over_the_warning_is_kept_with_a_progress_event() -> None:
    """2 MiB is over the 1 MiB warning: kept, and a size_warning progress event says so."""
    events: list[ProgressEvent] = []
    value = "y" * (2 * MIB)

    def blob(n: int) -> Any:
        return value if n == 0 else n

    handle = start_workflow(WORKFLOW, actions={"my.blob": blob}, on_event=events.append)
    result = handle.wait(timeout=60)
    assert result.status == "succeeded", result.errors
    assert result.tasks[0].result == [value, 1]
    warned = [e for e in events if e.kind == "size_warning"]
    assert [(e.task, e.item, e.size, e.limit, e.measure) for e in warned] == [
        ("fan", 0, 2 * MIB + 2, DEFAULT_LIMITS.result_warn_bytes, "result")]
    assert warned[0].execution_id == handle.execution_id


def test_the_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from runtime import start_workflow

    monkeypatch.setenv("TROUPE_RESULT_MAX_BYTES", "100")
    text = "version: 1.0\ntasks:\n  big:\n    action: core.echo\n    input: {message: '" \
        + "x" * 200 + "'}\n"
    result = start_workflow(text).wait(timeout=30)
    assert [e.kind for e in result.errors] == ["result_too_large"]
