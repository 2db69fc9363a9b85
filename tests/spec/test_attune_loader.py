"""Tests of the Attune loader: every construct of dsl.md section 2 and its diagnostics."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from pyrsistent import PMap, pmap

from runtime.errors import Diagnostic, ValidationFailed
from runtime.spec import load_workflow, validate
from runtime.spec.model import ATTUNE_POLICIES, Backoff, Dialect, WorkflowDef
from runtime.templating import Const, Scope
from runtime.values import freeze, thaw

pytestmark = pytest.mark.timeout(30)

HEAD = 'version: "1.0.0"\n'


def check(text: str, **kwargs: Any) -> tuple[WorkflowDef | None, list[Diagnostic]]:
    """Validate dedented YAML text."""
    return validate(textwrap.dedent(text), **kwargs)


def load(text: str) -> WorkflowDef:
    """Load dedented YAML text that must be free of errors and warnings."""
    defn, diagnostics = check(text)
    assert diagnostics == []
    assert defn is not None
    return defn


def errors(text: str) -> list[tuple[str, int | None, str | None]]:
    """(code, line, task) of every diagnostic of a text."""
    return [(d.code, d.line, d.task) for d in check(text)[1]]


def errors_forced(text: str) -> list[tuple[str, int | None, str | None]]:
    """(code, line, task) of the diagnostics of ``text`` loaded as Attune."""
    return [(d.code, d.line, d.task) for d in validate(text, dialect="attune")[1]]


def render(node: Any, **scope: Any) -> Any:
    """Render a compiled node against a scope made of ``ctx`` and other fields."""
    ctx = pmap(scope.pop("ctx", {}))
    return node.render(Scope(ctx, **scope))


# -- top level --------------------------------------------------------------------------------


def test_minimal_workflow_loads_into_the_attune_model() -> None:
    """A list of tasks with names loads as an Attune workflow with Attune policies."""
    defn = load("""\
        ref: demo.hello
        label: Hello
        description: says hello
        version: "1.2.0"
        tasks:
          - name: first
            action: core.echo
          - name: second
            action: core.echo
        """)
    assert defn.dialect is Dialect.ATTUNE
    assert defn.policies == ATTUNE_POLICIES
    assert (defn.name, defn.version, defn.description) == ("demo.hello", "1.2.0", "says hello")
    assert defn.task_order == ("first", "second")
    assert defn.task("first").action_ref == "core.echo"
    assert defn.task("first").line == 6
    assert defn.task("second").line == 8
    assert defn.graph.starts == ("first", "second")


def test_name_falls_back_to_label_without_ref() -> None:
    """Without a ref the workflow is named by its label."""
    defn = load(HEAD + "label: Only label\ntasks:\n  - {name: a, action: core.echo}\n")
    assert defn.name == "Only label"


def test_meta_holds_ref_label_tags_cancellation_policy_and_output_schema() -> None:
    """Metadata keys are kept in meta, frozen."""
    defn = load("""\
        version: "1.0.0"
        ref: p.w
        label: W
        tags: [ops, nightly]
        cancellation_policy: cancel_running
        output:
          type: object
          properties: {count: {type: integer}}
        tasks:
          - {name: a, action: core.echo}
        """)
    assert defn.meta["ref"] == "p.w"
    assert defn.meta["label"] == "W"
    assert defn.meta["tags"] == ("ops", "nightly")
    assert defn.meta["cancellation_policy"] == "cancel_running"
    assert defn.meta["output"]["properties"]["count"]["type"] == "integer"
    assert isinstance(defn.meta["output"], PMap)


def test_cancellation_policy_defaults_to_allow_finish() -> None:
    """A workflow without cancellation_policy lets running tasks finish."""
    defn = load(HEAD + "tasks:\n  - {name: a, action: core.echo}\n")
    assert defn.meta["cancellation_policy"] == "allow_finish"


def test_flat_parameters_become_inputs_with_raw_defaults() -> None:
    """Flat parameters keep type, required, secret, description; defaults are not rendered."""
    defn = load("""\
        version: "1.0.0"
        parameters:
          who: {type: string, default: "{{ not_rendered }}", description: name}
          token: {type: string, secret: true, required: true}
          retries: {type: integer, default: 3, enum: [1, 3, 5]}
          plain:
        tasks:
          - {name: a, action: core.echo}
        """)
    who, token, retries, plain = defn.inputs
    assert (who.name, who.type, who.description) == ("who", "string", "name")
    assert who.default == Const("{{ not_rendered }}")
    assert (token.required, token.secret, token.default) == (True, True, None)
    assert retries.default == Const(3)
    assert thaw(defn.meta["parameters"]["retries"]) == {
        "type": "integer", "default": 3, "enum": [1, 3, 5]}
    assert (plain.name, plain.default, plain.required) == ("plain", None, False)
    assert defn.secret_inputs == frozenset({"token"})


def test_json_schema_parameters_become_inputs() -> None:
    """A JSON-schema object's properties are the inputs and its required list marks them."""
    defn = load("""\
        version: "1.0.0"
        parameters:
          type: object
          properties:
            host: {type: string}
            port: {type: integer, default: 22}
            config: {type: object, default: {a: [1, 2]}}
          required: [host]
        tasks:
          - {name: a, action: core.echo}
        """)
    host, port, config = defn.inputs
    assert (host.name, host.required, host.default) == ("host", True, None)
    assert (port.required, port.default, port.type) == (False, Const(22), "integer")
    assert config.default is not None
    assert render(config.default) == freeze({"a": [1, 2]})
    assert isinstance(render(config.default), PMap)


