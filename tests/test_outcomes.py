"""What a user sees of failures, cancels and expression errors, through the public API and
the CLI: handled failures are marked handled, canceled delayed tasks are ordinary task
records, and expression errors in any field fail the task or the workflow with a record."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from runtime import ActionFailed, start_workflow
from runtime.status import TaskStatus, WorkflowStatus

pytestmark = pytest.mark.timeout(60)


def _fail(**_: Any) -> None:
    raise ActionFailed("boom", result={"why": "broken"})


HANDLED_BY_NOOP = textwrap.dedent("""\
    version: 1.0
    tasks:
      work:
        action: t.fail
        next:
          - when: '{{ succeeded() }}'
            do: after
          - when: '{{ failed() }}'
            do: noop
      after:
        action: core.noop
""")

HANDLED_BY_TASK = textwrap.dedent("""\
    version: 1.0
    tasks:
      work:
        action: t.fail
        next:
          - when: '{{ failed() }}'
            do: cleanup
      cleanup:
        action: core.noop
""")


@pytest.mark.parametrize(("text", "handler"), [
    (HANDLED_BY_NOOP, "next[1] -> noop"),
    (HANDLED_BY_TASK, "next[0] -> cleanup"),
])
def test_a_failure_a_transition_handles_is_kept_and_marked_handled(text: str,
                                                                   handler: str) -> None:
    result = start_workflow(text, actions={"t.fail": _fail}).wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED
    [error] = result.errors
    assert (error.kind, error.task, error.handled_by, error.handled) == (
        "action_failed", "work", handler, True)


def test_an_unhandled_failure_is_not_marked_handled() -> None:
    text = HANDLED_BY_NOOP.replace("do: noop", "do: continue")
    result = start_workflow(text, actions={"t.fail": _fail}).wait(timeout=30)
    assert result.status is WorkflowStatus.FAILED
    assert [(e.kind, e.handled_by) for e in result.errors] == [("action_failed", None)]


def test_handled_failures_of_with_items_are_marked_for_every_item() -> None:
    text = textwrap.dedent("""\
        version: 1.0
        tasks:
          work:
            with: x in {{ [1, 2, 3] }}
            action: t.maybe
            input: {x: '{{ item("x") }}'}
            next:
              - when: '{{ failed() }}'
                do: noop
    """)

    def maybe(x: int) -> int:
        if x != 2:
            raise ActionFailed(f"item {x}")
        return x

    result = start_workflow(text, actions={"t.maybe": maybe}).wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED
    assert result.errors
    assert {(e.kind, e.handled_by) for e in result.errors} == {
        ("action_failed", "next[0] -> noop")}


def test_an_item_input_that_does_not_render_is_handled_with_its_task() -> None:
    text = textwrap.dedent("""\
        version: 1.0
        tasks:
          work:
            with: x in {{ [1] }}
            action: core.noop
            input: {x: '{{ item() / 0 }}'}
            next:
              - when: '{{ failed() }}'
                do: noop
    """)
    result = start_workflow(text).wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED
    assert [(e.kind, e.item, e.field, e.handled_by) for e in result.errors] == [
        ("expression", 0, "input.x", "next[0] -> noop")]


def _troupe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd, check=False)


def test_the_cli_prints_a_handled_failure_as_handled(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(HANDLED_BY_NOOP.replace("t.fail", "core.local")
                                      .replace("action: core.local",
                                               "action: core.local\n    input: {cmd: 'exit 3'}"))
    done = _troupe("run", "wf.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert not [line for line in lines if line.startswith("error ")]
    assert [line for line in lines if line.startswith("handled action_failed [task work]")]
    as_json = json.loads(_troupe("run", "wf.yaml", "--json", cwd=tmp_path).stdout)
    assert [e["handled_by"] for e in as_json["errors"]] == ["next[1] -> noop"]


def test_a_delayed_task_canceled_before_it_starts_is_a_canceled_task() -> None:
    text = textwrap.dedent("""\
        version: 1.0
        tasks:
          later:
            delay: 600
            action: core.noop
    """)
    events: list[Any] = []
    handle = start_workflow(text, on_event=events.append)
    handle.cancel("changed my mind")  # handled after the start: the delay has begun
    result = handle.wait(timeout=30)
    assert result.status is WorkflowStatus.CANCELED
    [task] = result.tasks
    assert (task.name, task.status, task.attempts, task.pseudo) == (
        "later", TaskStatus.CANCELED, 0, False)
    finished = [e for e in events if e.kind == "task_finished"]
    assert [(e.task, e.status, e.pseudo) for e in finished] == [
        ("later", TaskStatus.CANCELED, False)]


def test_statuses_are_enum_members_that_compare_equal_to_their_names() -> None:
    events: list[Any] = []
    result = start_workflow(HANDLED_BY_TASK, actions={"t.fail": _fail},
                            on_event=events.append).wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED and result.status == "succeeded"
    assert [t.status for t in result.tasks] == [TaskStatus.FAILED, TaskStatus.SUCCEEDED]
    assert all(isinstance(e.status, (TaskStatus, WorkflowStatus))
               for e in events if e.status is not None)


@pytest.mark.parametrize("delay", ["'{{ ctx().nope }}'", "'{{ 1 / 0 }}'", "\"{{ 'abc' }}\""])
def test_an_expression_error_in_a_retry_delay_fails_the_workflow(delay: str) -> None:
    text = textwrap.dedent(f"""\
        version: 1.0
        tasks:
          work:
            action: t.fail
            retry:
              count: 2
              delay: {delay}
    """)
    result = start_workflow(text, actions={"t.fail": _fail}).wait(timeout=30)
    assert result.status is WorkflowStatus.FAILED
    assert ("expression", "work", "retry.delay") in [(e.kind, e.task, e.field)
                                                     for e in result.errors]
    assert [t.status for t in result.tasks] == [TaskStatus.FAILED]


def test_a_missing_key_in_an_output_is_an_error_not_undefined(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(textwrap.dedent("""\
        version: 1.0
        input:
          - s: {a: 1}
          - l: [1, 2]
        tasks:
          work:
            action: core.noop
        output:
          - a: '{{ ctx().s.nope }}'
          - b: '{{ ctx().l[9] }}'
        """))
    done = _troupe("run", "wf.yaml", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Undefined" not in done.stdout
    as_json = json.loads(_troupe("run", "wf.yaml", "--json", cwd=tmp_path).stdout)
    assert as_json["status"] == "failed"
    assert [e["field"] for e in as_json["errors"]] == ["output.a", "output.b"]
    assert "Undefined" not in json.dumps(as_json)


@pytest.mark.parametrize(("field", "value"), [
    ("with", "'{{ ctx().d }}'"), ("delay", "'{{ ctx().d }}'"), ("action", "'{{ ctx().l }}'")])
def test_machine_messages_name_json_types_not_pyrsistent_ones(field: str, value: str) -> None:
    task = {"with": f"with: {value}\n    action: core.noop",
            "delay": f"delay: {value}\n    action: core.noop",
            "action": f"action: {value}"}[field]
    text = f"version: 1.0\ninput: [d, l]\ntasks:\n  work:\n    {task}\n"
    result = start_workflow(text, {"d": {"a": 1}, "l": [1]}).wait(timeout=30)
    assert result.status is WorkflowStatus.FAILED
    [error] = result.errors
    assert error.kind == "expression"
    assert not any(word in error.message for word in ("PMap", "PVector", "pmap", "pvector"))


def test_the_cli_prints_what_a_succeeded_run_tolerated_as_a_warning(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(textwrap.dedent("""\
        version: "1.0.0"
        ref: tests.tolerant
        tasks:
          - name: work
            action: core.noop
        output_map:
          good: 'yes'
          bad: '{{ undefined_name }}'
        """))
    done = _troupe("run", "wf.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [line.split(":")[0] for line in done.stderr.splitlines()[:-1]] == [
        "warning expression"]
    assert done.stdout == "good: 'yes'\n"


def test_a_retry_delay_that_is_no_number_is_refused_at_load() -> None:
    """``delay: abc`` (no expression) cannot work: a located T103, before anything runs."""
    from runtime.errors import ValidationFailed

    text = "version: 1.0\ntasks:\n  work:\n    action: t.fail\n    retry:\n" \
           "      count: 2\n      delay: abc\n"
    with pytest.raises(ValidationFailed) as caught:
        start_workflow(text, actions={"t.fail": _fail})
    assert [(d.code, d.line, d.column, d.task) for d in caught.value.diagnostics] == [
        ("T103", 7, 14, "work")]
