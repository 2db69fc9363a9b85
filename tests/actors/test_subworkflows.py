"""Sub-workflows are resolved when the workflow is loaded, and keep their own secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime import ActionFailed, ValidationFailed, start_workflow
from runtime.spec import load_workflow
from runtime.spec.subworkflows import resolve_subworkflows

SECRET = "hunter2-secret"


def test_nested_subworkflows_resolve_from_their_own_directory(tmp_path: Path) -> None:
    """A sub-workflow's own file references are relative to its file, not to the root's."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "child.yaml").write_text("""
tasks:
  inner:
    action: grandchild.yaml
    next: [{publish: 'got={{ result().value }}'}]
output: [{value: '{{ ctx("got") }}'}]
""")
    (tmp_path / "sub" / "grandchild.yaml").write_text("""
tasks:
  leaf:
    action: troupe.echo message=deep
    next: [{publish: 'v={{ result() }}'}]
output: [{value: '{{ ctx("v") }}'}]
""")
    parent = tmp_path / "parent.yaml"
    parent.write_text("""
tasks:
  call:
    action: sub/child.yaml
    next: [{publish: 'answer={{ result().value }}'}]
output: [{answer: '{{ ctx("answer") }}'}]
""")
    result = start_workflow(parent).wait(timeout=20)
    assert result.status == "succeeded", result.errors
    assert result.output == {"answer": "deep"}


def test_a_missing_subworkflow_file_fails_validation_at_its_task(tmp_path: Path) -> None:
    """A reference to a file that does not exist is a validation error naming the task."""
    parent = tmp_path / "parent.yaml"
    parent.write_text("tasks:\n  first:\n    action: core.noop\n    next: [{do: call}]\n"
                      "  call:\n    action: nope.yaml\n")
    with pytest.raises(ValidationFailed) as failed:
        start_workflow(parent)
    assert [(d.code, d.task, d.file, d.line) for d in failed.value.diagnostics] == [
        ("T401", "call", str(parent), 5)]


def test_an_invalid_subworkflow_file_fails_validation(tmp_path: Path) -> None:
    """A sub-workflow with an error is reported at start: at the calling task, then its own."""
    (tmp_path / "child.yaml").write_text("tasks:\n  t:\n    action: core.noop\n"
                                         "    next: [{do: missing}]\n")
    parent = tmp_path / "parent.yaml"
    parent.write_text("tasks:\n  call:\n    action: child.yaml\n")
    with pytest.raises(ValidationFailed) as failed:
        start_workflow(parent)
    found = {(d.code, d.task, Path(d.file or "").name) for d in failed.value.diagnostics}
    assert ("T401", "call", "parent.yaml") in found
    assert ("T201", "t", "child.yaml") in found


def test_an_unknown_action_in_a_subworkflow_fails_validation(tmp_path: Path) -> None:
    """The actions of a sub-workflow file are checked at start, like the root's."""
    (tmp_path / "child.yaml").write_text("tasks:\n  t:\n    action: no.such_action\n")
    parent = tmp_path / "parent.yaml"
    parent.write_text("tasks:\n  call:\n    action: child.yaml\n")
    with pytest.raises(ValidationFailed) as failed:
        start_workflow(parent)
    assert ("T401", "t") in {(d.code, d.task) for d in failed.value.diagnostics}


def test_workflows_calling_each_other_resolve_once_each(tmp_path: Path) -> None:
    """Mutual recursion terminates at load and runs until its condition stops it."""
    for name, other in (("a", "b"), ("b", "a")):
        (tmp_path / f"{name}.yaml").write_text(f"""
input: [n]
tasks:
  check:
    action: core.noop
    next:
      - when: '{{{{ ctx("n") > 0 }}}}'
        do: recurse
      - when: '{{{{ ctx("n") <= 0 }}}}'
        publish: 'seen={name}'
  recurse:
    action: {other}.yaml
    input: {{n: '{{{{ ctx("n") - 1 }}}}'}}
    next: [{{publish: 'seen={name}{{{{ result().seen }}}}'}}]
output: [{{seen: '{{{{ ctx("seen") }}}}'}}]
""")
    defn = load_workflow(tmp_path / "a.yaml")
    subs = resolve_subworkflows(defn, tmp_path, {})
    here = tmp_path.resolve()
    assert set(subs.files) == {(here, "a.yaml"), (here, "b.yaml")}
    result = start_workflow(tmp_path / "a.yaml", {"n": 3}).wait(timeout=20)
    assert result.status == "succeeded", result.errors
    assert result.output == {"seen": "abab"}


def test_a_subworkflow_file_is_read_when_the_workflow_starts(tmp_path: Path) -> None:
    """The child file is loaded by start_workflow: removing it afterwards changes nothing."""
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    (tmp_path / "child.yaml").write_text("tasks:\n  t:\n    action: troupe.echo message=hi\n")
    parent = tmp_path / "parent.yaml"
    parent.write_text(f"""
tasks:
  wait:
    action: core.local cmd="cat {fifo}"
    next: [{{do: call}}]
  call:
    action: child.yaml
""")
    handle = start_workflow(parent)
    (tmp_path / "child.yaml").unlink()
    with fifo.open("w") as pipe:
        pipe.write("go\n")
    result = handle.wait(timeout=20)
    assert result.status == "succeeded", result.errors


def test_a_subworkflow_secret_appears_nowhere(tmp_path: Path) -> None:
    """The child's own secret input is masked in its trace lines and in the errors it
    reports to its parent, not only the parent's secrets."""
    (tmp_path / "child.yaml").write_text("""
input:
  - token: {required: true, secret: true}
tasks:
  use:
    action: my.leak
    input: {token: '{{ ctx("token") }}'}
""")
    parent = tmp_path / "parent.yaml"
    parent.write_text(f"""
tasks:
  call:
    action: child.yaml
    input: {{token: {SECRET}}}
""")

    def leak(token: str) -> None:
        raise ActionFailed(f"rejected token {token}")

    trace = tmp_path / "trace.jsonl"
    result = start_workflow(parent, actions={"my.leak": leak}, trace=trace).wait(timeout=20)
    assert result.status == "failed"
    error = result.task("call").error
    assert error is not None and "***" in error
    printed = repr(result.tasks) + repr(result.errors) + repr(result.sequence)
    assert SECRET not in printed
    text = trace.read_text(encoding="utf-8")
    assert '"workflow.started"' in text and '"inputs":{"token":"***"}' in text
    assert SECRET not in text


def test_a_parent_secret_passed_down_stays_masked(tmp_path: Path) -> None:
    """A parent's secret given to a child as a plain input is masked in the child's lines."""
    (tmp_path / "child.yaml").write_text("""
input: [token]
tasks:
  use:
    action: troupe.echo
    input: {message: '{{ ctx("token") }}'}
""")
    parent = tmp_path / "parent.yaml"
    parent.write_text("""
input:
  - token: {required: true, secret: true}
tasks:
  call:
    action: child.yaml
    input: {token: '{{ ctx("token") }}'}
""")
    trace = tmp_path / "trace.jsonl"
    result = start_workflow(parent, {"token": SECRET}, trace=trace).wait(timeout=20)
    assert result.status == "succeeded", result.errors
    assert SECRET not in trace.read_text(encoding="utf-8")