def test_schema_required_name_that_is_not_a_property_is_reported() -> None:
    """Requiring an undeclared parameter is a bad value on the required entry's line."""
    assert errors("""\
        version: "1.0.0"
        parameters:
          type: object
          properties:
            host: {type: string}
          required:
            - host
            - hots
        tasks:
          - {name: a, action: core.echo}
        """) == [("T106", 8, None)]


def test_bad_parameter_shapes_are_reported() -> None:
    """A parameter that is not a mapping and a non-boolean flag are wrong types."""
    assert errors("""\
        version: "1.0.0"
        parameters:
          a: 5
          b: {required: "yes"}
        tasks:
          - {name: a, action: core.echo}
        """) == [("T103", 3, None), ("T103", 4, None)]


def test_vars_are_inserted_raw() -> None:
    """A var holding {{ }} stays text: Attune never renders vars."""
    defn = load("""\
        version: "1.0.0"
        vars:
          greeting: "hello {{ parameters.who }}"
          count: 0
          nested: {list: [1, {x: "{{ y }}"}]}
        tasks:
          - {name: a, action: core.echo}
        """)
    variables = dict(defn.vars)
    assert variables["greeting"] == Const("hello {{ parameters.who }}")
    assert variables["count"] == Const(0)
    nested = variables["nested"]
    assert isinstance(nested, Const)
    assert isinstance(nested.value, PMap)
    assert nested.value["list"][1]["x"] == "{{ y }}"


def test_vars_must_be_a_mapping() -> None:
    """Orquesta-style vars (a list) are a wrong type in Attune."""
    assert errors(HEAD + "vars:\n  - a: 1\ntasks:\n  - {name: a, action: core.echo}\n") == [
        ("T103", 3, None)]


def test_output_map_is_compiled_with_attune_namespaces() -> None:
    """output_map values render against workflow vars with JSON stringification."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - {name: a, action: core.echo}
        output_map:
          total: "{{ workflow.total }}"
          text: "items={{ vars.items }} none={{ workflow.nothing }}"
          bare: "{{ total }}"
        """)
    outputs = dict(defn.outputs)
    ctx = {"total": 3, "items": ["a"], "nothing": None}
    assert render(outputs["total"], ctx=ctx) == 3
    assert render(outputs["text"], ctx=ctx) == 'items=["a"] none='
    assert render(outputs["bare"], ctx=ctx) == 3


def test_unknown_top_level_key_is_an_error() -> None:
    """Troupe reports unknown top-level keys that Attune would silently ignore."""
    assert errors(HEAD + "tasks:\n  - {name: a, action: core.echo}\noutputs: {}\n") == [
        ("T102", 4, None)]


def test_missing_version_and_tasks_are_reported() -> None:
    """version and tasks are required."""
    assert [d.code for d in check("ref: x\n")[1]] == ["T104", "T104"]


