"""YAQL (``<% %>``) in the Orquesta dialect: values, functions, errors, limits, validation.

Expressions are compiled once per workflow definition, evaluated against the same
:class:`Scope` as Jinja's (data by reference), and leave through the same boundary: frozen
data or an :class:`ExpressionError` naming the expression, the task and the field.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from pyrsistent import PMap, PVector, pmap

from runtime import start_workflow
from runtime.errors import ExpressionError
from runtime.spec import validate
from runtime.templating import MAX_ITEMS, Scope, compile_value, referenced_ctx_names, yaql_expr
from runtime.values import freeze

pytestmark = pytest.mark.timeout(60)

CTX = freeze({"s": "abc", "l": [1, 2, 2], "d": {"a": 1, "b": {"c": 2}}, "n": 5})


def render(source: Any, scope: Scope | None = None) -> Any:
    """Render ``source`` (Orquesta dialect) against ``scope`` (default: one that sees CTX)."""
    node = compile_value(source, "orquesta", task="t", field="f")
    return node.render(scope if scope is not None else Scope(CTX, task="t"))


def fails(source: str) -> ExpressionError:
    """Render ``source`` and return the located ExpressionError it must raise."""
    with pytest.raises(ExpressionError) as caught:
        render(source)
    assert (caught.value.task, caught.value.field, caught.value.expression) == ("t", "f", source)
    return caught.value


@pytest.mark.parametrize(("source", "expected"), [
    ("<% ctx().s %>", "abc"),
    ("<% ctx(s) %>", "abc"),
    ("<% ctx('s') %>", "abc"),
    ("<% ctx()['n'] %>", 5),
    ("<% $.d.b.c %>", 2),
    ("  <% ctx().n + 1 %>\n", 6),
    ("<% ctx().l.select($ * 10) %>", [10, 20, 20]),
    ("<% ctx().l.where($ > 1).len() %>", 2),
    ("<% ctx().l.distinct() %>", [1, 2]),
    ("<% ctx().d.keys().orderBy($) %>", ["a", "b"]),
    ("<% dict(a => 1).set(b => ctx().n) %>", {"a": 1, "b": 5}),
    ("<% let(x => 2) -> $x * ctx().n %>", 10),
    ("<% 'a,b'.split(',') %>", ["a", "b"]),
    ("<% json('{\"k\": [1]}') %>", {"k": [1]}),
    ("<% zip(ctx().l, list(7)) %>", [[1, 7], [2, None], [2, None]]),
    ("<% zip(list(1), list(2, 3), pad => 0) %>", [[1, 2], [0, 3]]),
    ("<% task_status(nowhere) %>", "null"),
])
def test_a_whole_string_expression_yields_its_value(source: str, expected: Any) -> None:
    """One ``<% %>`` (blanks around allowed) yields frozen data, yaql's library included."""
    value = render(source)
    assert value == freeze(expected)
    assert not isinstance(value, (list, dict))


def test_embedded_expressions_interpolate_text() -> None:
    """Other strings are text: strings as they are, other values by Python's ``str``."""
    assert render("x=<% ctx().s %>, l=<% ctx().l %>, d=<% ctx().d.b %>, <% null %>") == (
        "x=abc, l=[1, 2, 2], d={'c': 2}, None")


def test_data_is_passed_by_reference() -> None:
    """``$``, ``ctx()`` and the values read are the context's own objects (no copy)."""
    assert render("<% $ %>") is CTX
    assert render("<% ctx() %>") is CTX
    assert render("<% ctx().l %>") is CTX["l"]
    assert isinstance(render("<% ctx().d %>"), PMap)


def test_task_functions_read_the_scope() -> None:
    """result(), item(), succeeded()/failed()/completed(), task_status() as in Jinja."""
    scope = Scope(CTX, task="t", status="failed", result=freeze({"out": [3]}), has_result=True,
                  item=freeze({"host": "h1"}), has_item=True,
                  task_statuses=lambda name: "succeeded" if name == "a" else "null")
    assert render("<% result().out[0] %>", scope) == 3
    assert render("<% item(host) %>-<% item().host %>", scope) == "h1-h1"
    assert [render(f"<% {f}() %>", scope) for f in ("succeeded", "failed", "completed")] == [
        False, True, True]
    assert render("<% task_status(a) %>", scope) == "succeeded"
    assert render("<% item(null) %>", scope) == render("<% item() %>", scope) == scope.item


@pytest.mark.parametrize("source", [
    "<% ctx(nope) %>", "<% ctx().nope %>", "<% $.d.nope %>", "<% 1 / 0 %>", "<% foo() %>",
    "<% result() %>", "<% item() %>", "<% ctx(__private) %>", "a <% ctx().s.nope %> b",
])
def test_evaluation_failures_are_located_expression_errors(source: str) -> None:
    """Whatever fails in yaql leaves as an ExpressionError with expression, task and field."""
    assert fails(source).reason


def test_iterables_are_limited() -> None:
    """yaql.limitIterators: at most MAX_ITEMS items; a huge range stays lazy until listed."""
    assert render(f"<% range({MAX_ITEMS * 2}).len() %>") == MAX_ITEMS * 2
    assert "1000000" in fails(f"<% list(range({MAX_ITEMS + 1})) %>").reason
    assert len(render(f"<% list(range({MAX_ITEMS})) %>")) == MAX_ITEMS


