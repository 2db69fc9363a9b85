"""A task's input names checked against its action's parameters at validation (T406-T408).

The run-time check (:func:`runtime.actions.registry.invoke`) and the validation check
(:class:`runtime.actions.accepts.Accepts`) read the same signature with the same function;
the property test at the end holds them to the same answer for any set of names.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import start_workflow
from runtime.actions import ActionRegistry
from runtime.actions.accepts import accepts_of
from runtime.actions.call import Call
from runtime.actions.registry import Action, invoke
from runtime.errors import ActionFailed, ValidationFailed
from runtime.spec import load_workflow, validate

pytestmark = pytest.mark.timeout(60)


def deploy(host: str, port: int = 22, *, user: str, dry_run: bool = False) -> str:
    """A user action with required and optional, positional and keyword-only parameters."""
    return f"{user}@{host}:{port}{' (dry run)' if dry_run else ''}"


def anything(**inputs: Any) -> int:
    """Takes any input."""
    return len(inputs)


REGISTRY = ActionRegistry({"my.deploy": deploy, "my.any": anything}, entry_points=False)


def _found(text: str, *, optional: bool = False, path: str | None = None,
           registry: ActionRegistry = REGISTRY) -> list[tuple[str, int | None, str | None, str]]:
    """(code, line, task, path) of every diagnostic of ``text``."""
    def exists(ref: str) -> bool:  # as troupe validate's: a workflow file, or registered
        return ref.endswith(".yaml") or registry.has(ref)

    _, diagnostics = validate(textwrap.dedent(text), path=path, action_exists=exists,
                              action_inputs=registry.accepts, actions_optional=optional)
    return [(d.code, d.line, d.task, d.path) for d in diagnostics]


def test_a_fitting_input_gets_nothing() -> None:
    assert _found("""\
        version: 1.0
        tasks:
          a:
            action: my.deploy host=h1
            input:
              user: "{{ ctx().who }}"
              port: 2222
            next:
              - do: b
          b:
            action: my.any
            input: {whatever: 1, else: 2}
        input: [who]
        """) == []


def test_missing_unknown_and_inline_in_orquesta() -> None:
    assert _found("""\
        version: 1.0
        tasks:
          a:
            action: my.deploy
            input:
              hots: h1
              dry_run: true
          b:
            action: core.echo message=hi mesage=ho
        """) == [("T406", 4, "a", "tasks.a.input"), ("T406", 4, "a", "tasks.a.input"),
                 ("T407", 6, "a", "tasks.a.input.hots"), ("T407", 9, "b", "tasks.b.input.mesage")]


def test_the_did_you_mean_names_the_parameter() -> None:
    _, diagnostics = validate("version: 1.0\ntasks:\n  a:\n    action: my.deploy\n    input:\n"
                              "      host: h\n      usr: me\n",
                              action_exists=REGISTRY.has, action_inputs=REGISTRY.accepts)
    codes = {d.code: d for d in diagnostics}
    assert set(codes) == {"T406", "T407"}
    assert "'user'" in codes["T406"].message and "did you mean 'user'" in codes["T407"].message


def test_attune_tasks_and_with_items_are_checked_the_same() -> None:
    assert _found("""\
        version: "1.0.0"
        ref: t.a
        tasks:
          - name: a
            action: my.deploy
            with_items: "{{ ['h1', 'h2'] }}"
            input:
              host: "{{ item }}"
              usr: me
        """) == [("T406", 5, "a", "tasks.a.input"), ("T407", 9, "a", "tasks.a.input.usr")]


def test_what_cannot_be_checked_is_skipped() -> None:
    assert _found("""\
        version: 1.0
        input: [args, key]
        tasks:
          whole:
            action: my.deploy
            input: "{{ ctx().args }}"
          dynamic_key:
            action: my.deploy
            input:
              host: h
              "{{ ctx().key }}": me
          expression_action:
            action: "{{ 'my.deploy' }}"
            input: {nothing: 1}
        """) == []


def test_unknown_actions_stay_t404_under_actions_optional() -> None:
    text = "version: 1.0\ntasks:\n  a:\n    action: pack.thing\n    input: {x: 1}\n"
    assert _found(text, optional=True) == [("T404", 4, "a", "tasks.a.action")]
    assert _found(text) == [("T401", 4, "a", "tasks.a.action")]


def test_without_the_lookup_nothing_is_checked() -> None:
    _, diagnostics = validate("version: 1.0\ntasks:\n  a:\n    action: core.echo\n",
                              action_exists=REGISTRY.has)
    assert diagnostics == []


def test_the_call_record_is_the_engines() -> None:
    assert _found("version: 1.0\ntasks:\n  a:\n    action: core.sleep\n    input:\n"
                  "      seconds: 0\n      call: 1\n") == [("T407", 7, "a", "tasks.a.input.call")]


def _files(tmp_path: Path, child: str) -> Path:
    (tmp_path / "child.yaml").write_text(textwrap.dedent(child))
    parent = tmp_path / "parent.yaml"
    parent.write_text("version: 1.0\ntasks:\n  a:\n    action: child.yaml\n    input:\n"
                      "      nme: x\n")
    return parent


def test_a_sub_workflow_file_is_checked_against_its_declared_inputs(tmp_path: Path) -> None:
    parent = _files(tmp_path, """\
        version: 1.0
        input:
          - name: {required: true}
          - greeting: hello
        tasks:
          a: {action: core.noop}
        """)
    assert _found(parent.read_text(), path=str(parent)) == [
        ("T406", 4, "a", "tasks.a.input"), ("T407", 6, "a", "tasks.a.input.nme")]
    with pytest.raises(ValidationFailed) as caught:
        start_workflow(parent)
    assert {d.code for d in caught.value.diagnostics} == {"T406", "T407"}


def test_a_sub_workflow_declaring_no_input_takes_any(tmp_path: Path) -> None:
    parent = _files(tmp_path, "version: 1.0\ntasks:\n  a: {action: core.noop}\n")
    assert _found(parent.read_text(), path=str(parent)) == []


def test_a_named_sub_workflow_is_checked_at_start() -> None:
    child = load_workflow("version: 1.0\ninput: [{name: {required: true}}]\n"
                          "tasks:\n  a: {action: core.noop}\n")
    parent = "version: 1.0\ntasks:\n  a:\n    action: deploy\n    input: {nmae: x}\n"
    with pytest.raises(ValidationFailed) as caught:
        start_workflow(parent, workflows={"deploy": child})
    assert sorted((d.code, d.path) for d in caught.value.diagnostics) == [
        ("T406", "tasks.a.input"), ("T407", "tasks.a.input.nmae")]


def test_start_workflow_refuses_a_misspelt_input_before_it_runs() -> None:
    with pytest.raises(ValidationFailed) as caught:
        start_workflow("version: 1.0\ntasks:\n  a:\n    action: core.echo\n"
                       "    input: {messages: hi}\n")
    assert [(d.code, d.line, d.column) for d in caught.value.diagnostics] == [
        ("T406", 4, 13), ("T407", 5, 13)]


NAMES = st.sets(st.sampled_from(["host", "port", "user", "dry_run", "hots", "call", "x"]))


@settings(max_examples=60, deadline=None)
@given(names=NAMES)
def test_validation_and_the_run_time_agree(names: set[str]) -> None:
    """For any set of names, what validation reports missing or unknown is what invoke
    refuses when the task runs (and invoke runs the action when validation finds nothing)."""
    action = Action.of("my.deploy", deploy)
    spec = accepts_of(deploy)
    assert spec is not None
    problems = spec.problems(dict.fromkeys(names, "v"))
    call = Call(execution_id="e", task="t", attempt=1)
    try:
        invoke(action, dict.fromkeys(names, "v"), call)
    except ActionFailed as failed:
        assert failed.result is not None
        assert (sorted(failed.result["missing"]), sorted(failed.result["unexpected"])) == (
            sorted(problems.missing), sorted(problems.unknown))
    else:
        assert not problems.missing and not problems.unknown