def test_version_must_be_a_string() -> None:
    """An unquoted 1.0 is a number, not Attune's version string."""
    assert errors("version: 1.0\ntasks:\n  - {name: a, action: core.echo}\n") == [
        ("T103", 1, None)]


def test_bad_cancellation_policy_is_reported() -> None:
    """cancellation_policy only takes allow_finish or cancel_running."""
    assert errors(HEAD + "cancellation_policy: kill\ntasks:\n  - {name: a, action: x.y}\n") == [
        ("T106", 2, None)]


def test_empty_tasks_list_is_reported() -> None:
    """A workflow needs at least one task."""
    assert errors(HEAD + "tasks: []\n") == [("T104", 2, None)]


# -- task names and task keys -----------------------------------------------------------------


def test_task_without_name_is_reported_and_the_rest_still_checked() -> None:
    """A nameless task is reported, and its other problems too."""
    assert errors("""\
        version: "1.0.0"
        tasks:
          - action: core.echo
            colour: red
          - name: b
            action: core.echo
        """) == [("T104", 3, None), ("T102", 4, "tasks[0]")]


def test_duplicate_task_name_is_reported_on_the_second() -> None:
    """Task names are unique; the second definition is the error."""
    assert errors("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
          - name: a
            action: core.echo
        """) == [("T208", 5, "a")]


def test_overlong_and_reserved_task_names_are_reported() -> None:
    """Names hold 1..255 characters and cannot be the model's reserved names."""
    long_name = "x" * 256
    assert errors(f"""\
        version: "1.0.0"
        tasks:
          - name: {long_name}
            action: core.echo
          - name: noop
            action: core.echo
          - name: ""
            action: core.echo
        """) == [("T206", 3, long_name), ("T202", 5, "noop"), ("T206", 7, None)]


def test_action_is_required_for_action_tasks() -> None:
    """An action task without action is missing a required key, located at the task."""
    assert errors(HEAD + "tasks:\n  - name: a\n    input: {x: 1}\n") == [("T104", 3, "a")]


def test_workflow_type_is_accepted_and_recorded() -> None:
    """type: workflow runs a workflow action and is kept in extra."""
    defn = load(HEAD + "tasks:\n  - {name: a, type: workflow, action: pack.sub}\n")
    assert defn.task("a").extra["type"] == "workflow"
    assert defn.task("a").action_ref == "pack.sub"


def test_parallel_and_unknown_task_types_are_reported() -> None:
    """type: parallel is not supported and other types do not exist."""
    assert errors("""\
        version: "1.0.0"
        tasks:
          - name: a
            type: parallel
            tasks:
              - {name: b, action: core.echo}
          - name: c
            type: script
            action: core.echo
        """) == [("T106", 4, "a"), ("T106", 8, "c")]


def test_input_is_compiled_with_the_attune_dialect() -> None:
    """Task input values render with parameters, item and index namespaces."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            input:
              msg: "{{ parameters.who }} #{{ index }}"
              flag: "{{ item.on }}"
              literal: 5
        """)
    task = defn.task("a")
    assert task.input is not None
    value = render(task.input, params=pmap({"who": "bob"}), item=pmap({"on": True}), index=2,
                   has_item=True)
    assert value == pmap({"msg": "bob #2", "flag": True, "literal": 5})


def test_input_must_be_a_mapping() -> None:
    """Attune's input is a map; a string is a wrong type."""
    assert errors(HEAD + "tasks:\n  - name: a\n    action: x.y\n    input: '{{ x }}'\n") == [
        ("T103", 5, "a")]


