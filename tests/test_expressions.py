"""Expression errors, strict undefined values, user-facing messages and lazy ranges.

Every failure of a user's expression leaves the engine as an ``expression`` error naming the
task and the field; no jinja2 ``Undefined`` is ever a rendered value; messages name
``list``/``dict``, never pyrsistent's classes; ``range`` stays lazy until materialised.
"""

from __future__ import annotations

import random
from typing import Any

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrsistent import PMap, PVector, pmap

from runtime import start_workflow
from runtime.errors import ExpressionError
from runtime.templating import MAX_ITEMS, Scope, compile_value
from runtime.values import freeze, thaw

pytestmark = pytest.mark.timeout(60)

CTX = freeze({"s": "abc", "l": [1, 2, 2], "d": {"a": 1, "b": {"c": 2}}, "n": 5, "e": []})


def render(source: Any, dialect: str = "orquesta", ctx: PMap[str, Any] = CTX) -> Any:
    """Render ``source`` against a scope that sees ``ctx`` (also as Attune variables)."""
    node = compile_value(source, dialect, task="t", field="f")
    return node.render(Scope(ctx, task="t", params=ctx))


def fails(source: str, dialect: str = "orquesta") -> ExpressionError:
    """Render ``source`` and return the ExpressionError it must raise."""
    with pytest.raises(ExpressionError) as caught:
        render(source, dialect)
    assert (caught.value.task, caught.value.field) == ("t", "f")
    assert caught.value.expression == source
    return caught.value


# ---- 1. every expression error is an ExpressionError, through the public API ------------

WHEN = """
version: 1.0
tasks:
  a:
    action: troupe.echo message="hi"
    next:
      - when: '{{ succeeded() and result().value }}'
        do: b
  b:
    action: core.noop
"""

PUBLISH = """
version: 1.0
tasks:
  a:
    action: troupe.echo message="hi"
    next:
      - publish:
          - x: '{{ result().value }}'
"""

INPUT = """
version: 1.0
vars:
  - s: abc
tasks:
  a:
    action: troupe.echo
    input:
      message: '{{ ctx().s.nope }}'
"""

OUTPUT = """
version: 1.0
vars:
  - l: [1]
tasks:
  a:
    action: core.noop
output:
  - o: '{{ ctx().l[9] }}'
"""

ITEMS = """
version: 1.0
vars:
  - s: abc
tasks:
  a:
    with:
      items: x in {{ ctx().s.nope }}
    action: troupe.echo message="{{ item(x) }}"
"""

ITEM_INPUT = """
version: 1.0
tasks:
  a:
    with:
      items: '{{ [1, 0] }}'
    action: troupe.echo message="{{ 1 / item() }}"
"""


@pytest.mark.parametrize(
    ("text", "task", "field"),
    [
        (WHEN, "a", "next[0].when"),
        (PUBLISH, "a", "next[0].publish.x"),
        (INPUT, "a", "input.message"),
        (OUTPUT, None, "output.o"),
        (ITEMS, "a", "with.items"),
        (ITEM_INPUT, "a", "input.message"),
    ],
    ids=["when", "publish", "input", "output", "with-items", "item-input"],
)
def test_an_expression_error_fails_the_workflow_with_a_located_record(
    text: str, task: str | None, field: str
) -> None:
    """when, publish, input, output and with.items errors fail the run, located."""
    result = start_workflow(text, {}).wait(timeout=30)
    assert result.status == "failed"
    errors = [e for e in result.errors if e.kind == "expression"]
    assert [(e.task, e.field) for e in errors] == [(task, field)]
    assert all(e.expression for e in errors)  # the expression that failed, as written
    assert "engine" not in [e.kind for e in result.errors]
    assert all(t.status != "running" for t in result.tasks)


def test_an_attune_output_key_that_fails_to_render_is_omitted() -> None:
    """dsl.md 2.8: an output_map key whose template fails is left out; the run succeeds."""
    text = """
version: "1.0.0"
ref: t.undefined
vars:
  ok: 1
tasks:
  - name: a
    action: core.noop
output_map:
  good: "{{ workflow.ok }}"
  bad: "{{ undefined_name }}"
  worse: "{{ workflow.ok.nope }}"
"""
    result = start_workflow(text, {}).wait(timeout=30)
    assert result.status == "succeeded"
    assert result.output == {"good": 1}