@pytest.mark.parametrize("source", ["<% ctx( %>", "<% %>", "<% 1 + %> and <% 2 %>"])
def test_syntax_errors_are_raised_at_compile(source: str) -> None:
    """A broken expression fails compile_value, not the first render."""
    with pytest.raises(ExpressionError) as caught:
        compile_value(source, "orquesta", task="t", field="f")
    assert (caught.value.task, caught.value.field, caught.value.expression) == ("t", "f", source)
    assert caught.value.reason.startswith("syntax error")


def test_mixing_yaql_and_jinja_in_one_string_is_an_error() -> None:
    with pytest.raises(ExpressionError):
        compile_value("<% 1 %> {{ 2 }}", "orquesta")


def test_attune_strings_with_yaql_delimiters_are_text() -> None:
    assert compile_value("<% 1 %>", "attune").render(Scope(pmap())) == "<% 1 %>"


def test_expressions_are_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendering never parses: the statement is compiled with the node."""
    node = compile_value("<% ctx().n * 2 %> <% ctx().s %>", "orquesta")

    def no_parse(text: str) -> None:
        raise AssertionError(f"parsed {text!r} at render time")

    monkeypatch.setattr(yaql_expr, "parse", no_parse)
    scope = Scope(CTX)
    assert [node.render(scope) for _ in range(3)] == ["10 abc"] * 3


def test_referenced_ctx_names_read_yaql() -> None:
    assert referenced_ctx_names("<% ctx(a) + ctx('b') + ctx().c + ctx()['d'] %> <% $.e %>") == {
        "a", "b", "c", "d", "e"}
    assert referenced_ctx_names("<% ctx().l.select(ctx(x)) %>") == {"l", "x"}


@pytest.mark.parametrize(("source", "names"), [
    ("<% $.x %>", {"x"}),
    ("<% $['k'] %>", {"k"}),
    ("<% $.a.b.c %>", {"a"}),
    ("<% len($.q) + $.r.a %>", {"q", "r"}),
    ("<% $.items.select($.y) %>", {"items"}),       # `$` is each element inside select
    ("<% ctx().a.where($ > $.b) %>", {"a"}),
    ("<% select($.l, $.m) %>", {"l"}),              # the query function's later arguments
    ("<% let(v => 1) -> $.z %>", set()),            # `$` rebound right of `->`
    ("<% $x %>", set()),                            # a yaql variable, not a context key
])
def test_dollar_reads_the_context_where_dollar_is_the_context(source: str, names: set[str]
                                                             ) -> None:
    assert referenced_ctx_names(source) == names


def test_dollar_names_are_checked_statically() -> None:
    assert diagnostics("""\
        version: 1.0
        input: [a]
        tasks:
          t:
            action: core.noop
            next:
              - publish:
                  - b: <% $.a %>
                  - c: <% $.nothing %>
                  - d: <% $.a.select($.nothing2) %>
        """) == [("T302", 9, 16, "t")]


def diagnostics(text: str) -> list[tuple[str, int | None, int | None, str | None]]:
    return [(d.code, d.line, d.column, d.task) for d in validate(textwrap.dedent(text))[1]]


def test_validation_locates_yaql_problems() -> None:
    """Broken YAQL is T301, an unknown ctx() name T302, YAQL mixed with Jinja T303."""
    assert diagnostics("""\
        version: 1.0
        input: [a]
        tasks:
          t:
            action: troupe.echo message=<% ctx(a) %>
            next:
              - when: <% succeeded( %>
                publish:
                  - b: <% ctx().nothing %>
                  - c: <% ctx(a) %>{{ 1 }}
        """) == [("T301", 7, 15, "t"), ("T302", 9, 16, "t"), ("T303", 10, 16, "t")]


WORKFLOW = """
version: 1.0
input:
  - hosts
  - prefix: ping
vars:
  - seen: []
tasks:
  fan:
    with: host in <% ctx(hosts) %>
    action: troupe.echo
    input:
      message: <% ctx().prefix %> <% item(host) %>
    next:
      - when: <% succeeded() and result().len() = ctx().hosts.len() %>
        publish:
          - seen: <% result() %>
          - count: <% ctx(seen).len() %>
        do: done
  done:
    action: core.noop
output:
  - seen: <% ctx().seen %>
  - count: <% ctx(count) %>
  - first: <% ctx().seen.first() %>
"""


def test_a_yaql_workflow_runs_through_the_public_api() -> None:
    """with-items item inputs, when, publish (rolling) and output all in YAQL."""
    result = start_workflow(WORKFLOW, {"hosts": ["a", "b", "c"]}).wait(timeout=30)
    assert result.status == "succeeded", result.errors
    assert result.output == {"seen": ["ping a", "ping b", "ping c"], "count": 3,
                             "first": "ping a"}
    assert isinstance(result.output["seen"], (list, PVector))


def test_a_yaql_evaluation_error_fails_the_run_located() -> None:
    text = """
version: 1.0
input: [m]
tasks:
  a:
    action: troupe.echo message=<% ctx().m.x %>
"""
    result = start_workflow(text, {"m": {"y": 1}}).wait(timeout=30)
    assert result.status == "failed"
    errors = [e for e in result.errors if e.kind == "expression"]
    assert [(e.task, e.field, e.expression) for e in errors] == [
        ("a", "input.message", "<% ctx().m.x %>")]


def test_unbounded_recursion_is_an_expression_error() -> None:
    """A yaql function that calls itself ends at Python's recursion limit, located."""
    assert "RecursionError" in fails("<% def(f, f($)) -> f(1) %>").reason
    assert render("<% def(g, $ * 2) -> g(3) %>") == 6