def test_unknown_task_key_is_an_error_with_task_and_line() -> None:
    """A misspelt task key is reported where it is written."""
    assert errors("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            on_sucess: b
          - name: b
            action: core.echo
        """) == [("T102", 5, "a")]


def test_delay_is_not_an_attune_task_key() -> None:
    """delay is in Attune's authoring guide but not its parser, so Troupe rejects it."""
    assert errors(HEAD + "tasks:\n  - name: a\n    action: x.y\n    delay: 3\n") == [
        ("T102", 5, "a")]


# -- transitions ------------------------------------------------------------------------------


def test_next_transitions_keep_when_publish_and_do_in_order() -> None:
    """Explicit next entries become transitions in listed order."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            next:
              - when: "{{ succeeded() and result().code == 200 }}"
                publish:
                  - body: "{{ result().body }}"
                  - fixed: 1
                do: [b, c]
              - when: "{{ failed() }}"
                publish: {error: "{{ result().error }}"}
                do: c
              - publish: [whole]
          - {name: b, action: core.echo}
          - {name: c, action: core.echo}
        """)
    first, second, third = defn.task("a").transitions
    assert [t.index for t in (first, second, third)] == [0, 1, 2]
    assert first.when_source == "{{ succeeded() and result().code == 200 }}"
    assert first.status_shortcut is None
    assert [k for k, _ in first.publish] == ["body", "fixed"]
    assert first.targets == ("b", "c")
    assert dict(first.publish)["fixed"] == Const(1)
    assert second.status_shortcut == "failed"
    assert second.targets == ("c",)
    assert [k for k, _ in second.publish] == ["error"]
    assert third.when is None and third.targets == ()
    whole = dict(third.publish)["whole"]
    assert list(whole.sources()) == ["{{ result() }}"]


def test_do_string_is_split_on_commas() -> None:
    """A do string is accepted and split on commas."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            next:
              - do: "b, c"
          - {name: b, action: core.echo}
          - {name: c, action: core.echo}
        """)
    assert defn.task("a").transitions[0].targets == ("b", "c")


@pytest.mark.parametrize(
    ("when", "shortcut"),
    [
        ("{{ succeeded() }}", "succeeded"),
        ("{{succeeded()}}", "succeeded"),
        ("{{  failed( ) }}", "failed"),
        ("{{ timed_out() }}", "timed_out"),
        ("{{ succeeded() and true }}", None),
        ("{{ not failed() }}", None),
    ],
)
def test_status_shortcut_is_set_only_for_literal_status_tests(when: str,
                                                              shortcut: str | None) -> None:
    """A when that is exactly a status test (spaces aside) is matched by status."""
    defn = load(f"""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            next:
              - when: "{when}"
                do: [b]
          - {{name: b, action: core.echo}}
        """)
    assert defn.task("a").transitions[0].status_shortcut == shortcut


def test_legacy_keys_are_normalized_in_attune_order() -> None:
    """on_success, on_failure, on_complete, on_timeout, then decision, whatever the key order."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            decision:
              - when: "{{ result().x > 1 }}"
                next: big
              - next: small
            on_timeout: t
            on_complete: c
            on_failure: f
            on_success: s
          - {name: s, action: core.echo}
          - {name: f, action: core.echo}
          - {name: c, action: core.echo}
          - {name: t, action: core.echo}
          - {name: big, action: core.echo}
          - {name: small, action: core.echo}
        """)
    transitions = defn.task("a").transitions
    assert [t.targets for t in transitions] == [("s",), ("f",), ("c",), ("t",), ("big",),
                                                ("small",)]
    assert [t.when_source for t in transitions] == [
        "{{ succeeded() }}", "{{ failed() }}", None, "{{ timed_out() }}",
        "{{ result().x > 1 }}", None]
    assert [t.status_shortcut for t in transitions] == [
        "succeeded", "failed", None, "timed_out", None, None]
    assert [t.index for t in transitions] == [0, 1, 2, 3, 4, 5]


def test_legacy_target_may_be_a_list() -> None:
    """A legacy key with a list of names targets all of them."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            on_success: [b, c]
          - {name: b, action: core.echo}
          - {name: c, action: core.echo}
        """)
    assert defn.task("a").transitions[0].targets == ("b", "c")


def test_decision_default_branch_has_no_condition() -> None:
    """A decision entry without when (marked default or not) always fires."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            decision:
              - {when: "{{ result() }}", next: b}
              - {default: true, next: c}
          - {name: b, action: core.echo}
          - {name: c, action: core.echo}
        """)
    first, default = defn.task("a").transitions
    assert first.when is not None and default.when is None
    assert default.targets == ("c",)


def test_task_publish_attaches_to_the_first_succeeded_transition() -> None:
    """Task-level publish goes on the first transition testing succeeded(), not the first."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            on_failure: f
            decision:
              - when: "{{ succeeded() and result().ok }}"
                next: s
              - next: f
            publish:
              - out: "{{ result().stdout }}"
          - {name: s, action: core.echo}
          - {name: f, action: core.echo}
        """)
    failure, success, default = defn.task("a").transitions
    assert failure.publish == ()
    assert [k for k, _ in success.publish] == ["out"]
    assert default.publish == ()