EVALUATION_ERRORS = [
    "{{ 1 / 0 }}",  # ZeroDivisionError
    "{{ 'a' + 1 }}",  # TypeError
    "{{ 2.0 ** 100000 }}",  # OverflowError
    "{{ 'abc'.index('z') }}",  # ValueError
    "{{ [].pop() }}",  # IndexError
    "{{ ''.__class__ }}",  # SecurityError
    "{{ ctx().s.nope }}",  # UndefinedError
    "{{ ctx().l[9] }}",
    "{{ ctx().d.nope.deeper }}",
    "{{ ctx().l.keys() }}",
    "{{ ctx(1) }}",
    "{{ json('not json') }}",
    "{{ ctx().d + 1 }}",
    "{{ ctx().l | sum(attribute='x') }}",
    "{{ ctx().d | dictsort(by='nope') }}",
    "x={{ ctx().s.nope }}",
    "{% for i in ctx().n %}{{ i }}{% endfor %}",
    "{{ ctx().l.index(9) }}",
]


@pytest.mark.parametrize("source", EVALUATION_ERRORS)
def test_any_evaluation_failure_is_an_expression_error(source: str) -> None:
    """Whatever Python or Jinja raises while evaluating leaves render as ExpressionError."""
    fails(source)


def test_a_key_that_renders_to_an_unhashable_value_is_an_expression_error() -> None:
    """A mapping key is data like any other value: a failure to build the map is located."""
    with pytest.raises(ExpressionError) as caught:
        compile_value({"{{ ctx().o }}": 1}, "orquesta", task="t", field="f").render(
            Scope(pmap({"o": bytearray(b"x")}), task="t"))
    assert caught.value.field == "f"


# ---- 2. StrictUndefined for attribute and index access -----------------------------------

def test_missing_attributes_and_indexes_raise() -> None:
    """ctx().s.nope, ctx().l[9] and an undefined Attune name raise, in every position."""
    fails("{{ ctx().s.nope }}")
    fails("{{ ctx().l[9] }}")
    fails("{{ [ctx().d.nope] }}")
    fails("{{ {'k': ctx().l[9]} }}")
    fails("v={{ [ctx().l[9]] }}")
    fails("{{ undefined_name }}", "attune")
    fails("{{ [workflow.s.nope] }}", "attune")
    fails("{{ type_of(undefined_name) }}", "attune")


def test_a_function_is_not_a_value() -> None:
    """A method or function left uncalled raises instead of leaking a Python object."""
    fails("{{ ctx().d.keys }}")
    fails("v={{ ctx().l.index }}")
    fails("{{ ctx }}")
    fails("{{ [succeeded] }}")


def test_defined_tests_and_defaults_still_see_undefined_values() -> None:
    """`is defined` and `| default` work on missing attributes, as in Orquesta."""
    assert render("{{ ctx().d.nope is defined }}") is False
    assert render("{{ ctx().d.nope | default('x') }}") == "x"
    assert render("{{ ctx().l[9] | default(0) }}") == 0
    assert render("{{ workflow.nope | default('y') }}", "attune") == "y"


_ROOTS = ["ctx().s", "ctx().l", "ctx().d", "ctx().n", "ctx().e", "ctx().d.b"]
_ACCESS = [".nope", "[9]", "[0]", ".a", ".b", ".c", "['a']", "[-1]", ".keys()", ""]
_SHAPES = [
    "{{ X }}", "{{ [X] }}", "{{ {'k': X} }}", "{{ (X, 1) }}", "{{ X if true else 1 }}",
    "{{ true and X }}", "{{ false or X }}", "{{ X | default(None) }}", "{{ [X] | list }}",
    "v={{ X }}", "{{ X | first }}", "{{ [X] | map('string') | list }}", "{{ X is defined }}",
    "{{ [X] | select }}",
]


def _walk(value: Any) -> None:
    assert not isinstance(value, jinja2.Undefined)
    if isinstance(value, (list, tuple, PVector)):
        for v in value:
            _walk(v)
    elif isinstance(value, PMap):
        for k, v in value.items():
            _walk(k)
            _walk(v)


@settings(deadline=None)  # the first render of a shape compiles it: no timing here
@given(st.sampled_from(_SHAPES), st.sampled_from(_ROOTS), st.lists(st.sampled_from(_ACCESS),
       max_size=3), st.sampled_from(["orquesta", "attune"]))
def test_no_rendered_value_is_ever_undefined(shape: str, root: str, access: list[str],
                                             dialect: str) -> None:
    """Whatever the expression, render returns frozen data or raises ExpressionError."""
    if dialect == "attune":
        root = root.replace("ctx()", "workflow")
    source = shape.replace("X", root + "".join(access))
    try:
        value = render(source, dialect)
    except ExpressionError as exc:
        assert exc.field == "f"
        return
    _walk(value)
    assert type(value) not in (list, dict)


# ---- 3. user messages name list and dict -------------------------------------------------

MESSAGES = [
    "{{ ctx().l.keys() }}",
    "{{ ctx().d.task_name.x }}",
    "{{ ctx().d + 1 }}",
    "{{ ctx().l + 1 }}",
    "{{ ctx().l - ctx().d }}",
    "{{ ctx().d['a']['x'] }}",
    "{{ ctx().l.nope() }}",
    "{{ ctx().d.b.nope }}",
    "{{ {ctx().l: 1}[ctx().d] }}",
    "{{ ctx().l[ctx().d] }}",
    "{{ ctx().d.items()[0] }}",
    "{{ ctx(ctx().d) }}",
    "{{ ctx().d.__class__ }}",
    "{{ ctx().l | int + ctx().l }}",
]


