"""Templating (native values, stringification, functions, errors) and the context value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyrsistent import PMap, pmap

from runtime.context import Context
from runtime.driver import mock_outcomes, run_sync
from runtime.errors import ExpressionError
from runtime.spec import load_workflow
from runtime.templating import Scope, compile_value, referenced_ctx_names
from runtime.values import thaw

pytestmark = pytest.mark.timeout(30)


def render(value: object, dialect: str = "orquesta", **scope: object) -> object:
    ctx = scope.pop("ctx", pmap())
    return thaw(compile_value(value, dialect, task="t", field="f").render(
        Scope(ctx, **scope)))  # type: ignore[arg-type]


def test_a_single_expression_yields_its_native_value() -> None:
    """`{{ expr }}` alone returns the value itself: int, list, dict, None, bool."""
    ctx = pmap({"n": 3, "xs": [1, 2], "none": None})
    assert render("{{ ctx('n') + 1 }}", ctx=ctx) == 4
    assert render("{{ ctx('xs') }}", ctx=ctx) == [1, 2]
    assert render("{{ {'a': ctx('n')} }}", ctx=ctx) == {"a": 3}
    assert render("{{ ctx('none') }}", ctx=ctx) is None
    assert render("  {{ true }}  ") is True


def test_mixed_text_is_stringified_per_dialect() -> None:
    """Orquesta stringifies like Python; Attune like JSON (null is empty)."""
    ctx = pmap({"xs": ["a"], "none": None, "flag": True})
    assert render("v={{ ctx('xs') }} {{ ctx('none') }} {{ ctx('flag') }}", ctx=ctx) == \
        "v=['a'] None True"
    assert render("v={{ workflow.xs }} {{ workflow.none }} {{ workflow.flag }}", "attune",
                  ctx=ctx) == 'v=["a"]  true'


def test_keys_and_nested_values_are_rendered() -> None:
    """Rendering walks lists and mappings, keys included."""
    ctx = pmap({"k": "name", "v": 1})
    assert render({"{{ ctx('k') }}": ["{{ ctx('v') }}", {"x": "{{ ctx('v') + 1 }}"}]},
                  ctx=ctx) == {"name": [1, {"x": 2}]}


def test_orquesta_functions() -> None:
    """ctx, result, item, status tests, task_status, json and zip behave as Orquesta's."""
    scope = {"ctx": pmap({"a": 1}), "status": "timed_out", "result": {"code": 7},
             "has_result": True, "item": {"h": "x"}, "has_item": True,
             "task_statuses": lambda name: "succeeded" if name == "prev" else "null"}
    assert render("{{ ctx().a }}", **scope) == 1
    assert render("{{ result().code }}", **scope) == 7
    assert render("{{ item('h') }}", **scope) == "x"
    assert render("{{ failed() and timed_out() and completed() }}", **scope) is True
    assert render("{{ task_status('prev') }}", **scope) == "succeeded"
    assert render("{{ json('{\"x\": 1}').x }}", **scope) == 1
    assert render("{{ zip([1, 2], [3]) }}", **scope) == [[1, 3], [2, None]]


def test_attune_namespaces_and_helpers() -> None:
    """parameters, workflow, item, index, bare names and call-style helpers work."""
    scope = {"ctx": pmap({"count": 2}), "params": pmap({"env": "Prod"}), "item": "web",
             "index": 4, "has_item": True}
    assert render("{{ lower(parameters.env) }}-{{ item }}-{{ index }}-{{ count }}", "attune",
                  **scope) == "prod-web-4-2"
    assert render("{{ length(keys(workflow)) + workflow.count }}", "attune", **scope) == 3


def test_pmap_keys_named_like_methods_are_read_as_keys() -> None:
    """`ctx().items` reads the variable `items`, not the map's method."""
    assert render("{{ ctx().items }}", ctx=pmap({"items": [1]})) == [1]


def test_errors_name_task_field_and_expression() -> None:
    """Undefined names and syntax errors raise ExpressionError with their location."""
    with pytest.raises(ExpressionError) as undefined:
        render("{{ ctx('missing') }}")
    assert (undefined.value.task, undefined.value.field) == ("t", "f")
    assert undefined.value.expression == "{{ ctx('missing') }}"
    with pytest.raises(ExpressionError) as syntax:
        compile_value("{{ ctx( }}", "orquesta", task="t", field="f")
    assert syntax.value.field == "f"


def test_the_sandbox_blocks_unsafe_attribute_access() -> None:
    """Templates cannot reach Python internals."""
    with pytest.raises(ExpressionError):
        render("{{ ''.__class__.__mro__ }}")


def test_data_that_contains_braces_is_never_rendered_again() -> None:
    """A result holding `{{ ... }}` stays data: no template injection through values."""
    defn = load_workflow("""
vars: [{secret: hidden}]
tasks:
  t:
    action: core.echo
    next: [{publish: [{got: '{{ result() }}'}]}]
output: [{got: '{{ ctx("got") }}'}]
""")
    record = run_sync(defn, {}, mock_outcomes({"t": "{{ ctx('secret') }}"}))
    assert thaw(record.state.output) == {"got": "{{ ctx('secret') }}"}


def test_referenced_ctx_names_finds_static_reads() -> None:
    """ctx("x"), ctx().y and ctx()["z"] are found; computed names are not."""
    names = referenced_ctx_names("{{ ctx('x') ~ ctx().y ~ ctx()['z'] ~ ctx(name) }}")
    assert names == {"x", "y", "z"}


def test_publishing_shares_structure_and_never_mutates() -> None:
    """publish returns a new context; the old one is unchanged."""
    base = Context.root(pmap({"a": 1}))
    child = base.publish("b", 2)
    assert dict(base.view) == {"a": 1}
    assert dict(child.view) == {"a": 1, "b": 2}
    assert dict(child.writes) == {"b": 2}
    assert child.version == base.version + 1


@given(st.dictionaries(st.sampled_from("abcde"), st.integers()),
       st.dictionaries(st.sampled_from("abcde"), st.integers()))
def test_join_merge_applies_later_writes_over_earlier_ones(left: dict[str, int],
                                                           right: dict[str, int]) -> None:
    """Merging branches = root, then the first branch's writes, then the later's."""
    root = Context.root(pmap({"a": 0, "z": 9}))
    first = root.publish_all(left.items())
    later = root.publish_all(right.items())
    merged = first.merged_with(later)
    expected = {"a": 0, "z": 9, **left, **right}
    assert dict(merged.view) == expected
    assert isinstance(merged.view, PMap)