def test_task_publish_alone_creates_a_succeeded_transition() -> None:
    """Without legacy transitions, publish makes a succeeded transition with no targets."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            publish: {out: "{{ result() }}"}
        """)
    (only,) = defn.task("a").transitions
    assert only.when_source == "{{ succeeded() }}"
    assert only.status_shortcut == "succeeded"
    assert only.targets == ()
    assert [k for k, _ in only.publish] == ["out"]


def test_task_publish_without_succeeded_transition_goes_on_the_first_one() -> None:
    """As in Attune's parser, with only other transitions publish joins the first of them."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            on_failure: f
            on_complete: c
            publish: {out: 1}
          - {name: f, action: core.echo}
          - {name: c, action: core.echo}
        """)
    failure, complete = defn.task("a").transitions
    assert [k for k, _ in failure.publish] == ["out"]
    assert complete.publish == ()


def test_legacy_keys_next_to_next_are_ignored_with_a_warning() -> None:
    """next wins over legacy keys; a warning points at the first legacy key."""
    defn, diagnostics = check("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            on_success: c
            next:
              - do: [b]
          - {name: b, action: core.echo}
          - {name: c, action: core.echo}
        """)
    assert [(d.code, d.line, d.task, d.severity) for d in diagnostics] == [
        ("T106", 5, "a", "warning")]
    assert defn is not None
    assert [t.targets for t in defn.task("a").transitions] == [("b",)]


def test_bad_transition_shapes_are_reported() -> None:
    """next must be a list of mappings whose do is a list of names."""
    assert errors("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            next:
              - do: [1]
              - goto: b
              - when: 5
          - name: b
            action: core.echo
            next: {do: a}
        """) == [("T103", 6, "a"), ("T102", 7, "a"), ("T103", 8, "a"), ("T103", 11, "b")]


def test_undefined_targets_are_reported_where_they_are_written() -> None:
    """Targets of next and legacy keys that name no task are errors at their own line."""
    assert errors("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            next:
              - when: "{{ failed() }}"
                do: [b]
              - do:
                  - bb
          - name: b
            action: core.echo
            on_success: cc
            decision:
              - {next: continue}
        """) == [("T201", 9, "a"), ("T201", 12, "b"), ("T201", 14, "b")]


# -- iteration, retry, timeout, join ----------------------------------------------------------


def test_with_items_batch_size_and_concurrency_make_an_iteration() -> None:
    """with_items compiles to Iteration with batch_size and a compiled concurrency."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            with_items: "{{ parameters.hosts }}"
            batch_size: 2
            concurrency: 3
          - name: b
            action: core.echo
            with_items: "{{ range(0, 3) }}"
            concurrency: "{{ parameters.width }}"
          - name: c
            action: core.echo
            with_items: "{{ vars.items }}"
        """)
    a, b, c = (defn.task(n).iteration for n in ("a", "b", "c"))
    assert a is not None and b is not None and c is not None
    assert thaw(render(a.items, params=freeze({"hosts": ["h1"]}))) == ["h1"]
    assert (a.names, a.batch_size, a.concurrency, a.source) == (
        (), 2, Const(3), "{{ parameters.hosts }}")
    assert b.concurrency is not None
    assert render(b.concurrency, params=pmap({"width": 4})) == 4
    assert (c.batch_size, c.concurrency) == (None, None)


def test_bad_iteration_values_are_reported() -> None:
    """batch_size and concurrency are positive whole numbers; with_items is a string."""
    assert errors("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            with_items: [1, 2]
          - name: b
            action: core.echo
            with_items: "{{ x }}"
            batch_size: 0
            concurrency: 1.5
        """) == [("T103", 5, "a"), ("T106", 9, "b"), ("T103", 10, "b")]


def test_batch_size_without_with_items_is_a_warning() -> None:
    """batch_size and concurrency do nothing without with_items."""
    defn, diagnostics = check(HEAD + "tasks:\n  - name: a\n    action: x.y\n    batch_size: 2\n")
    assert [(d.code, d.line, d.severity) for d in diagnostics] == [("T106", 5, "warning")]
    assert defn is not None and defn.task("a").iteration is None