@pytest.mark.parametrize("source", MESSAGES)
def test_messages_never_name_pyrsistent_types(source: str) -> None:
    """A user sees list/dict, never PVector, PMap or the pyrsistent module."""
    error = fails(source)
    for internal in ("pyrsistent", "PVector", "PMap", "pvectorc", "Undefined"):
        assert internal not in str(error)


def test_context_values_have_the_methods_of_dicts_and_lists() -> None:
    """keys/items/values/get on maps and index/count on lists work as on plain data."""
    assert sorted(render("{{ ctx().d.keys() }}")) == ["a", "b"]
    assert sorted(thaw(render("{{ ctx().d.items() }}"))) == [("a", 1), ("b", {"c": 2})]
    assert sorted(thaw(render("{{ ctx().d.values() }}")), key=str) == [1, {"c": 2}]
    assert render("{{ ctx().d.get('a') }}") == 1
    assert render("{{ ctx().d.get('zz', 7) }}") == 7
    assert render("{{ ctx().l.index(2) }}") == 1
    assert render("{{ ctx().l.count(2) }}") == 2
    text = "{% for k, v in ctx().d.items() | sort %}{{ k }}{% endfor %}"
    assert render(text) == "ab"


def test_lazy_results_are_materialised_as_lists() -> None:
    """map/select filters and views yield lists, not generators or views."""
    assert thaw(render("{{ ctx().l | map('string') }}")) == ["1", "2", "2"]
    assert thaw(render("{{ ctx().l | select('odd') }}")) == [1]
    assert thaw(render("{{ range(3) }}")) == [0, 1, 2]
    assert render("v={{ ctx().l | map('string') }}") == "v=['1', '2', '2']"


# ---- 4. lazy range -----------------------------------------------------------------------

def test_a_huge_range_stays_lazy() -> None:
    """range(1000000, 9999999) | random (Orquesta's rollback-retry fixture) just works."""
    random.seed(7)
    value = render("{{ range(1000000, 9999999) | random }}")
    assert 1000000 <= value < 9999999
    assert render("{{ range(10 ** 12) | length }}") == 10 ** 12
    assert render("{{ 5 in range(10 ** 12) }}") is True
    assert render("{{ range(10 ** 12)[-1] }}") == 10 ** 12 - 1
    assert render("{{ range(10 ** 12).index(9) }}") == 9


def test_the_rollback_retry_fixture_expression_runs() -> None:
    """Through the public API, as in StackStorm/orquesta's rollback-retry fixture."""
    text = """
version: 1.0
tasks:
  a:
    action: troupe.echo
    input:
      message: '{{ range(1000000, 9999999) | random }}'
    next:
      - publish:
          - n: '{{ result() }}'
output:
  - n: '{{ ctx().n }}'
"""
    result = start_workflow(text, {}).wait(timeout=30)
    assert result.status == "succeeded"
    assert 1000000 <= result.output["n"] < 9999999


@pytest.mark.parametrize(
    ("source", "dialect"),
    [
        ("{{ range(10 ** 7) | list }}", "orquesta"),
        ("{{ range(10 ** 7) }}", "orquesta"),
        ("{% for i in range(10 ** 7) %}{% endfor %}", "orquesta"),
        ("{{ range(10 ** 7) | join(',') }}", "orquesta"),
        ("{{ range(10 ** 7) | reverse | list }}", "orquesta"),
        ("{{ range(10 ** 7) | sum }}", "orquesta"),
        ("{{ range(10 ** 7) }}", "attune"),
    ],
)
def test_materialising_a_huge_sequence_is_refused(source: str, dialect: str) -> None:
    """Only materialising is limited, with an ExpressionError naming the limit."""
    error = fails(source, dialect)
    assert str(MAX_ITEMS) in error.reason


def test_a_sequence_at_the_limit_is_materialised() -> None:
    """The cap is inclusive: MAX_ITEMS items are fine."""
    assert len(render(f"{{{{ range({MAX_ITEMS}) | list }}}}")) == MAX_ITEMS


def test_a_huge_range_in_with_items_fails_the_task() -> None:
    """with.items over a range past the limit fails the task with an expression error."""
    text = f"""
version: 1.0
tasks:
  a:
    with: '{{{{ range({MAX_ITEMS + 1}) }}}}'
    action: core.noop
"""
    result = start_workflow(text, {}).wait(timeout=30)
    assert result.status == "failed"
    assert [(e.kind, e.task, e.field) for e in result.errors] == [
        ("expression", "a", "with.items")]