def test_retry_keeps_count_delay_backoff_and_max_delay() -> None:
    """retry becomes a Retry with a constant count and the backoff fields."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            retry: {count: 4, delay: 2, backoff: exponential, max_delay: 30}
          - name: b
            action: core.echo
            retry: {count: 1}
          - name: c
            action: core.echo
            retry: {count: 2, delay: 1.5, backoff: linear}
        """)
    a, b, c = (defn.task(n).retry for n in ("a", "b", "c"))
    assert a is not None and b is not None and c is not None
    assert (a.count, a.delay, a.backoff, a.max_delay) == (
        Const(4), Const(2), Backoff.EXPONENTIAL, 30.0)
    assert a.when is None
    assert a.on_status == frozenset({"failed", "timed_out"})
    assert (b.count, b.delay, b.backoff, b.max_delay) == (Const(1), None, Backoff.CONSTANT,
                                                          None)
    assert (c.delay, c.backoff) == (Const(1.5), Backoff.LINEAR)


def test_retry_on_error_is_ignored_with_a_warning() -> None:
    """on_error is parsed but Attune never evaluates it."""
    defn, diagnostics = check(HEAD + "tasks:\n  - name: a\n    action: x.y\n"
                              "    retry:\n      count: 2\n      on_error: '{{ true }}'\n")
    assert [(d.code, d.line, d.task, d.severity) for d in diagnostics] == [
        ("T106", 7, "a", "warning")]
    assert defn is not None and defn.task("a").retry is not None


@pytest.mark.parametrize(
    ("retry", "expected"),
    [
        ("{count: 0}", ("T106", 5)),
        ("{count: 101}", ("T106", 5)),
        ("{count: two}", ("T103", 5)),
        ("{delay: 1}", ("T104", 5)),
        ("{count: 1, backoff: fibonacci}", ("T106", 5)),
        ("{count: 1, max_delay: -1}", ("T106", 5)),
        ("{count: 1, delay: -1}", ("T106", 5)),
        ("{count: 1, when: '{{ failed() }}'}", ("T102", 5)),
        ("3", ("T103", 5)),
    ],
)
def test_bad_retry_values_are_reported(retry: str, expected: tuple[str, int]) -> None:
    """count is 1..100, backoff is one of three, delays are not negative, no when."""
    assert errors(HEAD + f"tasks:\n  - name: a\n    action: x.y\n    retry: {retry}\n"
                  "  - {name: b, action: x.y}\n") == [(*expected, "a")]


def test_timeout_takes_seconds_or_a_template() -> None:
    """timeout compiles to a node; a template is rendered later."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - {name: a, action: core.echo, timeout: 30}
          - {name: b, action: core.echo, timeout: "{{ parameters.limit }}"}
        """)
    assert defn.task("a").timeout == Const(30)
    assert render(defn.task("b").timeout, params=pmap({"limit": 9})) == 9


def test_bad_timeout_is_reported() -> None:
    """A negative or non-numeric timeout is reported."""
    assert errors(HEAD + "tasks:\n  - {name: a, action: x.y, timeout: -1}\n"
                  "  - {name: b, action: x.y, timeout: [1]}\n") == [
        ("T106", 3, "a"), ("T103", 4, "b")]


def test_join_counts_inbound_tasks() -> None:
    """join: N is kept as an integer barrier."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - {name: a, action: core.echo, on_success: c}
          - {name: b, action: core.echo, on_success: c}
          - {name: c, action: core.echo, join: 2}
        """)
    assert defn.task("c").join == 2
    assert defn.task("c").is_join


def test_join_all_and_unsatisfiable_join_are_reported() -> None:
    """join: all does not exist in Attune; join above the inbound count never fires."""
    assert errors("""\
        version: "1.0.0"
        tasks:
          - {name: a, action: core.echo, on_success: c}
          - {name: b, action: core.echo, on_success: d}
          - {name: c, action: core.echo, join: all}
          - {name: d, action: core.echo, join: 3}
        """) == [("T106", 5, "c"), ("T205", 6, "d")]


def test_nested_splits_before_a_join_are_not_ambiguous_in_attune() -> None:
    """Attune has no routes, so a join behind nested splits is not reported."""
    load("""\
        version: "1.0.0"
        tasks:
          - {name: a, action: x.y, next: [{do: [b, c]}]}
          - {name: b, action: x.y, next: [{do: [d]}]}
          - {name: c, action: x.y, next: [{do: [d, e]}]}
          - {name: d, action: x.y, next: [{do: [e]}]}
          - {name: e, action: x.y, join: 2}
        """)


def test_iterate_cache_is_not_supported() -> None:
    """iterate_cache is an Attune-only feature Troupe rejects."""
    assert errors(HEAD + "tasks:\n  - name: a\n    action: x.y\n    iterate_cache:\n"
                  "      namespace: n\n") == [("T106", 5, "a")]


# -- platform fields --------------------------------------------------------------------------


def test_platform_fields_are_carried_frozen_in_extra() -> None:
    """Placement, permissions and UI metadata are kept as frozen data."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            description: first step
            permission_set_ref: ops.deploy
            worker_selector: {zone: eu}
            worker_tolerations: [{key: gpu}]
            worker_affinity: {prefer: [fast]}
            trace_tag_template: "run-{{ index }}"
            __chart_meta__: {x: 10, y: 20}
        """)
    extra = defn.task("a").extra
    assert extra["description"] == "first step"
    assert extra["permission_set_refs"] == "ops.deploy"
    assert extra["worker_selector"] == pmap({"zone": "eu"})
    assert extra["worker_tolerations"][0]["key"] == "gpu"
    assert extra["worker_affinity"]["prefer"][0] == "fast"
    assert extra["trace_tag_template"] == "run-{{ index }}"
    assert extra["__chart_meta__"] == pmap({"x": 10, "y": 20})
    assert hash(extra) is not None


def test_task_level_when_is_kept_with_a_warning() -> None:
    """A task-level when is carried in extra but has no effect."""
    defn, diagnostics = check(HEAD + "tasks:\n  - name: a\n    action: x.y\n"
                              "    when: '{{ parameters.go }}'\n")
    assert [(d.code, d.line, d.task, d.severity) for d in diagnostics] == [
        ("T106", 5, "a", "warning")]
    assert defn is not None
    assert defn.task("a").extra["when"] == "{{ parameters.go }}"


def test_bad_wait_for_is_reported() -> None:
    """wait_for is a mapping with an inquiry, itself a mapping of known, well-typed parts."""
    assert errors(HEAD + "tasks:\n  - {name: a, action: x.y, wait_for: yes}\n"
                  "  - {name: b, action: x.y, wait_for: {inquiry: {}, other: 1}}\n"
                  "  - {name: c, action: x.y, wait_for: {inquiry: '{{ workflow.id }}'}}\n"
                  "  - {name: d, action: x.y, wait_for: {}}\n"
                  "  - name: e\n    action: x.y\n    wait_for:\n      inquiry:\n"
                  "        prompt: 3\n        schema: {type: nope}\n"
                  "        assigned_to: {a: 1}\n        timeout: -1\n        who: x\n"
                  ) == [
        ("T103", 3, "a"), ("T102", 4, "b"), ("T106", 5, "c"), ("T104", 6, "d"),
        ("T103", 11, "e"), ("T106", 12, "e"), ("T103", 13, "e"), ("T106", 14, "e"),
        ("T102", 15, "e")]


def test_wait_for_inquiry_is_loaded() -> None:
    """A well-formed inquiry becomes the task's ``wait_for``, each part compiled."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.noop
            wait_for:
              inquiry:
                prompt: "Deploy {{ parameters.v }}?"
                schema: {type: object, required: [ok]}
                assigned_to: [ops]
                timeout: 30
        """)
    ask = defn.task("a").wait_for
    assert ask is not None and ask.prompt is not None and ask.timeout is not None
    assert ask.schema is not None and ask.schema.constant
    assert ask.assigned_to is not None
    assert "wait_for" not in defn.task("a").extra


def test_inquiry_names_a_task_that_waits_for_one() -> None:
    """``inquiry.<task>`` of a task without wait_for is T305, located at the expression."""
    text = (HEAD + "tasks:\n  - name: a\n    action: core.noop\n"
            "    wait_for: {inquiry: {prompt: ok?}}\n"
            "    next:\n      - publish: {x: '{{ inquiry.a.response }}'}\n        do: [b]\n"
            "  - name: b\n    action: core.noop\n"
            "    input: {v: \"{{ inquiry['b'].status }}\", w: '{{ inquiry.nope.id }}'}\n"
            "output_map:\n  r: '{{ inquiry.a.response }}'\n  s: '{{ inquiry.c }}'\n")
    found = [(d.code, d.line, d.task, d.path) for d in check(text)[1]]
    assert found == [("T305", 11, "b", "tasks.b.input.v"), ("T305", 11, "b", "tasks.b.input.w"),
                     ("T305", 14, None, "output_map.s")]


# -- expressions and whole-file behaviour -----------------------------------------------------


def test_jinja_syntax_error_and_yaql_are_reported_with_task_and_line() -> None:
    """Broken Jinja is T301 and YAQL is T303, both located."""
    assert errors("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            input: {x: "{{ parameters.x + }}"}
            next:
              - when: "<% $.x %>"
                do: [b]
          - {name: b, action: core.echo}
        output_map:
          y: "{{ workflow.y ) }}"
        """) == [("T301", 5, "a"), ("T303", 7, "a"), ("T301", 11, None)]


def test_no_ctx_name_check_runs_for_attune() -> None:
    """Attune reads workflow variables, so unknown names are not a load-time error."""
    load("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            input: {x: "{{ workflow.defined_later }}"}
            next:
              - when: "{{ ctx('nowhere') }}"
                do: [b]
          - {name: b, action: core.echo}
        """)


def test_tasks_as_mapping_forced_to_attune_is_a_wrong_type() -> None:
    """Forcing the Attune dialect on Orquesta-shaped tasks reports the tasks key."""
    assert errors_forced("version: '1.0'\ntasks:\n  a:\n    action: x.y\n") == [
        ("T103", 3, None)]


def test_all_problems_of_a_file_are_reported_together() -> None:
    """Five different mistakes give five diagnostics with their own codes and lines."""
    defn, diagnostics = check("""\
        version: "1.0.0"
        colour: blue
        tasks:
          - name: a
            action: core.echo
            join: all
            next:
              - do: [missing]
          - name: a
            action: core.echo
          - name: c
            retry: {count: 1}
        """)
    assert defn is None
    assert [(d.code, d.line, d.task) for d in diagnostics] == [
        ("T102", 2, None), ("T106", 6, "a"), ("T201", 8, "a"), ("T208", 9, "a"),
        ("T104", 11, "c")]


def test_duplicate_keys_anywhere_are_reported_with_their_task() -> None:
    """A key written twice, even inside input, is T105 with the task."""
    assert errors("""\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            input:
              x: 1
              x: 2
            action: core.echo
        """) == [("T105", 7, "a"), ("T105", 8, "a")]


def test_load_workflow_raises_with_every_diagnostic() -> None:
    """load_workflow raises ValidationFailed listing the errors."""
    with pytest.raises(ValidationFailed) as caught:
        load_workflow(HEAD + "tasks:\n  - {name: a, action: x.y, on_success: b}\n")
    assert [(d.code, d.line, d.task) for d in caught.value.diagnostics] == [("T201", 3, "a")]


def test_warnings_alone_do_not_fail_loading() -> None:
    """A file with only warnings loads."""
    defn = load_workflow(HEAD + "tasks:\n  - name: a\n    action: x.y\n    when: 'x'\n")
    assert defn.task("a").extra["when"] == "x"


def test_graph_edges_follow_transitions() -> None:
    """The graph lists the edges of normalized transitions."""
    defn = load("""\
        version: "1.0.0"
        tasks:
          - {name: a, action: x.y, on_success: b, on_failure: c}
          - {name: b, action: x.y}
          - {name: c, action: x.y}
        """)
    assert defn.graph.starts == ("a",)
    assert defn.graph.inbound_sources("b") == ("a",)
    assert [(e.target, e.transition) for e in defn.graph.outbound["a"]] == [("b", 0), ("c", 1)]


def test_loaded_model_is_immutable() -> None:
    """Tasks are a pmap and records are frozen."""
    defn = load(HEAD + "tasks:\n  - {name: a, action: x.y}\n")
    with pytest.raises((AttributeError, TypeError)):
        defn.tasks["b"] = defn.task("a")
    with pytest.raises(AttributeError):
        defn.task("a").name = "z"  # type: ignore[misc]
